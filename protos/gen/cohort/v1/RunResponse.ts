// Original file: protos/cohort/v1/site.proto

import type { PrivacySpend as _cohort_v1_PrivacySpend, PrivacySpend__Output as _cohort_v1_PrivacySpend__Output } from '../../cohort/v1/PrivacySpend.ts';
import type { Long } from '@grpc/proto-loader';

export interface RunResponse {
  'runId'?: (string);
  'accept'?: (boolean);
  /**
   * Why the site declined (coded), empty when it accepts.
   */
  'reasonCode'?: (string);
  'reason'?: (string);
  /**
   * Number of training examples the site will use (accepted runs), as its release policy
   * gives it: exact, rounded, or 0 when withheld.
   */
  'numExamples'?: (number | string | Long);
  /**
   * SHA-256 fingerprint of the site's encoded training data (provenance).
   */
  'datasetFingerprint'?: (string);
  /**
   * What the whole run would spend at this site (accepted runs).
   */
  'planned'?: (_cohort_v1_PrivacySpend | null);
}

export interface RunResponse__Output {
  'runId': (string);
  'accept': (boolean);
  /**
   * Why the site declined (coded), empty when it accepts.
   */
  'reasonCode': (string);
  'reason': (string);
  /**
   * Number of training examples the site will use (accepted runs), as its release policy
   * gives it: exact, rounded, or 0 when withheld.
   */
  'numExamples': (string);
  /**
   * SHA-256 fingerprint of the site's encoded training data (provenance).
   */
  'datasetFingerprint': (string);
  /**
   * What the whole run would spend at this site (accepted runs).
   */
  'planned': (_cohort_v1_PrivacySpend__Output | null);
}
