// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface Cosignature {
  /**
   * The checkpoint cosigned or refused: its tree size and base64 root.
   */
  'treeSize'?: (number | string | Long);
  'root'?: (string);
  /**
   * JSON of core/audit/witness.ts CosignatureLine (empty when refused).
   */
  'cosignatureJson'?: (string);
  /**
   * The refusal's code (COHORT_E_AUDIT_WITNESS_*), empty when cosigned.
   */
  'refusalCode'?: (string);
  /**
   * A refusal's evidence: the checkpoints.jsonl lines of the checkpoint the site kept and of the
   * one it was offered (both coordinator-signed), and the proof it was offered with.
   */
  'refusedKeptJson'?: (string);
  'refusedOfferedJson'?: (string);
  'refusedProof'?: (Buffer | Uint8Array | string)[];
  'refusedProofFrom'?: (number | string | Long);
}

export interface Cosignature__Output {
  /**
   * The checkpoint cosigned or refused: its tree size and base64 root.
   */
  'treeSize': (string);
  'root': (string);
  /**
   * JSON of core/audit/witness.ts CosignatureLine (empty when refused).
   */
  'cosignatureJson': (string);
  /**
   * The refusal's code (COHORT_E_AUDIT_WITNESS_*), empty when cosigned.
   */
  'refusalCode': (string);
  /**
   * A refusal's evidence: the checkpoints.jsonl lines of the checkpoint the site kept and of the
   * one it was offered (both coordinator-signed), and the proof it was offered with.
   */
  'refusedKeptJson': (string);
  'refusedOfferedJson': (string);
  'refusedProof': (Buffer)[];
  'refusedProofFrom': (string);
}
