/**
 * Federated rounds in one process, without TLS or sockets, for researchers and
 * benchmarks. Each round runs the code the sites and the coordinator run:
 *
 * - local training with trainLocal, with DP-SGD when the spec has privacy.record
 *   (q and steps from dpSgdSchedule, as site-agent/run-worker.ts does);
 * - the update vector from round-math.ts siteUpdateVector (the site-level clip and noise
 *   share under privacy.site, adaptive clipping's count, the weight);
 * - the codec: plaintext, or BFV under a consortium key with the parameters the
 *   coordinator's finalCodec picks (simulation-codec.ts), summed by the key-free adder
 *   and decrypted by one site;
 * - the server step from round-math.ts applyDecodedAggregate, and the evaluation vectors
 *   summed (classification: summed-metrics.ts; cox-ph: survival-metrics.ts).
 *
 * The result reports each site's privacy spend for the run (simulation-privacy.ts).
 */
import { GaussianSampler, type GaussianSource } from '../../core/privacy/gaussian.ts';
import { consortiumMetrics, EVAL_VECTOR_LENGTH, evaluationVector, type ConsortiumMetrics } from '../../core/evaluation/summed-metrics.ts';
import { strategyFromSpec, type SiteEvaluation } from '../../core/strategies/index.ts';
import type { RecordedCodec } from '../../core/update-codec/codec-plan.ts';
import type { Matrix } from '../../models/features.ts';
import { deriveSeed, mulberry32 } from '../../models/seeded-random.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { applyDecodedAggregate, initialServerState, siteClipNorm, siteUpdateVector, type RoundState } from '../round-math.ts';
import { metricsOf, predictProbabilities, survivalMetricsOf, trainLocal, type SurvivalEvaluationResult } from '../training/local-trainer.ts';
import { survivalConsortiumMetrics, survivalEvaluationVector, type SurvivalConsortiumMetrics } from '../../core/evaluation/survival-metrics.ts';
import type { UniformSource } from '../training/poisson-sampling.ts';
import { trainingSeed } from '../training/training-seed.ts';
import { createSimulationCodec, type SimulationCodecKind } from './simulation-codec.ts';
import { recordDpOptions } from '../training/dp-options.ts';
import { siteSpend, type SitePrivacySpend } from './simulation-privacy.ts';

export type { SimulationCodecKind } from './simulation-codec.ts';
export type { SitePrivacySpend } from './simulation-privacy.ts';

export interface SimulatedSite {
  name: string;
  train: Matrix;
  test: Matrix;
}

export interface SimulatedRound {
  round: number;
  /** Each site's own evaluation (binary families; empty for cox-ph, see `survivalSites`). */
  sites: SiteEvaluation[];
  /** The consortium metrics, from the sites' evaluation vectors summed in plain float64 (the run sums them under its codec); absent for cox-ph. */
  metrics?: ConsortiumMetrics;
  /** cox-ph: each site's C-index on its test split. */
  survivalSites?: Array<SurvivalEvaluationResult & { site: string }>;
  /** cox-ph: the consortium survival metrics, from the sites' survival evaluation vectors summed as `metrics` are. */
  survival?: SurvivalConsortiumMetrics;
  /** The site-level clip norm the round's updates were clipped to; absent without privacy.site. */
  siteClipNorm?: number;
}

export interface SimulationResult {
  rounds: SimulatedRound[];
  weights: Float32Array;
  /** The codec descriptor the run used (BFV parameters and headroom under `bfv`; no key). */
  codec: RecordedCodec;
  /** Each site's privacy spend over the run, in site order. */
  privacy: SitePrivacySpend[];
}

export interface SimulateOptions {
  /** 'plain' (default) or 'bfv': encrypted aggregation exactly as a networked run does it. */
  readonly codec?: SimulationCodecKind;
  /**
   * Makes the DP noise and the Poisson sampling reproducible: DP-SGD draws from mulberry32
   * and the site-level noise from GaussianSampler.seededForTests, seeded from this value,
   * the site and the round. For tests and benchmarks only: anyone who knows the seed knows
   * the noise. Absent: node:crypto, as the sites draw it.
   */
  readonly randomSeed?: number;
}

