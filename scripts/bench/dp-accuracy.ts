/**
 * Heart-disease accuracy under differential privacy for `bench:dp`: FedAvg logistic
 * regression on the four UCI Heart Disease hospitals, encrypted (BFV), through the
 * simulator (the code the sites run), for each target epsilon:
 *
 * - record level: DP-SGD with the noise multiplier that keeps EVERY site's epsilon at most
 *   the target (dp-noise.ts recordNoiseForTarget);
 * - site level (the variant): each site's update clipped to S and noised so the sum
 *   carries (z S)^2, z chosen the same way (siteNoiseForTarget); updates are unweighted.
 *
 * Infinity is the same federation with no DP, still encrypted. Each setting runs with
 * several noise seeds; the accuracy reported is the pooled-test accuracy of the final round.
 */
import type { ModelSpec } from '../../models/spec-schema.ts';
import type { Matrix } from '../../models/features.ts';
import { simulate, type SimulatedSite } from '../../site-agent/simulation/simulate.ts';
import { evaluate } from '../../site-agent/training/local-trainer.ts';
import { recordNoiseForTarget, siteNoiseForTarget } from './dp-noise.ts';

/** The DP-friendly training settings of the bench (DP-SGD wants larger batches than the batch-4 baseline). */
export const DP_BENCH_SETTINGS = {
  rounds: 30,
  training: { epochs: 1, batchSize: 32, optimizer: 'sgd' as const, learningRate: 0.5 },
  /** C: DP-SGD's per-example gradient clip norm. */
  recordClipNorm: 1,
  /** S: the site-level update clip norm (fixed clipping). */
  siteClipNorm: 0.3,
  /** Noise seeds per setting (reproducible noise: the simulator's randomSeed). */
  seeds: [1, 2, 3, 4, 5],
  targetEpsilons: [1, 3, 8, Number.POSITIVE_INFINITY],
} as const;

export type DpVariant = 'record' | 'site';

/** One (variant, target epsilon) setting, over the seeds. */
export interface DpAccuracyRow {
  readonly variant: DpVariant;
  /** null: infinity (no DP; encrypted). */
  readonly targetEpsilon: number | null;
  /** sigma (record) or z (site); 0 without DP. */
  readonly noiseMultiplier: number;
  readonly clipNorm: number | null;
  /** Pooled-test accuracy of the final round, one per seed. */
  readonly accuracies: number[];
  readonly accuracyMean: number;
  readonly accuracyMin: number;
  readonly accuracyMax: number;
  /** Each site's epsilon for the run, from the simulator's accountant (null: infinity). */
  readonly siteEpsilons: Record<string, number | null>;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The bench's spec: `base` (privacy stripped) with the DP settings, and the variant's privacy block. */
export function dpBenchSpec(base: ModelSpec, variant: DpVariant, noiseMultiplier: number | undefined): ModelSpec {
  const spec: ModelSpec = { ...base, rounds: DP_BENCH_SETTINGS.rounds, training: { ...DP_BENCH_SETTINGS.training }, strategy: { name: 'fedavg' } };
  delete spec.privacy;
  if (noiseMultiplier === undefined) return spec;
  return variant === 'record'
    ? { ...spec, privacy: { record: { noiseMultiplier, clipNorm: DP_BENCH_SETTINGS.recordClipNorm } } }
    : { ...spec, privacy: { site: { noiseMultiplier, clipNorm: DP_BENCH_SETTINGS.siteClipNorm } } };
}

/** Runs one setting over the seeds, encrypted. */
export async function dpAccuracyRow(base: ModelSpec, variant: DpVariant, targetEpsilon: number, sites: readonly SimulatedSite[], pooledTest: Matrix): Promise<DpAccuracyRow> {
  const records = sites.map((s) => s.train.rows);
  let noiseMultiplier: number | undefined;
  if (Number.isFinite(targetEpsilon)) {
    const spec0 = dpBenchSpec(base, variant, undefined);
    noiseMultiplier = variant === 'record' ? recordNoiseForTarget(spec0, records, targetEpsilon) : siteNoiseForTarget(spec0, records, targetEpsilon);
  }
  const spec = dpBenchSpec(base, variant, noiseMultiplier);
  const accuracies: number[] = [];
  let siteEpsilons: Record<string, number | null> = {};
  for (const randomSeed of DP_BENCH_SETTINGS.seeds) {
    const result = await simulate(spec, sites, undefined, { codec: 'bfv', randomSeed });
    accuracies.push((await evaluate(spec, result.weights, pooledTest)).accuracy);
    siteEpsilons = Object.fromEntries(result.privacy.map((p) => [p.site, finiteOrNull(p.epsilon)]));
  }
  return {
    variant,
    targetEpsilon: finiteOrNull(targetEpsilon),
    noiseMultiplier: noiseMultiplier ?? 0,
    clipNorm: noiseMultiplier === undefined ? null : variant === 'record' ? DP_BENCH_SETTINGS.recordClipNorm : DP_BENCH_SETTINGS.siteClipNorm,
    accuracies,
    accuracyMean: accuracies.reduce((a, b) => a + b, 0) / accuracies.length,
    accuracyMin: Math.min(...accuracies),
    accuracyMax: Math.max(...accuracies),
    siteEpsilons,
  };
}
