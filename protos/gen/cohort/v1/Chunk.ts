// Original file: protos/cohort/v1/site.proto


export interface Chunk {
  'index'?: (number);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Chunk__Output {
  'index': (number);
  'data': (Buffer);
}
