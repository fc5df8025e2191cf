// Original file: protos/cohort/v1/registry.proto

import type { ModelVersion as _cohort_v1_ModelVersion, ModelVersion__Output as _cohort_v1_ModelVersion__Output } from '../../cohort/v1/ModelVersion.ts';
import type { ModelAlias as _cohort_v1_ModelAlias, ModelAlias__Output as _cohort_v1_ModelAlias__Output } from '../../cohort/v1/ModelAlias.ts';

export interface ListModelVersionsResponse {
  'versions'?: (_cohort_v1_ModelVersion)[];
  'aliases'?: (_cohort_v1_ModelAlias)[];
}

export interface ListModelVersionsResponse__Output {
  'versions': (_cohort_v1_ModelVersion__Output)[];
  'aliases': (_cohort_v1_ModelAlias__Output)[];
}
