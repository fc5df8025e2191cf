// Original file: protos/cohort/v1/site.proto


export interface GetSealedKeyRequest {
  'keyId'?: (string);
}

export interface GetSealedKeyRequest__Output {
  'keyId': (string);
}
