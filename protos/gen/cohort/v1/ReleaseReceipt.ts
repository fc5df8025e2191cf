// Original file: protos/cohort/v1/site.proto


export interface ReleaseReceipt {
  'modelId'?: (string);
  'runId'?: (string);
  'weightsSha256'?: (string);
}

export interface ReleaseReceipt__Output {
  'modelId': (string);
  'runId': (string);
  'weightsSha256': (string);
}
