// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RunSummary {
  'runId'?: (string);
  'name'?: (string);
  'state'?: (string);
  'currentRound'?: (number);
  'rounds'?: (number);
  'submittedBy'?: (string);
  'createdAtMs'?: (number | string | Long);
}

export interface RunSummary__Output {
  'runId': (string);
  'name': (string);
  'state': (string);
  'currentRound': (number);
  'rounds': (number);
  'submittedBy': (string);
  'createdAtMs': (string);
}
