// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface SiteInfo {
  'site'?: (string);
  'agentVersion'?: (string);
  'backend'?: (string);
  'connected'?: (boolean);
  'lastHeartbeatMs'?: (number | string | Long);
}

export interface SiteInfo__Output {
  'site': (string);
  'agentVersion': (string);
  'backend': (string);
  'connected': (boolean);
  'lastHeartbeatMs': (string);
}
