// Original file: protos/cohort/v1/admin.proto

import type { SiteRoundStatus as _cohort_v1_SiteRoundStatus, SiteRoundStatus__Output as _cohort_v1_SiteRoundStatus__Output } from '../../cohort/v1/SiteRoundStatus.ts';
import type { Metrics as _cohort_v1_Metrics, Metrics__Output as _cohort_v1_Metrics__Output } from '../../cohort/v1/Metrics.ts';
import type { Long } from '@grpc/proto-loader';

export interface RoundStatus {
  'round'?: (number);
  /**
   * (KEYING, SHARING: masked rounds), COLLECTING, (UNMASKING), AGGREGATED, SCORING, CLOSED, FAILED
   */
  'state'?: (string);
  'sites'?: (_cohort_v1_SiteRoundStatus)[];
  'metrics'?: (_cohort_v1_Metrics | null);
  'contributors'?: (number);
  'openedAtMs'?: (number | string | Long);
  'closedAtMs'?: (number | string | Long);
}

export interface RoundStatus__Output {
  'round': (number);
  /**
   * (KEYING, SHARING: masked rounds), COLLECTING, (UNMASKING), AGGREGATED, SCORING, CLOSED, FAILED
   */
  'state': (string);
  'sites': (_cohort_v1_SiteRoundStatus__Output)[];
  'metrics': (_cohort_v1_Metrics__Output | null);
  'contributors': (number);
  'openedAtMs': (string);
  'closedAtMs': (string);
}
