/**
 * Evaluation summed under the run's encryption (docs/privacy-accounting.md, "Released numbers
 * that no epsilon covers").
 *
 * Each site turns its held-out predictions into one vector of sums,
 *
 *   [ rows, positives, correct, lossSum, negatives by score bin (B), positives by score bin (B), 1 ]
 *
 * encodes it with the run's codec (BFV under the consortium key, or plain), and the
 * coordinator adds the vectors exactly as it adds updates. Only the sites decrypt the sum; from
 * it they compute the consortium's loss, accuracy at 0.5 and AUC and report those, so the
 * coordinator learns the pooled metrics and never one site's. The last value (1 per site) counts
 * the evaluators, as the weight slot counts updates.
 *
 * Accuracy and the example count are exact. The loss sum carries a fixed-point error of at most
 * 1/{@link EVAL_SCALE} per site. AUC comes from the histograms: scores in one bin count as tied,
 * so it is within {@link aucResolution} of the AUC of the pooled scores.
 */
import { CohortError, SecureAggErrors, SiteErrors } from '../errors/index.ts';
import { plainDescriptor } from '../update-codec/plain-codec.ts';
import type { CodecDescriptor } from '../update-codec/types.ts';

/** Score bins of the per-label histograms: bin b holds scores in [b/B, (b+1)/B). */
export const EVAL_HISTOGRAM_BINS = 1024;
/** Probabilities are clipped to [EVAL_PROBABILITY_CLIP, 1 - EVAL_PROBABILITY_CLIP] before the logarithm, as Keras does. */
export const EVAL_PROBABILITY_CLIP = 1e-7;
/** Fixed-point scale of the summed values under BFV: the loss sum is kept to 1/256 nat per site. */
export const EVAL_SCALE = 256;
/** Largest value one site may put in a slot (2^25): the loss sum of 2^20 rows at most -log(1e-7) < 16.2 nats each stays below it. */
export const EVAL_MAX_VALUE = 2 ** 25;
/** Most held-out rows one site may evaluate in one summed evaluation. */
export const EVAL_MAX_ROWS = 2 ** 20;

const ROWS = 0;
const POSITIVES = 1;
const CORRECT = 2;
const LOSS_SUM = 3;
const HISTOGRAMS = 4;

/**
 * Fewest evaluations a summed evaluation may hold, whatever the run's minSites: a site that
 * decrypts a sum and subtracts its own vector then still sees a sum over at least two others.
 */
export const MIN_EVALUATIONS = 3;

/** The evaluations a round's sum needs before anyone decrypts it: minSites, and never fewer than {@link MIN_EVALUATIONS}. */
export function evaluationsNeeded(minSites: number): number {
  return Math.max(MIN_EVALUATIONS, minSites);
}

/** Length of the evaluation vector: four sums, two histograms, the evaluator count. */
export const EVAL_VECTOR_LENGTH = HISTOGRAMS + 2 * EVAL_HISTOGRAM_BINS + 1;

/** The pooled metrics the sites decrypt and report; the coordinator records them per round. */
export interface ConsortiumMetrics {
  /** Held-out rows summed over the evaluating sites. */
  readonly numExamples: number;
  /** Sites whose evaluations the sum holds. */
  readonly evaluators: number;
  readonly loss: number;
  readonly accuracy: number;
  /** NaN when the pooled rows hold a single class. */
  readonly auc: number;
  /** Bound on |auc - AUC of the pooled scores| from ties within a histogram bin (0 when exact). */
  readonly aucResolution: number;
}

/** One row's cross-entropy: the probability clipped to [EVAL_PROBABILITY_CLIP, 1 - EVAL_PROBABILITY_CLIP], as Keras does. */
export function exampleLoss(probability: number, positive: boolean): number {
  const p = Math.min(Math.max(probability, EVAL_PROBABILITY_CLIP), 1 - EVAL_PROBABILITY_CLIP);
  return positive ? -Math.log(p) : -Math.log(1 - p);
}

/** Whether a score predicts the label at `threshold` (score above it: positive). */
export function isCorrect(score: number, positive: boolean, threshold = 0.5): boolean {
  return score > threshold === positive;
}

function binOf(p: number): number {
  return Math.min(EVAL_HISTOGRAM_BINS - 1, Math.max(0, Math.floor(p * EVAL_HISTOGRAM_BINS)));
}

/**
 * One site's evaluation vector from its predicted probabilities and 0/1 labels. Throws
 * SITE_EVALUATION_INVALID past {@link EVAL_MAX_ROWS} rows (the sum's fixed-point range).
 */
