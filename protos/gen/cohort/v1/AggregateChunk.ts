// Original file: protos/cohort/v1/site.proto


export interface AggregateChunk {
  'index'?: (number);
  'chunkCount'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Number of sites whose updates the aggregate holds.
   */
  'contributors'?: (number);
  /**
   * Masked rounds, on the first chunk: a JSON array of the signed receipts of the survivors
   * whose updates the aggregate sums; each site verifies them before it decrypts.
   */
  'receiptsJson'?: (string);
}

export interface AggregateChunk__Output {
  'index': (number);
  'chunkCount': (number);
  'data': (Buffer);
  /**
   * Number of sites whose updates the aggregate holds.
   */
  'contributors': (number);
  /**
   * Masked rounds, on the first chunk: a JSON array of the signed receipts of the survivors
   * whose updates the aggregate sums; each site verifies them before it decrypts.
   */
  'receiptsJson': (string);
}
