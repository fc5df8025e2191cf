/**
 * Which runs are masked and with what threshold: shared by the coordinator (its round stages)
 * and the sites (their steps), so both derive the same numbers from the spec they bound.
 *
 * The coordinator loads this module, so it imports nothing that reaches the HE key's modules
 * (masking/protocol.ts and masking/receipts.ts do, through key-ceremony.ts): the thresholds and
 * the upload digest live in masking/thresholds.ts and masking/upload-digest.ts, which both
 * sides import.
 */
import { defaultThreshold, majorityThreshold } from './masking/thresholds.ts';

export { UploadDigest } from './masking/upload-digest.ts';

/** The masking parameters of a run (the spec's `masking`). */
export interface MaskingParameters {
  readonly threshold: 'default' | 'majority';
}

/** The smallest cohort a masked round runs with (fewer: one site could read another's update). */
export const MIN_MASK_COHORT = 3;

/** The spec's masking parameters, normalised; undefined when the spec has none. */
export function maskingOf(spec: { readonly masking?: { readonly threshold?: 'default' | 'majority' } | undefined }): MaskingParameters | undefined {
  return spec.masking === undefined ? undefined : { threshold: spec.masking.threshold ?? 'default' };
}

/** Whether a run with this spec and codec kind masks its updates: BFV runs whose spec asks for it. */
export function isMaskedRun(spec: { readonly masking?: { readonly threshold?: 'default' | 'majority' } | undefined }, codecKind: string): boolean {
  return codecKind === 'bfv' && maskingOf(spec) !== undefined;
}

/** The shares needed to rebuild a secret in a cohort of `n` sites. */
export function maskThreshold(n: number, p: MaskingParameters): number {
  return p.threshold === 'majority' ? majorityThreshold(n) : defaultThreshold(n);
}

/** The survivors and dropped sites the coordinator publishes when uploads close (protocol.ts UnmaskRequest). */
export interface PublishedUnmask {
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  /** The cohort digest every member signed (protocol.ts CohortSignature.cohort), hex. */
  readonly cohort: string;
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
}

/** What a masked round's task carries in `mask_json`. */
export interface MaskTaskData {
  /** The signed round keys of the cohort (MaskKeyAdvertisement JSON), in site order. */
  readonly keys?: readonly string[];
  /** TRAIN: the shares sealed to this site (SealedShare JSON), one per cohort member. */
  readonly shares?: readonly string[];
  /** TRAIN: every cohort member's signature over the cohort digest (CohortSignature JSON), relayed from their shares messages. */
  readonly signatures?: readonly string[];
  /** UNMASK: the published survivors and dropped sites. */
  readonly unmask?: PublishedUnmask;
}