export function evaluationVector(probabilities: ArrayLike<number>, labels: ArrayLike<number>): Float64Array {
  if (probabilities.length !== labels.length) throw new RangeError(`probabilities and labels differ in length: ${probabilities.length} vs ${labels.length}`);
  if (probabilities.length > EVAL_MAX_ROWS) {
    throw new CohortError(SiteErrors.EVALUATION_INVALID, `${probabilities.length} held-out rows, more than the ${EVAL_MAX_ROWS} one site's summed evaluation can carry`, {
      details: { rows: probabilities.length, maxRows: EVAL_MAX_ROWS },
    });
  }
  const v = new Float64Array(EVAL_VECTOR_LENGTH);
  for (let i = 0; i < probabilities.length; i++) {
    const score = probabilities[i] as number;
    if (!Number.isFinite(score)) throw new RangeError(`probability at row ${i} is not finite`);
    const positive = labels[i] === 1;
    v[ROWS]! += 1;
    if (positive) v[POSITIVES]! += 1;
    if (isCorrect(score, positive)) v[CORRECT]! += 1;
    v[LOSS_SUM]! += exampleLoss(score, positive);
    v[HISTOGRAMS + (positive ? EVAL_HISTOGRAM_BINS : 0) + binOf(score)]! += 1;
  }
  v[EVAL_VECTOR_LENGTH - 1] = 1;
  return v;
}

/**
 * AUC from per-label score histograms, a positive and a negative in the same bin counting half
 * (the Mann-Whitney statistic with bin ties), and the bound on its distance from the AUC of the
 * unbinned scores: only same-bin pairs can be ordered differently, each moving AUC by 1/(P N) at
 * most, and the tie counts them at half, so the bound is sum_b P_b N_b / (2 P N).
 */
export function aucFromHistograms(negatives: ArrayLike<number>, positives: ArrayLike<number>): { auc: number; resolution: number } {
  let p = 0;
  let n = 0;
  for (let b = 0; b < positives.length; b++) {
    p += positives[b] as number;
    n += negatives[b] as number;
  }
  if (p === 0 || n === 0) return { auc: Number.NaN, resolution: 0 };
  let below = 0;
  let wins = 0;
  let ties = 0;
  for (let b = 0; b < positives.length; b++) {
    const pb = positives[b] as number;
    const nb = negatives[b] as number;
    wins += pb * (below + nb / 2);
    ties += pb * nb;
    below += nb;
  }
  return { auc: wins / (p * n), resolution: ties / (2 * p * n) };
}

/** The consortium metrics from a decoded sum of evaluation vectors. */
export function consortiumMetrics(sum: Float64Array): ConsortiumMetrics {
  if (sum.length !== EVAL_VECTOR_LENGTH) throw new RangeError(`an evaluation sum has ${EVAL_VECTOR_LENGTH} values, got ${sum.length}`);
  // Counts are integers; under BFV they come back as multiples of 1/scale, exactly.
  const rows = Math.round(sum[ROWS] as number);
  const evaluators = Math.round(sum[EVAL_VECTOR_LENGTH - 1] as number);
  const negatives = Array.from(sum.subarray(HISTOGRAMS, HISTOGRAMS + EVAL_HISTOGRAM_BINS), Math.round);
  const positives = Array.from(sum.subarray(HISTOGRAMS + EVAL_HISTOGRAM_BINS, HISTOGRAMS + 2 * EVAL_HISTOGRAM_BINS), Math.round);
  const { auc, resolution } = aucFromHistograms(negatives, positives);
  return {
    numExamples: rows,
    evaluators,
    loss: rows > 0 ? (sum[LOSS_SUM] as number) / rows : Number.NaN,
    accuracy: rows > 0 ? Math.round(sum[CORRECT] as number) / rows : Number.NaN,
    auc,
    aucResolution: resolution,
  };
}

/**
 * The codec of a run's evaluation vectors, derived from the run's update codec alone so that the
 * coordinator (to add) and every site (to encode and check) agree on it without another
 * message: plain for a plain run; for BFV the same key and ring, one ciphertext, and a scale of
 * {@link EVAL_SCALE} with values up to {@link EVAL_MAX_VALUE}. `length`: the run's whole evaluation
 * vector (evaluation-layout.ts; longer than the base when the spec asks for fairness or
 * explanations: more ciphertexts, the same per-slot headroom). Throws SECURE_AGG_PARAMS if the sum of maxSummands such vectors could wrap the plaintext modulus.
 */
export function evaluationCodec(run: CodecDescriptor, length = EVAL_VECTOR_LENGTH): CodecDescriptor {
  if (run.kind === 'plain') return plainDescriptor(length);
  const perSummand = BigInt(EVAL_MAX_VALUE * EVAL_SCALE + 1);
  if (2n * BigInt(run.maxSummands) * perSummand >= BigInt(run.plainModulus)) {
    throw new CohortError(SecureAggErrors.PARAMS, `the run's plaintext modulus cannot hold the summed evaluations of ${run.maxSummands} sites`, {
      details: { maxSummands: run.maxSummands },
    });
  }
  // The same paramsId: it names the key and ring (the key envelope and the context check it), so
  // update and evaluation chunks differ only in shape and in the evaluator count a sum carries.
  return { ...run, length, scale: EVAL_SCALE, maxAbsValue: EVAL_MAX_VALUE, maxWeight: 1 };
}
