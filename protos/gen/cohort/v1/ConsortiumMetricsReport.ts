// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface ConsortiumMetricsReport {
  'runId'?: (string);
  'round'?: (number);
  /**
   * Held-out rows and evaluating sites in the sum.
   */
  'numExamples'?: (number | string | Long);
  'evaluators'?: (number);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  /**
   * NaN when the pooled rows hold one class.
   */
  'auc'?: (number | string);
  /**
   * Bound on the AUC's distance from the AUC of the pooled, unbinned scores.
   */
  'aucResolution'?: (number | string);
  /**
   * What the spec asks beside them, decrypted from the same sum (core/evaluation/evaluation-layout.ts
   * EvaluationExtras as JSON: fairness, explanations); empty when it asks for none.
   */
  'extrasJson'?: (string);
}

export interface ConsortiumMetricsReport__Output {
  'runId': (string);
  'round': (number);
  /**
   * Held-out rows and evaluating sites in the sum.
   */
  'numExamples': (string);
  'evaluators': (number);
  'loss': (number);
  'accuracy': (number);
  /**
   * NaN when the pooled rows hold one class.
   */
  'auc': (number);
  /**
   * Bound on the AUC's distance from the AUC of the pooled, unbinned scores.
   */
  'aucResolution': (number);
  /**
   * What the spec asks beside them, decrypted from the same sum (core/evaluation/evaluation-layout.ts
   * EvaluationExtras as JSON: fairness, explanations); empty when it asks for none.
   */
  'extrasJson': (string);
}
