/**
 * Noise multipliers for a target epsilon, for `bench:dp`. The budget is per site: each
 * site accounts its own run at its own q = batchSize / n_k, steps and delta_k = 1 / (10 n_k)
 * (run-budget.ts), while the spec carries ONE noise multiplier for every site. So the
 * multiplier is the largest of the per-site answers of noiseForTargetEpsilon: then EVERY
 * site's epsilon is at most the target (epsilon falls as the noise grows), and the site
 * that needs the most noise (here the smallest hospital, whose q is largest) meets it
 * exactly.
 */
import { noiseForTargetEpsilon } from '../../core/privacy/noise-search.ts';
import { defaultDelta, dpSgdSchedule, planRunSpend } from '../../core/privacy/run-budget.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

/** One site's accounting at the chosen multiplier. */
export interface SiteAccounting {
  readonly records: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly delta: number;
  /** The multiplier this site alone would need. */
  readonly ownNoiseMultiplier: number;
  /** Its epsilon at the chosen (largest) multiplier, from planRunSpend: <= the target. */
  readonly epsilon: number;
}

export interface NoiseChoice {
  readonly noiseMultiplier: number;
  readonly sites: SiteAccounting[];
}

/**
 * The record-level (DP-SGD) multiplier sigma such that every site with `records[k]` rows
 * spends at most `targetEpsilon` over the whole run of `spec` (its rounds, batch size, epochs).
 */
export function recordNoiseForTarget(spec: ModelSpec, records: readonly number[], targetEpsilon: number, clipNorm: number): NoiseChoice {
  const own = records.map((n) => {
    const { samplingRate, stepsPerRound } = dpSgdSchedule(spec.training, n);
    const steps = stepsPerRound * spec.rounds;
    const delta = defaultDelta(n);
    return { records: n, samplingRate, steps, delta, ownNoiseMultiplier: noiseForTargetEpsilon({ targetEpsilon, q: samplingRate, steps, delta }).noiseMultiplier };
  });
  const noiseMultiplier = Math.max(...own.map((s) => s.ownNoiseMultiplier));
  const noised: ModelSpec = { ...spec, privacy: { record: { noiseMultiplier, clipNorm } } };
  return { noiseMultiplier, sites: own.map((s) => ({ ...s, epsilon: planRunSpend(noised, s.records, s.delta).epsilon })) };
}

/**
 * The site-level multiplier z (one Gaussian release per round, q = 1) such that every
 * site's site-level epsilon over `spec.rounds` rounds is at most `targetEpsilon`.
 */
export function siteNoiseForTarget(spec: ModelSpec, records: readonly number[], targetEpsilon: number, clipNorm: number): NoiseChoice {
  const own = records.map((n) => {
    const delta = defaultDelta(n);
    return { records: n, samplingRate: 1, steps: spec.rounds, delta, ownNoiseMultiplier: noiseForTargetEpsilon({ targetEpsilon, q: 1, steps: spec.rounds, delta }).noiseMultiplier };
  });
  const noiseMultiplier = Math.max(...own.map((s) => s.ownNoiseMultiplier));
  const noised: ModelSpec = { ...spec, privacy: { site: { noiseMultiplier, clipNorm } } };
  return { noiseMultiplier, sites: own.map((s) => ({ ...s, epsilon: planRunSpend(noised, s.records, s.delta).epsilon })) };
}
