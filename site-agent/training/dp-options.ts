/**
 * The record-level DP settings a site hands its trainer, their checks, and how many
 * Poisson-sampled steps a round runs under them.
 */
import { CohortError, TrainingErrors } from '../../core/errors/index.ts';
import { dpSgdSchedule, dpStepsPerRound } from '../../core/privacy/run-budget.ts';
import type { ModelSpec, TrainingSpec } from '../../models/spec-schema.ts';
import type { UniformSource } from './poisson-sampling.ts';

/**
 * The trainer's DP-SGD options at a site with `records` training rows under `spec` (q from
 * dpSgdSchedule); undefined when the spec has no record-level DP.
 */
export function recordDpOptions(spec: Pick<ModelSpec, 'privacy' | 'training'>, records: number, extra: Pick<DpTrainingOptions, 'maxSteps' | 'random'> = {}): DpTrainingOptions | undefined {
  const record = spec.privacy?.record;
  if (!record) return undefined;
  const { samplingRate } = dpSgdSchedule(spec.training, records);
  return { noiseMultiplier: record.noiseMultiplier, clipNorm: record.clipNorm, samplingRate, ...extra };
}

/** Record-level DP-SGD for one round of local training. */
export interface DpTrainingOptions {
  /** sigma: noise standard deviation on each step's clipped sum, in units of clipNorm. */
  readonly noiseMultiplier: number;
  /** C: the L2 bound on each example's gradient over all trainable weights. */
  readonly clipNorm: number;
  /** q: each record joins each step's batch independently with this probability, in (0, 1]. */
  readonly samplingRate: number;
  /**
   * The most steps this round may take (the site's remaining privacy budget in steps):
   * training stops before the step that would exceed it. Absent: no cap.
   */
  readonly maxSteps?: number;
  /**
   * Uniform source for the Poisson sampling and the per-step noise seeds. Absent (production):
   * node:crypto. Tests pass a seeded one (`mulberry32(seed)`) for reproducible runs.
   */
  readonly random?: UniformSource;
}

/** How many steps a DP round runs, and whether the cap cut it short. */
export interface DpStepPlan {
  readonly steps: number;
  /** True when `maxSteps` is below what the spec asks for. */
  readonly stoppedEarly: boolean;
}

function configError(message: string, setting: string): CohortError {
  return new CohortError(TrainingErrors.DP_CONFIG, message, { details: { setting } });
}

/** Throws COHORT_E_TRAINING_DP_CONFIG naming the first setting out of range. */
export function checkDpOptions(dp: DpTrainingOptions): void {
  if (!Number.isFinite(dp.noiseMultiplier) || dp.noiseMultiplier < 0) {
    throw configError(`dp.noiseMultiplier is ${dp.noiseMultiplier}; expected a finite number >= 0`, 'noiseMultiplier');
  }
  if (!Number.isFinite(dp.clipNorm) || dp.clipNorm <= 0) {
    throw configError(`dp.clipNorm is ${dp.clipNorm}; expected a finite number > 0`, 'clipNorm');
  }
  if (!Number.isFinite(dp.samplingRate) || dp.samplingRate <= 0 || dp.samplingRate > 1) {
    throw configError(`dp.samplingRate is ${dp.samplingRate}; expected a number in (0, 1]`, 'samplingRate');
  }
  if (dp.maxSteps !== undefined && (!Number.isSafeInteger(dp.maxSteps) || dp.maxSteps < 0)) {
    throw configError(`dp.maxSteps is ${dp.maxSteps}; expected a whole number >= 0`, 'maxSteps');
  }
}

/**
 * Steps of a DP round: `training.steps` when the spec counts steps, else
 * epochs * round(1/q) (an "epoch" of Poisson sampling visits q*n records per step, so
 * 1/q steps visit n in expectation); then capped at `maxSteps`.
 */
export function dpStepPlan(training: Pick<TrainingSpec, 'epochs' | 'steps'>, dp: Pick<DpTrainingOptions, 'samplingRate' | 'maxSteps'>): DpStepPlan {
  const asked = dpStepsPerRound(training, dp.samplingRate);
  if (dp.maxSteps !== undefined && dp.maxSteps < asked) return { steps: dp.maxSteps, stoppedEarly: true };
  return { steps: asked, stoppedEarly: false };
}
