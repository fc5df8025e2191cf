// Original file: protos/cohort/v1/admin.proto

import type { ModelEntry as _cohort_v1_ModelEntry, ModelEntry__Output as _cohort_v1_ModelEntry__Output } from '../../cohort/v1/ModelEntry.ts';

export interface ListModelsResponse {
  'models'?: (_cohort_v1_ModelEntry)[];
}

export interface ListModelsResponse__Output {
  'models': (_cohort_v1_ModelEntry__Output)[];
}
