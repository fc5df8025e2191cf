// Original file: protos/cohort/v1/registry.proto


export interface ModelVersionRef {
  'ref'?: (string);
}

export interface ModelVersionRef__Output {
  'ref': (string);
}
