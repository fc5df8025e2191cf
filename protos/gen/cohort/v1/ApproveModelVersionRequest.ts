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
  /**
   * The approver states that the version's fairness review (reviewRequired) was done and the note addresses it.
   */
  'fairnessReviewed'?: (boolean);
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
  /**
   * The approver states that the version's fairness review (reviewRequired) was done and the note addresses it.
   */
  'fairnessReviewed': (boolean);
}
