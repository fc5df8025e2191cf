// Original file: protos/cohort/v1/site.proto


export interface AggregateChunk {
  'index'?: (number);
  'chunkCount'?: (number);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Number of sites whose updates the aggregate holds.
   */
  'contributors'?: (number);
}

export interface AggregateChunk__Output {
  'index': (number);
  'chunkCount': (number);
  'data': (Buffer);
  /**
   * Number of sites whose updates the aggregate holds.
   */
  'contributors': (number);
}
