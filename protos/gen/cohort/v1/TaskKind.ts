// Original file: protos/cohort/v1/site.proto

export const TaskKind = {
  TASK_KIND_UNSPECIFIED: 'TASK_KIND_UNSPECIFIED',
  /**
   * Decide whether to join a run (spec in `spec_json`).
   */
  TASK_KIND_OFFER: 'TASK_KIND_OFFER',
  /**
   * Train for `round` and upload an update.
   */
  TASK_KIND_TRAIN: 'TASK_KIND_TRAIN',
  /**
   * Download the aggregate of `round`, apply the server step, evaluate, report.
   */
  TASK_KIND_EVALUATE: 'TASK_KIND_EVALUATE',
  /**
   * The run ended (completed, failed or cancelled); the site may clean up.
   */
  TASK_KIND_FINISH: 'TASK_KIND_FINISH',
  /**
   * Download the summed evaluation of `round`, decrypt it, report the consortium metrics.
   */
  TASK_KIND_SCORE: 'TASK_KIND_SCORE',
} as const;

export type TaskKind =
  | 'TASK_KIND_UNSPECIFIED'
  | 0
  /**
   * Decide whether to join a run (spec in `spec_json`).
   */
  | 'TASK_KIND_OFFER'
  | 1
  /**
   * Train for `round` and upload an update.
   */
  | 'TASK_KIND_TRAIN'
  | 2
  /**
   * Download the aggregate of `round`, apply the server step, evaluate, report.
   */
  | 'TASK_KIND_EVALUATE'
  | 3
  /**
   * The run ended (completed, failed or cancelled); the site may clean up.
   */
  | 'TASK_KIND_FINISH'
  | 4
  /**
   * Download the summed evaluation of `round`, decrypt it, report the consortium metrics.
   */
  | 'TASK_KIND_SCORE'
  | 5

export type TaskKind__Output = typeof TaskKind[keyof typeof TaskKind]
