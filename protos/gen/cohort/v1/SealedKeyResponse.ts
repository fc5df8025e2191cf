// Original file: protos/cohort/v1/site.proto


export interface SealedKeyResponse {
  'sealedJson'?: (string);
}

export interface SealedKeyResponse__Output {
  'sealedJson': (string);
}
