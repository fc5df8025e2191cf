// Original file: protos/cohort/v1/site.proto


export interface ReleaseModelRequest {
  'runId'?: (string);
  /**
   * Float32 little-endian weights in the model's flat order.
   */
  'weights'?: (Buffer | Uint8Array | string);
  'weightsSha256'?: (string);
}

export interface ReleaseModelRequest__Output {
  'runId': (string);
  /**
   * Float32 little-endian weights in the model's flat order.
   */
  'weights': (Buffer);
  'weightsSha256': (string);
}
