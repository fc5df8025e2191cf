/**
 * What one site's update vector holds, decided by the spec alone so that every site and the
 * coordinator agree on its length before any byte moves:
 *
 *   [ w * delta_1 .. w * delta_P, (b_k + noise)?, w ]
 *
 * P = the model's parameter count; the optional slot is adaptive clipping's "not clipped"
 * indicator (Andrew et al. 2021), present only with privacy.site.adaptive; the weight w is
 * always last. Under site-level DP every site sends w = 1 (an unweighted mean: a weight
 * would scale the sensitivity with the site's size); otherwise w is the site's example count,
 * capped at the run's maxWeight.
 */
import type { ModelSpec } from '../../models/spec-schema.ts';
import { parameterCount } from '../../models/weight-layout.ts';
import { updateNoiseMultiplier } from '../privacy/site-dp.ts';
import type { BfvParameterRequest } from '../secure-agg/parameters.ts';

/** Noise is bounded at this many standard deviations when sizing the encoder's range. */
export const NOISE_RANGE_SIGMAS = 8;

export interface UpdateLayout {
  readonly parameters: number;
  /** Index of adaptive clipping's count slot, or -1. */
  readonly countSlot: number;
  /** Index of the weight (always the last value). */
  readonly weightSlot: number;
  readonly length: number;
  /** Whether sites send weight 1 (site-level DP) instead of their example count. */
  readonly unweighted: boolean;
}

export function updateLayout(spec: ModelSpec): UpdateLayout {
  const parameters = parameterCount(spec);
  const adaptive = spec.privacy?.site?.adaptive !== undefined;
  const countSlot = adaptive ? parameters : -1;
  const weightSlot = parameters + (adaptive ? 1 : 0);
  return { parameters, countSlot, weightSlot, length: weightSlot + 1, unweighted: spec.privacy?.site !== undefined };
}

/**
 * The largest |value| (before weighting) a site may put in any slot, for sizing fixed-point
 * encoding: the clip bound, plus the site's noise share out to {@link NOISE_RANGE_SIGMAS}
 * standard deviations, the noise being split into minSites shares (a round sums at least
 * that many updates). A value past it is clamped by the encoder (probability about 1e-15 per
 * coordinate). Computed from the spec alone, so that every site can check the coordinator's
 * parameters.
 */
export function updateValueBound(spec: ModelSpec): number {
  const site = spec.privacy?.site;
  if (site === undefined) return spec.aggregation.maxUpdateNorm;
  const k = Math.max(1, spec.minSites);
  const clip = site.adaptive?.maxClipNorm ?? site.clipNorm;
  // With adaptive clipping part of the privacy goes to the count, so the update's own noise
  // multiplier z_delta exceeds z (Andrew et al. 2021).
  const z = updateNoiseMultiplier(site);
  const deltaBound = clip * (1 + (NOISE_RANGE_SIGMAS * z) / Math.sqrt(k));
  const countBound = site.adaptive ? 1 + (NOISE_RANGE_SIGMAS * site.adaptive.countNoiseMultiplier) / Math.sqrt(k) : 0;
  return Math.max(deltaBound, countBound);
}

/**
 * What an encrypted run asks of the consortium key, from the spec and the run's site count and
 * weight cap. The coordinator chooses the run's parameters from it and every site recomputes
 * them from it, so the two must be the same function.
 */
export function bfvRunRequest(spec: ModelSpec, maxSummands: number, maxWeight: number): BfvParameterRequest {
  return { length: updateLayout(spec).length, maxSummands, maxAbsValue: updateValueBound(spec), maxWeight, precisionBits: spec.aggregation.precisionBits };
}
