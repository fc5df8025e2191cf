// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Metrics {
  'numExamples'?: (number | string | Long);
  'loss'?: (number | string);
  'accuracy'?: (number | string);
  'auc'?: (number | string);
}

export interface Metrics__Output {
  'numExamples': (string);
  'loss': (number);
  'accuracy': (number);
  'auc': (number);
}
