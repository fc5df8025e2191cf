// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface GetCheckpointRequest {
  'treeSize'?: (number | string | Long);
}

export interface GetCheckpointRequest__Output {
  'treeSize': (string);
}
