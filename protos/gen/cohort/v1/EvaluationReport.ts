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
  /**
   * The site's own metrics, present only when its release policy allows (site_metrics).
   */
  'numExamples'?: (number | string | Long);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'auc'?: (number | string);
  /**
   * What this run has spent at this site so far.
   */
  'privacy'?: (_cohort_v1_PrivacySpend | null);
  /**
   * The site's evaluation vector under the run's codec (the chunks of its evaluation codec).
   */
  'evaluationChunks'?: (Buffer | Uint8Array | string)[];
  /**
   * Whether fields 4 to 7 hold the site's own metrics.
   */
  'siteMetrics'?: (boolean);
}

export interface EvaluationReport__Output {
  'runId': (string);
  'round': (number);
  /**
   * SHA-256 (hex) of the new global weights after the server step.
   */
  'weightsSha256': (string);
  /**
   * The site's own metrics, present only when its release policy allows (site_metrics).
   */
  'numExamples': (string);
  'loss': (number);
  'accuracy': (number);
  'auc': (number);
  /**
   * What this run has spent at this site so far.
   */
  'privacy': (_cohort_v1_PrivacySpend__Output | null);
  /**
   * The site's evaluation vector under the run's codec (the chunks of its evaluation codec).
   */
  'evaluationChunks': (Buffer)[];
  /**
   * Whether fields 4 to 7 hold the site's own metrics.
   */
  'siteMetrics': (boolean);
}
