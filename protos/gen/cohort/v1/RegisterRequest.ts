// Original file: protos/cohort/v1/site.proto


export interface RegisterRequest {
  'agentVersion'?: (string);
  'backend'?: (string);
  'datasets'?: (string)[];
}

export interface RegisterRequest__Output {
  'agentVersion': (string);
  'backend': (string);
  'datasets': (string)[];
}
