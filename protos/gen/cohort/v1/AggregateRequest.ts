// Original file: protos/cohort/v1/site.proto


export interface AggregateRequest {
  'runId'?: (string);
  'round'?: (number);
}

export interface AggregateRequest__Output {
  'runId': (string);
  'round': (number);
}
