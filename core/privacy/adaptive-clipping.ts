/**
 * Adaptive clipping to a target quantile (Andrew, Thakkar, McMahan, Ramaswamy 2021,
 * "Differentially Private Learning with Adaptive Clipping"). Each round every site
 * reports b_k = 1 when its update was NOT clipped (||delta_k|| <= S), plus its share
 * N(0, sigma_b^2 / K) of the count noise, inside the same encrypted sum as the update.
 * After decryption every site computes the same next clip norm from the noised sum:
 *
 *   b~ = (sum_k b_k + N(0, sigma_b^2)) / K,   S' = S * exp(-eta * (b~ - gamma))
 *
 * (geometric update: more unclipped updates than the target quantile gamma shrink S).
 * Given K, b~ is the paper's estimator written on b_k in {0, 1} instead of the centred
 * b_k - 1/2 (their sum differs by the public K/2), and the centred sum has sensitivity
 * 1/2 to one site: so the count is a Gaussian mechanism with noise multiplier 2 sigma_b.
 * The paper's Theorem composes it with the update (multiplier z_delta) into one Gaussian
 * mechanism of multiplier z: z^-2 = z_delta^-2 + (2 sigma_b)^-2. The accountant
 * (run-budget.ts) therefore charges the TOTAL z per round, whether adaptive or not.
 *
 * Pure functions: given the decrypted sum, every site computes the same S'.
 */
import { CohortError, PrivacyErrors } from '../errors/index.ts';
import type { GaussianSource } from './gaussian.ts';
import { checkNoiseMultiplier, checkPositive, checkPositiveInteger, invalid } from './validate.ts';

/** The spec's `privacy.site.adaptive` block. */
export interface AdaptiveClippingConfig {
  /** gamma: the fraction of sites whose update should go unclipped, in [0, 1]. */
  readonly targetQuantile: number;
  /** eta: the geometric learning rate of the clip norm, >= 0. */
  readonly learningRate: number;
  /** sigma_b: standard deviation of the noise on the summed unclipped count (sensitivity 1/2 when centred). */
  readonly countNoiseMultiplier: number;
  /** Upper bound on the clip norm, > 0. */
  readonly maxClipNorm: number;
}

/** The clip norm never falls below this: a zero S would zero every update and the noise with it. */
export const MIN_CLIP_NORM = 1e-12;


const checkSites = (k: unknown): number => checkPositiveInteger(k, 'sites');

/**
 * The update noise multiplier under adaptive clipping: z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2),
 * so that update and count together have the privacy of z (Andrew et al. 2021, Theorem 1).
 * @throws CohortError COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL when z^-2 <= (2 sigma_b)^-2 (sigma_b <= z / 2).
 */
export function adaptiveUpdateNoiseMultiplier(z: number, countNoiseMultiplier: number): number {
  checkNoiseMultiplier(z, 'privacy.site.noiseMultiplier');
  const sigmaB = checkNoiseMultiplier(countNoiseMultiplier, 'privacy.site.adaptive.countNoiseMultiplier');
  const total = z ** -2;
  const count = (2 * sigmaB) ** -2;
  if (!(total > count)) {
    throw new CohortError(
      PrivacyErrors.COUNT_NOISE_TOO_SMALL,
      `privacy.site.adaptive.countNoiseMultiplier: ${sigmaB} leaves no privacy for the update at ` +
        `privacy.site.noiseMultiplier ${z}; expected a value above ${z / 2} (half the noise multiplier)`,
      { details: { parameter: 'privacy.site.adaptive.countNoiseMultiplier', noiseMultiplier: z, countNoiseMultiplier: sigmaB } },
    );
  }
  return (total - count) ** -0.5;
}

/** b_k: 1 when the update was not clipped (norm <= S), else 0. */
export function unclippedIndicator(norm: number, clipNorm: number): 0 | 1 {
  return norm <= clipNorm ? 1 : 0;
}

/** Per-site standard deviation of the count noise, so that the K shares sum to sigma_b: sigma_b / sqrt(K). */
export function countNoiseStd(countNoiseMultiplier: number, sites: number): number {
  checkNoiseMultiplier(countNoiseMultiplier, 'countNoiseMultiplier');
  return countNoiseMultiplier / Math.sqrt(checkSites(sites));
}

/** What one site puts into the encrypted count: b_k + N(0, sigma_b^2 / K). Draw it once per site per round. */
export function noisedUnclippedShare(input: {
  readonly norm: number;
  readonly clipNorm: number;
  readonly countNoiseMultiplier: number;
  readonly sites: number;
  readonly rng: GaussianSource;
}): number {
  return unclippedIndicator(input.norm, input.clipNorm) + countNoiseStd(input.countNoiseMultiplier, input.sites) * input.rng.standardNormal();
}

/** What every site computes after decryption. */
export interface NextClipNorm {
  /** b~ = noised sum / K: the noised fraction of unclipped updates (may leave [0, 1] through the noise). */
  readonly unclippedFraction: number;
  /** S * exp(-eta * (b~ - gamma)), clamped to [MIN_CLIP_NORM, maxClipNorm]. */
  readonly clipNorm: number;
}

/**
 * The geometric clip-norm update from the decrypted, noised count sum. Deterministic.
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on out-of-range inputs (named in the message).
 */
export function nextClipNorm(input: {
  readonly clipNorm: number;
  readonly noisedUnclippedSum: number;
  readonly sites: number;
  readonly adaptive: Pick<AdaptiveClippingConfig, 'targetQuantile' | 'learningRate' | 'maxClipNorm'>;
}): NextClipNorm {
  const S = checkPositive(input.clipNorm, 'clipNorm');
  const K = checkSites(input.sites);
  const { targetQuantile: gamma, learningRate: eta, maxClipNorm } = input.adaptive;
  if (typeof gamma !== 'number' || !(gamma >= 0 && gamma <= 1)) throw invalid('privacy.site.adaptive.targetQuantile', 'a number in [0, 1]', gamma);
  checkNoiseMultiplier(eta, 'privacy.site.adaptive.learningRate');
  checkPositive(maxClipNorm, 'privacy.site.adaptive.maxClipNorm');
  if (!Number.isFinite(input.noisedUnclippedSum)) throw invalid('noisedUnclippedSum', 'a finite number', input.noisedUnclippedSum);
  const unclippedFraction = input.noisedUnclippedSum / K;
  const next = S * Math.exp(-eta * (unclippedFraction - gamma));
  return { unclippedFraction, clipNorm: Math.min(maxClipNorm, Math.max(MIN_CLIP_NORM, next)) };
}
