// Original file: protos/cohort/v1/site.proto


export interface RegisterResponse {
  'site'?: (string);
  'consortium'?: (string);
  'heartbeatIntervalMs'?: (number);
}

export interface RegisterResponse__Output {
  'site': (string);
  'consortium': (string);
  'heartbeatIntervalMs': (number);
}
