// Original file: protos/cohort/v1/site.proto


export interface FailureReport {
  'runId'?: (string);
  'round'?: (number);
  'code'?: (string);
  'message'?: (string);
}

export interface FailureReport__Output {
  'runId': (string);
  'round': (number);
  'code': (string);
  'message': (string);
}
