// Original file: protos/cohort/v1/registry.proto


export interface ApproveModelVersionRequest {
  'ref'?: (string);
  /**
   * Why it is approved (required).
   */
  'note'?: (string);
  /**
   * The intended clinical use; empty: the spec's description.
   */
  'intendedUse'?: (string);
}

export interface ApproveModelVersionRequest__Output {
  'ref': (string);
  /**
   * Why it is approved (required).
   */
  'note': (string);
  /**
   * The intended clinical use; empty: the spec's description.
   */
  'intendedUse': (string);
}
