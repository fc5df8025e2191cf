/**
 * Which runs are masked and with what threshold: shared by the coordinator (its round stages)
 * and the sites (their steps), so both derive the same numbers from the spec they bound.
 *
 * The coordinator loads this module, so it imports nothing that reaches the HE key's modules
 * (masking/protocol.ts and masking/receipts.ts do, through key-ceremony.ts): the thresholds and
 * the upload digest live in masking/thresholds.ts and masking/upload-digest.ts, which both
 * sides import.
 */
import { CohortError, SiteErrors } from '../errors/index.ts';
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

/** Whether the spec opts out of masking explicitly (`masking: false`). */
export function optsOutOfMasking(spec: MaskingSpec): boolean {
  return spec.masking === false;
}

/**
 * Whether a run with this spec and codec masks its updates: every BFV run whose accepted cohort
 * (the codec's maxSummands, fixed from the accepted sites when recruiting ends) has at least
 * {@link MIN_MASK_COHORT} sites, unless the spec opts out. With two sites each one reads the
 * other's update as the sum minus its own, masked or not, so a 2-site run is not masked. A site
 * derives this from the codec it decrypts under: an unmasked aggregate can never sum more than
 * maxSummands updates (chunk-format.ts), so a coordinator cannot run 3+ sites unmasked by
 * claiming a smaller cohort.
 */
export function isMaskedRun(spec: MaskingSpec, codec: MaskingCodec): boolean {
  return codec.kind === 'bfv' && (codec.maxSummands ?? 0) >= MIN_MASK_COHORT && maskingOf(spec) !== undefined;
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
