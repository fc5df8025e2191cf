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
  /**
   * cox-ph runs (NaN otherwise, or without a comparable pair): Harrell's C-index. Consortium
   * metrics: the pooled concordance of the summed within-site pair counts (also in auc), and
   * mean_c_index the mean of the sites' own test C-indexes (FLamby's metric, to 2^-17). A site's
   * own metrics: its test C-index, mean_c_index NaN.
   */
  'cIndex'?: (number | string);
  'meanCIndex'?: (number | string);
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
  /**
   * cox-ph runs (NaN otherwise, or without a comparable pair): Harrell's C-index. Consortium
   * metrics: the pooled concordance of the summed within-site pair counts (also in auc), and
   * mean_c_index the mean of the sites' own test C-indexes (FLamby's metric, to 2^-17). A site's
   * own metrics: its test C-index, mean_c_index NaN.
   */
  'cIndex': (number);
  'meanCIndex': (number);
}
