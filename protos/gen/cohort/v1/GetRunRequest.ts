// Original file: /work/main/protos/cohort/v1/admin.proto


export interface GetRunRequest {
  'runId'?: (string);
}

export interface GetRunRequest__Output {
  'runId': (string);
}
