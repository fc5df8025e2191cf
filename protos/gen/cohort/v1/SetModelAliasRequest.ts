// Original file: protos/cohort/v1/registry.proto


export interface SetModelAliasRequest {
  'name'?: (string);
  'alias'?: (string);
  'version'?: (number);
  'note'?: (string);
}

export interface SetModelAliasRequest__Output {
  'name': (string);
  'alias': (string);
  'version': (number);
  'note': (string);
}
