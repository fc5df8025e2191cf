/**
 * Noise multipliers for a target epsilon, for `bench:dp`. The budget is per site: each
 * site accounts its own run at its own q = batchSize / n_k, steps and delta_k = 1 / (10 n_k)
 * (run-budget.ts), while the spec carries ONE noise multiplier for every site. So the
 * multiplier is the largest of the per-site answers of noiseForTargetEpsilon: then EVERY
 * site's epsilon is at most the target (epsilon falls as the noise grows), and the site
 * that needs the most noise (here the smallest hospital, whose q is largest) meets it
 * exactly. (The bench reports each site's actual spend from the simulation.)
 */
import { noiseForTargetEpsilon } from '../../core/privacy/noise-search.ts';
import { defaultDelta, dpSgdSchedule } from '../../core/privacy/run-budget.ts';
import { participantsFactor } from '../../core/privacy/site-adjacency.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

/** The largest multiplier any site needs to keep its own mechanism (q, steps) within the target. */
function largestNeeded(records: readonly number[], targetEpsilon: number, mechanism: (n: number) => { q: number; steps: number }): number {
  return Math.max(...records.map((n) => noiseForTargetEpsilon({ targetEpsilon, ...mechanism(n), delta: defaultDelta(n) }).noiseMultiplier));
}

/** The record-level (DP-SGD) sigma: every site spends at most `targetEpsilon` over the run's steps. */
export function recordNoiseForTarget(spec: ModelSpec, records: readonly number[], targetEpsilon: number): number {
  return largestNeeded(records, targetEpsilon, (n) => {
    const { samplingRate, stepsPerRound } = dpSgdSchedule(spec.training, n);
    return { q: samplingRate, steps: stepsPerRound * spec.rounds };
  });
}

/**
 * The site-level z (one Gaussian release per round, q = 1): every site's CHARGED site-level
 * epsilon is at most `targetEpsilon`. Encrypted, the charge is against a participating site,
 * multiplier z sqrt((minSites - 1) / minSites) (site-adjacency.ts), so z is the multiplier
 * found divided by that factor.
 */
export function siteNoiseForTarget(spec: ModelSpec, records: readonly number[], targetEpsilon: number): number {
  return largestNeeded(records, targetEpsilon, () => ({ q: 1, steps: spec.rounds })) / participantsFactor(spec.minSites);
}
