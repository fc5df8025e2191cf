// Original file: protos/cohort/v1/site.proto


export interface FinishAck {
  'runId'?: (string);
}

export interface FinishAck__Output {
  'runId': (string);
}
