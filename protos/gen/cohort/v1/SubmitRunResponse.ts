// Original file: protos/cohort/v1/admin.proto


export interface SubmitRunResponse {
  'runId'?: (string);
  'specSha256'?: (string);
}

export interface SubmitRunResponse__Output {
  'runId': (string);
  'specSha256': (string);
}
