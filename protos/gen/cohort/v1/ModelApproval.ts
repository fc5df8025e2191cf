// Original file: protos/cohort/v1/registry.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelApproval {
  /**
   * PENDING or APPROVED
   */
  'state'?: (string);
  'approvedBy'?: (string);
  'approvedAtMs'?: (number | string | Long);
  'note'?: (string);
}

export interface ModelApproval__Output {
  /**
   * PENDING or APPROVED
   */
  'state': (string);
  'approvedBy': (string);
  'approvedAtMs': (string);
  'note': (string);
}
