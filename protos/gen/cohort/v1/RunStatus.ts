// Original file: protos/cohort/v1/admin.proto

import type { SiteParticipation as _cohort_v1_SiteParticipation, SiteParticipation__Output as _cohort_v1_SiteParticipation__Output } from '../../cohort/v1/SiteParticipation.ts';
import type { RoundStatus as _cohort_v1_RoundStatus, RoundStatus__Output as _cohort_v1_RoundStatus__Output } from '../../cohort/v1/RoundStatus.ts';
import type { Long } from '@grpc/proto-loader';

export interface RunStatus {
  'runId'?: (string);
  'name'?: (string);
  /**
   * SUBMITTED, RECRUITING, RUNNING, COMPLETED, FAILED, CANCELLED
   */
  'state'?: (string);
  'currentRound'?: (number);
  'rounds'?: (number);
  'strategy'?: (string);
  'codec'?: (string);
  'submittedBy'?: (string);
  'specSha256'?: (string);
  'sites'?: (_cohort_v1_SiteParticipation)[];
  'roundStatus'?: (_cohort_v1_RoundStatus)[];
  'errorCode'?: (string);
  'error'?: (string);
  'finalWeightsSha256'?: (string);
  'createdAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  /**
   * JSON of the run's codec descriptor (parameters and headroom; no key material).
   */
  'codecJson'?: (string);
  /**
   * The registry entry of the released final model, when there is one.
   */
  'modelId'?: (string);
  /**
   * Whether the run masks its updates (pairwise masks under the encryption): an encrypted run
   * unless its spec says masking: false; a plaintext run never. From the spec alone.
   */
  'masked'?: (boolean);
}

export interface RunStatus__Output {
  'runId': (string);
  'name': (string);
  /**
   * SUBMITTED, RECRUITING, RUNNING, COMPLETED, FAILED, CANCELLED
   */
  'state': (string);
  'currentRound': (number);
  'rounds': (number);
  'strategy': (string);
  'codec': (string);
  'submittedBy': (string);
  'specSha256': (string);
  'sites': (_cohort_v1_SiteParticipation__Output)[];
  'roundStatus': (_cohort_v1_RoundStatus__Output)[];
  'errorCode': (string);
  'error': (string);
  'finalWeightsSha256': (string);
  'createdAtMs': (string);
  'updatedAtMs': (string);
  /**
   * JSON of the run's codec descriptor (parameters and headroom; no key material).
   */
  'codecJson': (string);
  /**
   * The registry entry of the released final model, when there is one.
   */
  'modelId': (string);
  /**
   * Whether the run masks its updates (pairwise masks under the encryption): an encrypted run
   * unless its spec says masking: false; a plaintext run never. From the spec alone.
   */
  'masked': (boolean);
}
