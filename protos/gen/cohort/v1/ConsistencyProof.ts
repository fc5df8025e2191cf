// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface ConsistencyProof {
  'size1'?: (number | string | Long);
  'size2'?: (number | string | Long);
  'proof'?: (Buffer | Uint8Array | string)[];
}

export interface ConsistencyProof__Output {
  'size1': (string);
  'size2': (string);
  'proof': (Buffer)[];
}
