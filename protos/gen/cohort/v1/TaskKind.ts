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
  /**
   * Masked rounds: make and advertise fresh round mask keys.
   */
  TASK_KIND_MASK_KEYS: 'TASK_KIND_MASK_KEYS',
  /**
   * Masked rounds: verify the cohort's keys (in `mask_json`), deal and seal the shares.
   */
  TASK_KIND_MASK_SHARES: 'TASK_KIND_MASK_SHARES',
  /**
   * Masked rounds: the published survivors and dropped sites (in `mask_json`); release shares.
   */
  TASK_KIND_UNMASK: 'TASK_KIND_UNMASK',
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
  /**
   * Masked rounds: make and advertise fresh round mask keys.
   */
  | 'TASK_KIND_MASK_KEYS'
  | 6
  /**
   * Masked rounds: verify the cohort's keys (in `mask_json`), deal and seal the shares.
   */
  | 'TASK_KIND_MASK_SHARES'
  | 7
  /**
   * Masked rounds: the published survivors and dropped sites (in `mask_json`); release shares.
   */
  | 'TASK_KIND_UNMASK'
  | 8

export type TaskKind__Output = typeof TaskKind[keyof typeof TaskKind]
