// Original file: protos/cohort/v1/admin.proto

import type { ModelEntry as _cohort_v1_ModelEntry, ModelEntry__Output as _cohort_v1_ModelEntry__Output } from '../../cohort/v1/ModelEntry.ts';

export interface ModelBlob {
  'model'?: (_cohort_v1_ModelEntry | null);
  'weights'?: (Buffer | Uint8Array | string);
}

export interface ModelBlob__Output {
  'model': (_cohort_v1_ModelEntry__Output | null);
  'weights': (Buffer);
}
