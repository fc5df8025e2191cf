// Original file: protos/cohort/v1/site.proto


export interface HeartbeatRequest {
  'state'?: (string);
}

export interface HeartbeatRequest__Output {
  'state': (string);
}
