// Original file: /work/main/protos/cohort/v1/admin.proto

import type { Metrics as _cohort_v1_Metrics, Metrics__Output as _cohort_v1_Metrics__Output } from '../../cohort/v1/Metrics.ts';

export interface SiteRoundStatus {
  'site'?: (string);
  /**
   * PENDING, TRAINING, DELIVERED, FAILED, EVALUATED
   */
  'state'?: (string);
  'metrics'?: (_cohort_v1_Metrics | null);
  'failureCode'?: (string);
  'failure'?: (string);
  'weightsSha256'?: (string);
  'trainLoss'?: (number | string);
}

export interface SiteRoundStatus__Output {
  'site': (string);
  /**
   * PENDING, TRAINING, DELIVERED, FAILED, EVALUATED
   */
  'state': (string);
  'metrics': (_cohort_v1_Metrics__Output | null);
  'failureCode': (string);
  'failure': (string);
  'weightsSha256': (string);
  'trainLoss': (number);
}
