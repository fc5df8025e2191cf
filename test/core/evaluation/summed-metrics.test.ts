/**
 * The summed evaluation: each site's vector of counts, loss sum and per-label score
 * histograms, added like updates, gives the pooled metrics. Checked against brute force on the
 * pooled rows (every positive-negative pair for AUC), and through real BFV ciphertexts added by
 * the coordinator's key-free adder.
 */
import { describe, expect, it } from 'vitest';
import {
  aucFromHistograms,
  consortiumMetrics,
  EVAL_HISTOGRAM_BINS,
  EVAL_MAX_ROWS,
  EVAL_VECTOR_LENGTH,
  evaluationCodec,
  evaluationVector,
} from '../../../core/evaluation/summed-metrics.ts';
import { BfvChunkAdder } from '../../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey } from '../../../core/secure-agg/keys.ts';
import { bfvDescriptor, consortiumKeyContext, runParametersForKey } from '../../../core/secure-agg/parameters.ts';
import { loadSeal } from '../../../core/secure-agg/seal-library.ts';
import type { BfvCodecDescriptor } from '../../../core/update-codec/index.ts';
import { plainDescriptor } from '../../../core/update-codec/index.ts';
import { seededUniformSource, sumThroughAdder } from '../secure-agg/bfv-fixtures.ts';

/** A small LCG, so the rows are the same on every run. */
function rows(count: number, seed: number): { scores: number[]; labels: number[] } {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = next() < 0.4 ? 1 : 0;
    // Informative but overlapping scores.
    scores.push(Math.min(0.999999, Math.max(0, 0.35 * label + 0.65 * next())));
    labels.push(label);
  }
  return { scores, labels };
}

/** AUC by brute force: every positive-negative pair, ties counting half. */
function bruteAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

function bruteLoss(scores: number[], labels: number[]): number {
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    const p = Math.min(Math.max(scores[i]!, 1e-7), 1 - 1e-7);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / scores.length;
}

const add = (vectors: Float64Array[]): Float64Array => {
  const out = new Float64Array(EVAL_VECTOR_LENGTH);
  for (const v of vectors) v.forEach((x, i) => (out[i]! += x));
  return out;
};

describe('summed evaluation', () => {
  const sites = [rows(300, 1), rows(120, 2), rows(45, 3)];
  const pooled = { scores: sites.flatMap((s) => s.scores), labels: sites.flatMap((s) => s.labels) };

  it('gives the pooled rows\' exact count, accuracy and loss, and AUC within its stated resolution', () => {
    const m = consortiumMetrics(add(sites.map((s) => evaluationVector(s.scores, s.labels))));
    expect(m.numExamples).toBe(465);
    expect(m.evaluators).toBe(3);
    const correct = pooled.scores.filter((p, i) => (p > 0.5 ? 1 : 0) === pooled.labels[i]).length;
    expect(m.accuracy).toBe(correct / 465);
    expect(m.loss).toBeCloseTo(bruteLoss(pooled.scores, pooled.labels), 12);
    const auc = bruteAuc(pooled.scores, pooled.labels);
    expect(Math.abs(m.auc - auc)).toBeLessThanOrEqual(m.aucResolution);
    expect(m.auc).not.toBe(auc);
    // The bound is not vacuous here: 465 rows over 1024 bins share few bins.
    expect(m.aucResolution).toBeGreaterThan(0);
    expect(m.aucResolution).toBeLessThan(0.01);
  });

  it('is exact when no positive and negative share a bin, and NaN with one class', () => {
    const scores = [0.05, 0.15, 0.55, 0.95, 0.45];
    const labels = [0, 1, 0, 1, 1];
    const m = consortiumMetrics(evaluationVector(scores, labels));
    expect(m.aucResolution).toBe(0);
    expect(m.auc).toBe(bruteAuc(scores, labels));
    expect(m.auc).toBe(4 / 6);
    expect(consortiumMetrics(evaluationVector([0.2, 0.9], [1, 1])).auc).toBeNaN();
  });

  it('counts a positive and a negative in one bin as a tie, and bounds the error by exactly that', () => {
    const negatives = new Array<number>(4).fill(0);
    const positives = new Array<number>(4).fill(0);
    negatives[1] = 2;
    positives[1] = 1;
    positives[3] = 1;
    // Positive in bin 3 beats both negatives; the one in bin 1 ties both: (2 + 1) / 4.
    expect(aucFromHistograms(negatives, positives)).toEqual({ auc: 3 / 4, resolution: 2 / 8 });
  });

  it('puts scores of exactly 1 in the top bin and refuses more rows than the fixed-point range holds', () => {
    const v = evaluationVector([1, 0], [1, 0]);
    expect(v[4 + EVAL_HISTOGRAM_BINS + EVAL_HISTOGRAM_BINS - 1]).toBe(1);
    expect(v[4]).toBe(1);
    const many = new Float32Array(EVAL_MAX_ROWS + 1);
    expect(() => evaluationVector(many, new Float32Array(EVAL_MAX_ROWS + 1))).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID' }));
  });

  it('derives its codec from the run\'s: plain for plain, the same key and ring for BFV, refusing a sum that could wrap', async () => {
    expect(evaluationCodec(plainDescriptor(15))).toEqual(plainDescriptor(EVAL_VECTOR_LENGTH));
    const ctx = await consortiumKeyContext();
    const key = await generateConsortiumKey(ctx);
    const run = bfvDescriptor(await runParametersForKey(ctx, { length: 15, maxSummands: 3, maxAbsValue: 1, maxWeight: 100, precisionBits: 16 }), key.params.keyId, key.params.paramsId);
    const codec = evaluationCodec(run) as BfvCodecDescriptor;
    expect(codec).toMatchObject({ kind: 'bfv', length: EVAL_VECTOR_LENGTH, keyId: run.keyId, paramsId: run.paramsId, plainModulus: run.plainModulus, maxSummands: 3, maxWeight: 1 });
    expect(() => evaluationCodec({ ...run, maxSummands: 2 ** 12 })).toThrow(expect.objectContaining({ code: 'COHORT_E_SECURE_AGG_PARAMS' }));

    // Three sites encrypt, the key-free adder sums, one site decrypts: the pooled metrics.
    const encoders = await Promise.all(['a', 'b', 'c'].map((s) => BfvUpdateEncoder.create(codec, key.secretKey, { random: seededUniformSource(s) })));
    const adder = new BfvChunkAdder(await loadSeal(), codec);
    try {
      const summed = sumThroughAdder(adder, sites.map((s, i) => [...encoders[i]!.encode(evaluationVector(s.scores, s.labels))]));
      const decoded = encoders[0]!.decodeAggregate(summed);
      expect(decoded.summands).toBe(3);
      const fromBfv = consortiumMetrics(decoded.sum);
      const fromPlain = consortiumMetrics(add(sites.map((s) => evaluationVector(s.scores, s.labels))));
      expect({ ...fromBfv, loss: 0 }).toEqual({ ...fromPlain, loss: 0 });
      // Each site's loss sum is kept to 1/256 nat.
      expect(Math.abs(fromBfv.loss - fromPlain.loss)).toBeLessThan(3 / 256 / 465);
    } finally {
      adder.dispose();
      for (const e of encoders) e.dispose();
    }
  });
});
