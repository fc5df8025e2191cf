// Original file: protos/cohort/v1/admin.proto


export interface GetModelRequest {
  'modelId'?: (string);
}

export interface GetModelRequest__Output {
  'modelId': (string);
}
