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
import { siteLevelMultipliers } from '../../core/privacy/site-adjacency.ts';
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
 * The site-level z (one Gaussian release per round, q = 1): every site's charged site-level
 * epsilon, the bound for one patient's record (site-adjacency.ts `forPatients`), is at most
 * `targetEpsilon`. That multiplier is proportional to z (replace-one against the weakest
 * observer: z / (2 sqrt(minSites)) while encrypted sums are unverified), so z is the
 * multiplier found divided by the ratio at z = 1.
 */
export function siteNoiseForTarget(spec: ModelSpec, records: readonly number[], targetEpsilon: number): number {
  const ratio = siteLevelMultipliers({ noiseMultiplier: 1, clipNorm: 1 }, spec.minSites, 'encrypted').forPatients;
  return largestNeeded(records, targetEpsilon, () => ({ q: 1, steps: spec.rounds })) / ratio;
}
