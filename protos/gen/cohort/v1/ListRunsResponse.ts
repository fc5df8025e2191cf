// Original file: protos/cohort/v1/admin.proto

import type { RunSummary as _cohort_v1_RunSummary, RunSummary__Output as _cohort_v1_RunSummary__Output } from '../../cohort/v1/RunSummary.ts';

export interface ListRunsResponse {
  'runs'?: (_cohort_v1_RunSummary)[];
}

export interface ListRunsResponse__Output {
  'runs': (_cohort_v1_RunSummary__Output)[];
}
