// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface InclusionProof {
  'index'?: (number | string | Long);
  'treeSize'?: (number | string | Long);
  /**
   * The record's line, without its newline.
   */
  'line'?: (string);
  /**
   * The audit path, leaf to root; each element 32 bytes.
   */
  'proof'?: (Buffer | Uint8Array | string)[];
}

export interface InclusionProof__Output {
  'index': (string);
  'treeSize': (string);
  /**
   * The record's line, without its newline.
   */
  'line': (string);
  /**
   * The audit path, leaf to root; each element 32 bytes.
   */
  'proof': (Buffer)[];
}
