// Original file: protos/cohort/v1/site.proto


export interface Ack {
  'ok'?: (boolean);
}

export interface Ack__Output {
  'ok': (boolean);
}
