// Original file: protos/cohort/v1/site.proto

import type { PrivacySpend as _cohort_v1_PrivacySpend, PrivacySpend__Output as _cohort_v1_PrivacySpend__Output } from '../../cohort/v1/PrivacySpend.ts';
import type { Long } from '@grpc/proto-loader';

export interface EvaluationReport {
  'runId'?: (string);
  'round'?: (number);
  /**
   * SHA-256 (hex) of the new global weights after the server step.
   */
  'weightsSha256'?: (string);
  'numExamples'?: (number | string | Long);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'auc'?: (number | string);
  /**
   * What this run has spent at this site so far.
   */
  'privacy'?: (_cohort_v1_PrivacySpend | null);
}

export interface EvaluationReport__Output {
  'runId': (string);
  'round': (number);
  /**
   * SHA-256 (hex) of the new global weights after the server step.
   */
  'weightsSha256': (string);
  'numExamples': (string);
  'loss': (number);
  'accuracy': (number);
  'auc': (number);
  /**
   * What this run has spent at this site so far.
   */
  'privacy': (_cohort_v1_PrivacySpend__Output | null);
}
