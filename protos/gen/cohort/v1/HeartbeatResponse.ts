// Original file: protos/cohort/v1/site.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatResponse {
  'serverTimeMs'?: (number | string | Long);
}

export interface HeartbeatResponse__Output {
  'serverTimeMs': (string);
}
