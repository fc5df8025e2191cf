// Original file: protos/cohort/v1/registry.proto


export interface RollbackModelRequest {
  'name'?: (string);
  'toVersion'?: (number);
  /**
   * Why (required).
   */
  'note'?: (string);
}

export interface RollbackModelRequest__Output {
  'name': (string);
  'toVersion': (number);
  /**
   * Why (required).
   */
  'note': (string);
}
