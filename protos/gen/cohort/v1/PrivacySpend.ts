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
  /**
   * How the site releases its record count: "exact", "rounded to N" or "withheld".
   */
  'recordCounts'?: (string);
  /**
   * Whether the site sends its own metrics (held-out and training loss) to the coordinator.
   */
  'siteMetrics'?: (boolean);
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
  /**
   * How the site releases its record count: "exact", "rounded to N" or "withheld".
   */
  'recordCounts': (string);
  /**
   * Whether the site sends its own metrics (held-out and training loss) to the coordinator.
   */
  'siteMetrics': (boolean);
}
