// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

/**
 * What a site's participation in a run costs its patients (record level, DP-SGD) and its
 * hospital (site level), as the site's own accountant computes it.
 */
export interface PrivacySpend {
  /**
   * The guarantee for one patient: min(record_epsilon, site_epsilon); +Inf without DP.
   */
  'epsilon'?: (number | string);
  'delta'?: (number | string);
  'recordEpsilon'?: (number | string);
  'siteEpsilon'?: (number | string);
  'steps'?: (number | string | Long);
  /**
   * The site stopped training because the next step would cross its budget.
   */
  'stoppedAtBudget'?: (boolean);
}

/**
 * What a site's participation in a run costs its patients (record level, DP-SGD) and its
 * hospital (site level), as the site's own accountant computes it.
 */
export interface PrivacySpend__Output {
  /**
   * The guarantee for one patient: min(record_epsilon, site_epsilon); +Inf without DP.
   */
  'epsilon': (number);
  'delta': (number);
  'recordEpsilon': (number);
  'siteEpsilon': (number);
  'steps': (string);
  /**
   * The site stopped training because the next step would cross its budget.
   */
  'stoppedAtBudget': (boolean);
}
