// Original file: protos/cohort/v1/audit.proto

import type { AuditCheckpoint as _cohort_v1_AuditCheckpoint, AuditCheckpoint__Output as _cohort_v1_AuditCheckpoint__Output } from '../../cohort/v1/AuditCheckpoint.ts';

export interface ListCheckpointsResponse {
  'checkpoints'?: (_cohort_v1_AuditCheckpoint)[];
}

export interface ListCheckpointsResponse__Output {
  'checkpoints': (_cohort_v1_AuditCheckpoint__Output)[];
}
