// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface ConsistencyProofRequest {
  'size1'?: (number | string | Long);
  /**
   * 0: the latest checkpoint's tree size.
   */
  'size2'?: (number | string | Long);
}

export interface ConsistencyProofRequest__Output {
  'size1': (string);
  /**
   * 0: the latest checkpoint's tree size.
   */
  'size2': (string);
}
