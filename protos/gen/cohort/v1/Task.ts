// Original file: protos/cohort/v1/site.proto

import type { TaskKind as _cohort_v1_TaskKind, TaskKind__Output as _cohort_v1_TaskKind__Output } from '../../cohort/v1/TaskKind.ts';
import type { Long } from '@grpc/proto-loader';

export interface Task {
  /**
   * Stable id: the same pending task re-sent after a reconnect carries the same id.
   */
  'taskId'?: (string);
  'kind'?: (_cohort_v1_TaskKind);
  'runId'?: (string);
  'round'?: (number);
  /**
   * JSON of the validated model spec (OFFER and, for convenience, every task).
   */
  'specJson'?: (string);
  /**
   * JSON of the codec descriptor (core/update-codec/types.ts).
   */
  'codecJson'?: (string);
  /**
   * JSON of the strategy's FitConfig for TRAIN.
   */
  'fitConfigJson'?: (string);
  /**
   * Final run state for FINISH (COMPLETED, FAILED, CANCELLED).
   */
  'runState'?: (string);
  'message'?: (string);
  /**
   * The data scientist who submitted the run (site policy may restrict submitters).
   */
  'submittedBy'?: (string);
  /**
   * FINISH of a completed run whose model is already in the registry: its id (the site need not upload it again).
   */
  'modelId'?: (string);
  /**
   * Masked rounds (JSON, site-agent/masking.ts MaskTaskData): the cohort's signed keys, the
   * shares sealed to this site (TRAIN), the unmask request (UNMASK).
   */
  'maskJson'?: (string);
  /**
   * Witnessing: the coordinator's latest signed audit checkpoint (a checkpoints.jsonl line,
   * JSON), empty before its first; and the RFC 9162 consistency proof to it from the tree
   * size in `audit_proof_from` (the checkpoint the site last kept).
   */
  'auditCheckpointJson'?: (string);
  'auditProof'?: (Buffer | Uint8Array | string)[];
  'auditProofFrom'?: (number | string | Long);
}

export interface Task__Output {
  /**
   * Stable id: the same pending task re-sent after a reconnect carries the same id.
   */
  'taskId': (string);
  'kind': (_cohort_v1_TaskKind__Output);
  'runId': (string);
  'round': (number);
  /**
   * JSON of the validated model spec (OFFER and, for convenience, every task).
   */
  'specJson': (string);
  /**
   * JSON of the codec descriptor (core/update-codec/types.ts).
   */
  'codecJson': (string);
  /**
   * JSON of the strategy's FitConfig for TRAIN.
   */
  'fitConfigJson': (string);
  /**
   * Final run state for FINISH (COMPLETED, FAILED, CANCELLED).
   */
  'runState': (string);
  'message': (string);
  /**
   * The data scientist who submitted the run (site policy may restrict submitters).
   */
  'submittedBy': (string);
  /**
   * FINISH of a completed run whose model is already in the registry: its id (the site need not upload it again).
   */
  'modelId': (string);
  /**
   * Masked rounds (JSON, site-agent/masking.ts MaskTaskData): the cohort's signed keys, the
   * shares sealed to this site (TRAIN), the unmask request (UNMASK).
   */
  'maskJson': (string);
  /**
   * Witnessing: the coordinator's latest signed audit checkpoint (a checkpoints.jsonl line,
   * JSON), empty before its first; and the RFC 9162 consistency proof to it from the tree
   * size in `audit_proof_from` (the checkpoint the site last kept).
   */
  'auditCheckpointJson': (string);
  'auditProof': (Buffer)[];
  'auditProofFrom': (string);
}
