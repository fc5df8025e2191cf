// Original file: protos/cohort/v1/site.proto

import type { UpdateHeader as _cohort_v1_UpdateHeader, UpdateHeader__Output as _cohort_v1_UpdateHeader__Output } from '../../cohort/v1/UpdateHeader.ts';
import type { Chunk as _cohort_v1_Chunk, Chunk__Output as _cohort_v1_Chunk__Output } from '../../cohort/v1/Chunk.ts';

export interface UpdateChunk {
  'header'?: (_cohort_v1_UpdateHeader | null);
  'chunk'?: (_cohort_v1_Chunk | null);
  'body'?: "header"|"chunk";
}

export interface UpdateChunk__Output {
  'header'?: (_cohort_v1_UpdateHeader__Output | null);
  'chunk'?: (_cohort_v1_Chunk__Output | null);
  'body'?: "header"|"chunk";
}
