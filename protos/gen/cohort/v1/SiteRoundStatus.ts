// Original file: protos/cohort/v1/admin.proto

import type { Metrics as _cohort_v1_Metrics, Metrics__Output as _cohort_v1_Metrics__Output } from '../../cohort/v1/Metrics.ts';

export interface SiteRoundStatus {
  'site'?: (string);
  /**
   * The site's update this round: PENDING, DELIVERED, FAILED
   */
  'state'?: (string);
  /**
   * The site's own held-out metrics, only when its release policy lets them go.
   */
  'metrics'?: (_cohort_v1_Metrics | null);
  'failureCode'?: (string);
  'failure'?: (string);
  'weightsSha256'?: (string);
  'trainLoss'?: (number | string);
  /**
   * The site's evaluation of the round's new model: WAITING, PENDING, EVALUATED, FAILED
   */
  'evalState'?: (string);
  /**
   * Its report of the consortium metrics: WAITING, PENDING, REPORTED, FAILED
   */
  'scoreState'?: (string);
}

export interface SiteRoundStatus__Output {
  'site': (string);
  /**
   * The site's update this round: PENDING, DELIVERED, FAILED
   */
  'state': (string);
  /**
   * The site's own held-out metrics, only when its release policy lets them go.
   */
  'metrics': (_cohort_v1_Metrics__Output | null);
  'failureCode': (string);
  'failure': (string);
  'weightsSha256': (string);
  'trainLoss': (number);
  /**
   * The site's evaluation of the round's new model: WAITING, PENDING, EVALUATED, FAILED
   */
  'evalState': (string);
  /**
   * Its report of the consortium metrics: WAITING, PENDING, REPORTED, FAILED
   */
  'scoreState': (string);
}
