// Original file: protos/cohort/v1/admin.proto


export interface SubmitRunRequest {
  /**
   * The model spec as JSON (the CLI parses YAML and validates locally first).
   */
  'specJson'?: (string);
  /**
   * Update codec: "plain" for development or "bfv" (default once available).
   */
  'codec'?: (string);
}

export interface SubmitRunRequest__Output {
  /**
   * The model spec as JSON (the CLI parses YAML and validates locally first).
   */
  'specJson': (string);
  /**
   * Update codec: "plain" for development or "bfv" (default once available).
   */
  'codec': (string);
}
