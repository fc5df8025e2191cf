// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Metrics {
  'numExamples'?: (number | string | Long);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'auc'?: (number | string);
  /**
   * Consortium metrics: sites whose evaluations the sum holds, and the AUC's resolution.
   */
  'evaluators'?: (number);
  'aucResolution'?: (number | string);
}

export interface Metrics__Output {
  'numExamples': (string);
  'loss': (number);
  'accuracy': (number);
  'auc': (number);
  /**
   * Consortium metrics: sites whose evaluations the sum holds, and the AUC's resolution.
   */
  'evaluators': (number);
  'aucResolution': (number);
}
