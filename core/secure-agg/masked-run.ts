/**
 * Which runs are masked and with what threshold: shared by the coordinator (its round stages)
 * and the sites (their steps), so both derive the same numbers from the spec they bound.
 *
 * The coordinator loads this module, so it imports nothing that reaches the HE key's modules
 * (masking/protocol.ts and masking/receipts.ts do, through key-ceremony.ts): the thresholds and
 * the upload digest live in masking/thresholds.ts and masking/upload-digest.ts, which both
 * sides import.
 */
import { CohortError, SecureAggErrors, SiteErrors, SpecErrors } from '../errors/index.ts';
import { defaultThreshold, majorityThreshold } from './masking/thresholds.ts';
import type { SignedUnmask } from './masking/unmask-request.ts';

export { UploadDigest } from './masking/upload-digest.ts';

/** The masking parameters of a run (the spec's `masking`). */
export interface MaskingParameters {
  readonly threshold: 'default' | 'majority';
}

/** The smallest cohort a masked round runs with (fewer: one site could read another's update). */
export const MIN_MASK_COHORT = 3;

/** What of a spec says whether it masks: `masking` absent or an object (on, the default), or `false` (opted out). */
export interface MaskingSpec {
  readonly masking?: false | { readonly threshold?: 'default' | 'majority' | undefined } | undefined;
}

/** What of a run's codec says whether it masks: its kind and, for BFV, the accepted sites it was sized for. */
export interface MaskingCodec {
  readonly kind: string;
  readonly maxSummands?: number | undefined;
}

/** The spec's masking parameters, normalised (the defaults when it names none); undefined when it opts out (`masking: false`). */
export function maskingOf(spec: MaskingSpec): MaskingParameters | undefined {
  return spec.masking === false ? undefined : { threshold: spec.masking?.threshold ?? 'default' };
}

/**
 * Whether a run with this spec and codec masks its updates: every BFV run unless the spec opts
 * out (`masking: false`). Decided from the accepted spec alone, never from the codec's
 * maxSummands: that number comes from the coordinator, which could otherwise run a 3+-site run
 * unmasked by claiming a 2-site cohort (a BFV aggregate does not bound how many ciphertexts the
 * coordinator sums, or whether it sums them at all). A masked spec needs minSites >= 3
 * ({@link maskedCohortRefusal}, at submission and at each site's accept), and a site refuses a
 * masked run's descriptor sized for fewer ({@link maskedDescriptorRefusal}).
 */
export function isMaskedRun(spec: MaskingSpec, codec: MaskingCodec): boolean {
  return codec.kind === 'bfv' && maskingOf(spec) !== undefined;
}

/**
 * The refusal of an encrypted (BFV) run whose spec masks with minSites below
 * {@link MIN_MASK_COHORT}, or undefined: with two sites each one reads the other's update as the
 * sum minus its own, masked or not, so such a spec must raise minSites or say `masking: false`.
 * The coordinator refuses it at submission, a site declines it at the offer.
 */
export function maskedCohortRefusal(spec: MaskingSpec & { readonly minSites: number }): CohortError | undefined {
  if (maskingOf(spec) === undefined || spec.minSites >= MIN_MASK_COHORT) return undefined;
  return new CohortError(
    SpecErrors.MASKED_MIN_SITES,
    `the run is encrypted and masked (masking is on unless the spec says masking: false), and a masked run needs minSites >= ${MIN_MASK_COHORT}; the spec has minSites ${spec.minSites}: set minSites to ${MIN_MASK_COHORT} or more, or masking: false`,
    { details: { field: 'minSites', minSites: spec.minSites, needed: MIN_MASK_COHORT } },
  );
}

/** A site's refusal of a masked run's final descriptor sized for fewer than {@link MIN_MASK_COHORT} sites, or undefined. */
export function maskedDescriptorRefusal(spec: MaskingSpec, codec: MaskingCodec): CohortError | undefined {
  if (!isMaskedRun(spec, codec) || (codec.maxSummands ?? 0) >= MIN_MASK_COHORT) return undefined;
  return new CohortError(
    SecureAggErrors.PARAMS_MISMATCH,
    `the run is masked, and its codec descriptor is sized for ${codec.maxSummands ?? 0} sites; a masked run has at least ${MIN_MASK_COHORT}`,
    { details: { fields: ['maxSummands'], maxSummands: codec.maxSummands ?? 0, needed: MIN_MASK_COHORT } },
  );
}

/**
 * A site's policy on masking (site-config.ts `requireMasking`) against an encrypted run's spec:
 * the refusal to decline the offer with, or undefined. Under `requireMasking` a spec that opts
 * out is declined, whatever the cohort: at the offer the accepted sites are not known yet, and
 * in a run of two the opt-out changes nothing. So is the `majority` threshold: with an odd cohort
 * it lets the coordinator plus one colluding site split the honest sites and read an update
 * (masking/thresholds.ts).
 */
export function maskingPolicyRefusal(spec: MaskingSpec, policy: { readonly requireMasking: boolean }): CohortError | undefined {
  if (!policy.requireMasking) return undefined;
  const masking = maskingOf(spec);
  if (masking === undefined) {
    return new CohortError(SiteErrors.MASKING_REQUIRED, 'the spec opts out of pairwise masking (masking: false), and this site\'s policy requires masking (policy.requireMasking)', { details: { field: 'masking' } });
  }
  if (masking.threshold === 'majority') {
    return new CohortError(SiteErrors.MASKING_REQUIRED, 'the spec asks for the majority masking threshold, which the coordinator and one colluding site can defeat; this site\'s policy requires masking at the default threshold (policy.requireMasking)', {
      details: { field: 'masking.threshold' },
    });
  }
  return undefined;
}

/** The shares needed to rebuild a secret in a cohort of `n` sites. */
export function maskThreshold(n: number, p: MaskingParameters): number {
  return p.threshold === 'majority' ? majorityThreshold(n) : defaultThreshold(n);
}

export type { PublishedUnmask } from './masking/unmask-request.ts';

/** What a masked round's task carries in `mask_json`. */
export interface MaskTaskData {
  /** The signed round keys of the cohort (MaskKeyAdvertisement JSON), in site order. */
  readonly keys?: readonly string[];
  /** TRAIN: the shares sealed to this site (SealedShare JSON), one per cohort member. */
  readonly shares?: readonly string[];
  /** TRAIN: every cohort member's signature over the cohort digest (CohortSignature JSON), relayed from their shares messages. */
  readonly signatures?: readonly string[];
  /** UNMASK: the published survivors and dropped sites, signed by the coordinator (masking/unmask-request.ts). */
  readonly unmask?: SignedUnmask;
}
