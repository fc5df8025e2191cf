// Original file: protos/cohort/v1/admin.proto


export interface CancelRunRequest {
  'runId'?: (string);
}

export interface CancelRunRequest__Output {
  'runId': (string);
}
