// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface SiteParticipation {
  'site'?: (string);
  /**
   * INVITED, ACCEPTED, DECLINED, FAILED
   */
  'state'?: (string);
  'reason'?: (string);
  'numExamples'?: (number | string | Long);
  'datasetFingerprint'?: (string);
  /**
   * JSON of the site's planned and spent privacy (PrivacySpend fields); empty without a report.
   */
  'privacyJson'?: (string);
}

export interface SiteParticipation__Output {
  'site': (string);
  /**
   * INVITED, ACCEPTED, DECLINED, FAILED
   */
  'state': (string);
  'reason': (string);
  'numExamples': (string);
  'datasetFingerprint': (string);
  /**
   * JSON of the site's planned and spent privacy (PrivacySpend fields); empty without a report.
   */
  'privacyJson': (string);
}
