// Original file: protos/cohort/v1/site.proto

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
   * Number of training examples the site will use (accepted runs).
   */
  'numExamples'?: (number | string | Long);
  /**
   * SHA-256 fingerprint of the site's encoded training data (provenance).
   */
  'datasetFingerprint'?: (string);
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
   * Number of training examples the site will use (accepted runs).
   */
  'numExamples': (string);
  /**
   * SHA-256 fingerprint of the site's encoded training data (provenance).
   */
  'datasetFingerprint': (string);
}
