// Original file: protos/cohort/v1/registry.proto


export interface ListModelVersionsRequest {
  /**
   * Empty: every registered model.
   */
  'name'?: (string);
}

export interface ListModelVersionsRequest__Output {
  /**
   * Empty: every registered model.
   */
  'name': (string);
}
