// Original file: protos/cohort/v1/audit.proto

import type { Long } from '@grpc/proto-loader';

export interface ListRecordsRequest {
  'sinceIndex'?: (number | string | Long);
  'limit'?: (number);
}

export interface ListRecordsRequest__Output {
  'sinceIndex': (string);
  'limit': (number);
}
