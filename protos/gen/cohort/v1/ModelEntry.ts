// Original file: protos/cohort/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ModelEntry {
  'modelId'?: (string);
  'runId'?: (string);
  'name'?: (string);
  'weightsSha256'?: (string);
  'specSha256'?: (string);
  /**
   * The site that uploaded the weights.
   */
  'releasedBy'?: (string);
  'releasedAtMs'?: (number | string | Long);
  'bytes'?: (number | string | Long);
  /**
   * JSON: per-site privacy spent, dataset fingerprints, codec, final metrics.
   */
  'provenanceJson'?: (string);
}

export interface ModelEntry__Output {
  'modelId': (string);
  'runId': (string);
  'name': (string);
  'weightsSha256': (string);
  'specSha256': (string);
  /**
   * The site that uploaded the weights.
   */
  'releasedBy': (string);
  'releasedAtMs': (string);
  'bytes': (string);
  /**
   * JSON: per-site privacy spent, dataset fingerprints, codec, final metrics.
   */
  'provenanceJson': (string);
}
