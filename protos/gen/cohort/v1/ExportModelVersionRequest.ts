// Original file: protos/cohort/v1/registry.proto


export interface ExportModelVersionRequest {
  'ref'?: (string);
  /**
   * operator only: export a version that is not approved (recorded).
   */
  'allowUnapproved'?: (boolean);
}

export interface ExportModelVersionRequest__Output {
  'ref': (string);
  /**
   * operator only: export a version that is not approved (recorded).
   */
  'allowUnapproved': (boolean);
}
