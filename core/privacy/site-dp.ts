/**
 * Site-level differential privacy (DP-FedAvg, McMahan et al. 2018): each site clips
 * its model update to L2 norm S and adds its share of the Gaussian noise before the
 * update is encoded and encrypted. With K sites each adding N(0, (z S)^2 / K) per
 * coordinate, the decrypted sum carries N(0, (z S)^2): the Gaussian mechanism with
 * noise multiplier z on a sum whose sensitivity to one site is S. No site's own share
 * (variance (z S)^2 / K) is enough alone; the guarantee assumes all K sites add theirs.
 *
 * The update is sent UNWEIGHTED (weight 1 per site) and the sum divided by the public
 * site count K. The noise is calibrated to the sum's sensitivity, the most one site
 * can change it; with weight 1 and clipping that is exactly S. Weighting by example
 * counts (n_k / sum n) would make it depend on the sites' private n_k, and removing one
 * site would also change every other site's weight, so S would no longer bound it.
 */
import { CohortError, PrivacyErrors } from '../errors/index.ts';
import { adaptiveUpdateNoiseMultiplier, type AdaptiveClippingConfig } from './adaptive-clipping.ts';
import type { GaussianSource } from './gaussian.ts';
import { checkNoiseMultiplier, checkPositive, checkPositiveInteger } from './validate.ts';

/** The spec's `privacy.site` block. */
export interface SiteDpConfig {
  /** z: the total noise multiplier of the site-level mechanism (update and, when adaptive, count). */
  readonly noiseMultiplier: number;
  /** S: the clip norm (the initial one when adaptive). */
  readonly clipNorm: number;
  readonly adaptive?: AdaptiveClippingConfig;
}

/** What privatizeUpdate needs. */
export interface PrivatizeOptions {
  /** S: the L2 norm the update is clipped to, > 0. */
  readonly clipNorm: number;
  /** Per-coordinate noise standard deviation: `siteNoiseStd(zDelta, S, K)`. 0 adds nothing. */
  readonly noiseStd: number;
  /** The noise source: `GaussianSampler.secure()` in production. */
  readonly rng: GaussianSource;
}

/** A clipped and noised update, with the norm before clipping (for adaptive clipping). */
export interface PrivatizedUpdate {
  /** delta * min(1, S / ||delta||) + N(0, noiseStd^2 I). */
  readonly clipped: Float64Array;
  /** ||delta||_2 before clipping. */
  readonly norm: number;
  /** True when ||delta|| > S, so the update was scaled down. */
  readonly wasClipped: boolean;
}


const checkClipNorm = (S: unknown, name = 'clipNorm'): number => checkPositive(S, name);

/**
 * Per-site noise standard deviation so that the sum over K sites has standard
 * deviation zDelta * S: zDelta * S / sqrt(K).
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on a negative zDelta, S <= 0, or K not a positive integer.
 */
export function siteNoiseStd(zDelta: number, clipNorm: number, sites: number): number {
  checkNoiseMultiplier(zDelta, 'zDelta');
  checkClipNorm(clipNorm);
  checkPositiveInteger(sites, 'sites');
  return (zDelta * clipNorm) / Math.sqrt(sites);
}

/**
 * z_delta, the noise multiplier of the update itself: z with fixed clipping; with
 * adaptive clipping what the count leaves of z (adaptiveUpdateNoiseMultiplier).
 * @throws CohortError COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL when the count noise leaves nothing for the update.
 */
export function updateNoiseMultiplier(site: SiteDpConfig): number {
  const z = checkNoiseMultiplier(site.noiseMultiplier, 'privacy.site.noiseMultiplier');
  return site.adaptive === undefined ? z : adaptiveUpdateNoiseMultiplier(z, site.adaptive.countNoiseMultiplier);
}

/** L2 norm without overflow or underflow: the sum of squares is taken after scaling by the largest magnitude. */
function l2Norm(v: Float32Array | Float64Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (!Number.isFinite(a)) {
      // The index only: the value derives from patient data.
      throw new CohortError(PrivacyErrors.UPDATE_NOT_FINITE, `update: coordinate ${i} is not a finite number`, { details: { index: i } });
    }
    if (a > max) max = a;
  }
  if (max === 0) return 0;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const s = v[i]! / max;
    sum += s * s;
  }
  return max * Math.sqrt(sum);
}

/**
 * Clips `delta` to L2 norm `clipNorm` and adds N(0, noiseStd^2) to every coordinate,
 * in float64. Noise is drawn once per call: call it exactly once per site per round.
 * @throws CohortError COHORT_E_PRIVACY_UPDATE_NOT_FINITE when delta holds NaN or an infinity.
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on clipNorm <= 0 or a negative noiseStd.
 */
export function privatizeUpdate(delta: Float32Array | Float64Array, options: PrivatizeOptions): PrivatizedUpdate {
  const S = checkClipNorm(options.clipNorm);
  checkNoiseMultiplier(options.noiseStd, 'noiseStd');
  const norm = l2Norm(delta);
  const wasClipped = norm > S;
  const scale = wasClipped ? S / norm : 1;
  const clipped = options.rng.fillGaussian(new Float64Array(delta.length), options.noiseStd);
  for (let i = 0; i < delta.length; i++) clipped[i] = delta[i]! * scale + clipped[i]!;
  return { clipped, norm, wasClipped };
}
