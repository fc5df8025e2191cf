// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface ListCheckpointsRequest {
  /**
   * Position (in checkpoints.jsonl, from 0) of the first checkpoint given.
   */
  'sinceIndex'?: (number | string | Long);
  'limit'?: (number);
}

export interface ListCheckpointsRequest__Output {
  /**
   * Position (in checkpoints.jsonl, from 0) of the first checkpoint given.
   */
  'sinceIndex': (string);
  'limit': (number);
}
