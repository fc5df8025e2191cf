// Original file: protos/cohort/v1/registry.proto

import type { ModelVersion as _cohort_v1_ModelVersion, ModelVersion__Output as _cohort_v1_ModelVersion__Output } from '../../cohort/v1/ModelVersion.ts';

export interface ModelVersionExport {
  'version'?: (_cohort_v1_ModelVersion | null);
  /**
   * Float32 little-endian, in the spec's weight layout (models/weight-layout.ts).
   */
  'weights'?: (Buffer | Uint8Array | string);
}

export interface ModelVersionExport__Output {
  'version': (_cohort_v1_ModelVersion__Output | null);
  /**
   * Float32 little-endian, in the spec's weight layout (models/weight-layout.ts).
   */
  'weights': (Buffer);
}
