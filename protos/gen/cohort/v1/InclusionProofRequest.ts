// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface InclusionProofRequest {
  'index'?: (number | string | Long);
  /**
   * 0: the latest checkpoint's tree size.
   */
  'treeSize'?: (number | string | Long);
}

export interface InclusionProofRequest__Output {
  'index': (string);
  /**
   * 0: the latest checkpoint's tree size.
   */
  'treeSize': (string);
}
