// Original file: protos/cohort/v1/site.proto

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
}
