// Original file: protos/cohort/v1/audit.proto

import type { AuditCheckpoint as _cohort_v1_AuditCheckpoint, AuditCheckpoint__Output as _cohort_v1_AuditCheckpoint__Output } from '../../cohort/v1/AuditCheckpoint.ts';
import type { Long } from '@grpc/proto-loader';

export interface ListCheckpointsResponse {
  'checkpoints'?: (_cohort_v1_AuditCheckpoint)[];
  /**
   * Position of the first checkpoint given (since_index).
   */
  'firstIndex'?: (number | string | Long);
  /**
   * Checkpoints in the file when the page was read.
   */
  'total'?: (number | string | Long);
  /**
   * Where the next page starts; equal to total when this page reached the end.
   */
  'nextIndex'?: (number | string | Long);
}

export interface ListCheckpointsResponse__Output {
  'checkpoints': (_cohort_v1_AuditCheckpoint__Output)[];
  /**
   * Position of the first checkpoint given (since_index).
   */
  'firstIndex': (string);
  /**
   * Checkpoints in the file when the page was read.
   */
  'total': (string);
  /**
   * Where the next page starts; equal to total when this page reached the end.
   */
  'nextIndex': (string);
}