/** The noise sources of one site in one round. */
function randomness(seed: number | undefined, site: string, siteIndex: number, round: number): { dpSgd?: UniformSource; siteNoise: GaussianSource } {
  if (seed === undefined) return { siteNoise: GaussianSampler.secure() };
  return { dpSgd: mulberry32(deriveSeed(seed, round, siteIndex)), siteNoise: GaussianSampler.seededForTests(`${seed}/${site}/${round}`) };
}

/** Every site's evaluation of the round's weights, and their summed vectors' consortium metrics. */
async function evaluateRound(spec: ModelSpec, weights: Float32Array, sites: readonly SimulatedSite[]): Promise<Omit<SimulatedRound, 'round'>> {
  const summed = new Float64Array(EVAL_VECTOR_LENGTH);
  if (spec.model.family === 'cox-ph') {
    const survivalSites: Array<SurvivalEvaluationResult & { site: string }> = [];
    for (const site of sites) {
      const risk = await predictProbabilities(spec, weights, site.test);
      survivalSites.push({ site: site.name, ...survivalMetricsOf(risk, site.test) });
      survivalEvaluationVector(risk, site.test.time!, site.test.y).forEach((x, i) => (summed[i]! += x));
    }
    return { sites: [], survivalSites, survival: survivalConsortiumMetrics(summed) };
  }
  const evals: SiteEvaluation[] = [];
  for (const site of sites) {
    const probabilities = await predictProbabilities(spec, weights, site.test);
    evals.push({ site: site.name, ...metricsOf(probabilities, site.test) });
    evaluationVector(probabilities, site.test.y).forEach((x, i) => (summed[i]! += x));
  }
  return { sites: evals, metrics: consortiumMetrics(summed) };
}

/**
 * Runs `spec.rounds` federated rounds over `sites`, calling `onRound` after each. Throws
 * what the sites' code throws (training, privacy, codec errors), after releasing the codec.
 */
export async function simulate(
  spec: ModelSpec,
  sites: readonly SimulatedSite[],
  onRound?: (r: SimulatedRound) => void,
  options: SimulateOptions = {},
): Promise<SimulationResult> {
  const strategy = strategyFromSpec(spec.strategy);
  const weights0 = initialWeights(spec);
  let state: RoundState = { weights: weights0, serverState: initialServerState(spec, strategy, weights0) };
  const codec = await createSimulationCodec(options.codec ?? 'plain', spec, sites.map((s) => s.train.rows));
  const steps = sites.map(() => 0);
  const rounds: SimulatedRound[] = [];
  try {
    for (let round = 1; round <= spec.rounds; round++) {
      const fit = strategy.configureFit(round);
      const clipNorm = siteClipNorm(spec, state.serverState);
      const vectors: Float64Array[] = [];
      for (const [i, site] of sites.entries()) {
        const random = randomness(options.randomSeed, site.name, i, round);
        const dp = recordDpOptions(spec, site.train.rows, random.dpSgd ? { random: random.dpSgd } : {});
        const result = await trainLocal({ spec, weights: state.weights, data: site.train, fit, seed: trainingSeed(spec.seed, round, site.name), ...(dp ? { dp } : {}) });
        if (dp) steps[i] = (steps[i] ?? 0) + result.steps;
        vectors.push(
          siteUpdateVector({
            spec,
            global: state.weights,
            trained: result.weights,
            numExamples: site.train.rows,
            codec: codec.descriptor,
            serverState: state.serverState,
            rng: random.siteNoise,
          }),
        );
      }
      state = applyDecodedAggregate(spec, strategy, state, codec.aggregate(vectors), round);
      const r: SimulatedRound = { round, ...(await evaluateRound(spec, state.weights, sites)), ...(Number.isNaN(clipNorm) ? {} : { siteClipNorm: clipNorm }) };
      rounds.push(r);
      onRound?.(r);
    }
  } finally {
    codec.dispose();
  }
  const privacy = sites.map((s, i) => siteSpend(spec, s.name, s.train.rows, steps[i] ?? 0, spec.rounds, codec.descriptor.kind === 'plain' ? 'plaintext' : 'encrypted'));
  return { rounds, weights: state.weights, codec: codec.descriptor, privacy };
}
