/**
 * The inverse question: the smallest noise multiplier whose epsilon, after
 * `steps` subsampled Gaussian steps, is at most a target at a given delta.
 * Epsilon falls as sigma grows, so a bisection on log(sigma) finds it.
 */
import { CohortError, PrivacyErrors } from '../errors/index.ts';
import type { EpsilonAtOrder } from './conversion.ts';
import { computeEpsilon, type AccountantOptions } from './rdp-accountant.ts';
import { checkDelta, checkEpsilon, checkSamplingRate, checkSteps } from './validate.ts';

/** The search gives up above this noise multiplier. */
export const MAX_NOISE_MULTIPLIER = 1e4;
/** The answer is within this factor of the exact threshold: hi / lo <= 1 + tolerance at the end. */
const NOISE_RELATIVE_TOLERANCE = 1e-6;
/** Below this sigma the search stops shrinking (only reached for targets so large that any noise meets them). */
const MIN_NOISE_MULTIPLIER = 1e-6;

/** What noiseForTargetEpsilon needs. */
export interface NoiseSearchInput {
  readonly targetEpsilon: number;
  readonly q: number;
  readonly steps: number;
  readonly delta: number;
}

/** The smallest noise multiplier found, with the epsilon it gives and the best order. */
export interface NoiseSearchResult extends EpsilonAtOrder {
  readonly noiseMultiplier: number;
}

/**
 * Smallest sigma (to relative tolerance NOISE_RELATIVE_TOLERANCE) with
 * epsilon(q, sigma, steps, delta) <= targetEpsilon. The returned sigma always
 * meets the target; sigma / (1 + tolerance) does not (unless sigma is 0, when no
 * noise is needed: q = 0 or steps = 0).
 * @throws CohortError COHORT_E_PRIVACY_TARGET_UNREACHABLE when even sigma = MAX_NOISE_MULTIPLIER misses the target.
 */
export function noiseForTargetEpsilon(input: NoiseSearchInput, options: AccountantOptions = {}): NoiseSearchResult {
  const targetEpsilon = checkEpsilon(input.targetEpsilon, 'targetEpsilon');
  const q = checkSamplingRate(input.q, 'q');
  const steps = checkSteps(input.steps);
  const delta = checkDelta(input.delta);
  const at = (sigma: number): EpsilonAtOrder => computeEpsilon({ q, sigma, steps, delta }, options);

  const free = at(0);
  if (free.epsilon <= targetEpsilon) return { noiseMultiplier: 0, ...free };
  const atMax = at(MAX_NOISE_MULTIPLIER);
  if (atMax.epsilon > targetEpsilon) {
    throw new CohortError(
      PrivacyErrors.TARGET_UNREACHABLE,
      `targetEpsilon: ${targetEpsilon} cannot be met at delta ${delta} with q ${q} over ${steps} steps; ` +
        `even noise multiplier ${MAX_NOISE_MULTIPLIER} gives epsilon ${atMax.epsilon}`,
      { details: { targetEpsilon, delta, q, steps, maxNoiseMultiplier: MAX_NOISE_MULTIPLIER, epsilonAtMax: atMax.epsilon } },
    );
  }

  // Bracket [lo, hi] with epsilon(lo) > target >= epsilon(hi), by doubling or halving from 1.
  let lo = 1;
  let hi = 1;
  let best = at(1);
  if (best.epsilon > targetEpsilon) {
    do {
      lo = hi;
      hi = Math.min(hi * 2, MAX_NOISE_MULTIPLIER);
      best = hi === MAX_NOISE_MULTIPLIER ? atMax : at(hi);
    } while (best.epsilon > targetEpsilon);
  } else {
    for (;;) {
      hi = lo;
      lo /= 2;
      if (lo < MIN_NOISE_MULTIPLIER) return { noiseMultiplier: hi, ...best };
      const e = at(lo);
      if (e.epsilon > targetEpsilon) break;
      best = e;
    }
  }

  while (hi / lo > 1 + NOISE_RELATIVE_TOLERANCE) {
    const mid = Math.sqrt(lo * hi);
    const e = at(mid);
    if (e.epsilon <= targetEpsilon) {
      hi = mid;
      best = e;
    } else {
      lo = mid;
    }
  }
  return { noiseMultiplier: hi, ...best };
}
