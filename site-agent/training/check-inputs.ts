/**
 * Checks what the trainer is handed before any tensor is made. Messages name rows and
 * columns, never values (the matrix holds patient data).
 */
import { CohortError, TrainingErrors } from '../../core/errors/index.ts';
import { designColumns, type Matrix } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

function dataError(message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(TrainingErrors.DATA_SHAPE, message, { details });
}

/** Throws COHORT_E_TRAINING_DATA_SHAPE unless `data` is a non-empty, finite, 0/1-labelled matrix of the spec's width. */
export function checkMatrix(spec: Pick<ModelSpec, 'features'>, data: Matrix, purpose: 'training' | 'evaluation'): void {
  const columns = designColumns(spec);
  if (data.rows <= 0) throw dataError(`the ${purpose} data has no rows`);
  if (data.cols !== columns.length) {
    throw dataError(`the ${purpose} matrix has ${data.cols} columns but the spec's design matrix has ${columns.length}`, {
      expected: columns.length,
      actual: data.cols,
    });
  }
  if (data.x.length !== data.rows * data.cols || data.y.length !== data.rows) {
    throw dataError(`the ${purpose} matrix holds ${data.x.length} values and ${data.y.length} labels for ${data.rows} rows of ${data.cols} columns`);
  }
  for (let i = 0; i < data.x.length; i++) {
    if (!Number.isFinite(data.x[i])) {
      const row = Math.floor(i / data.cols);
      const column = columns[i % data.cols];
      throw dataError(`the ${purpose} matrix has a non-finite value in row ${row}, column "${column}"`, { row, column });
    }
  }
  for (let row = 0; row < data.rows; row++) {
    const label = data.y[row];
    if (label !== 0 && label !== 1) throw dataError(`the ${purpose} label of row ${row} is not 0 or 1`, { row });
  }
}

/**
 * For a cox-ph spec, throws COHORT_E_TRAINING_DATA_SHAPE unless every row has a finite,
 * non-negative time (the event indicator is `y`, checked by {@link checkMatrix}).
 */
export function checkSurvivalData(spec: Pick<ModelSpec, 'model'>, data: Matrix, purpose: 'training' | 'evaluation'): void {
  if (spec.model.family !== 'cox-ph') return;
  const time = data.time;
  if (time === undefined || time.length !== data.rows) {
    throw dataError(`the ${purpose} data of a cox-ph model needs one follow-up time per row (${time?.length ?? 0} for ${data.rows} rows)`);
  }
  for (let row = 0; row < data.rows; row++) {
    if (!(Number.isFinite(time[row]) && (time[row] as number) >= 0)) throw dataError(`the ${purpose} time of row ${row} is not a finite non-negative number`, { row });
  }
}

/** Throws COHORT_E_TRAINING_NON_FINITE when a weight vector holds NaN or an infinity. */
export function checkFiniteWeights(weights: Float32Array, what: string): void {
  const index = weights.findIndex((w) => !Number.isFinite(w));
  if (index >= 0) {
    throw new CohortError(TrainingErrors.NON_FINITE, `the ${what} weights hold a non-finite value at index ${index}`, { details: { index } });
  }
}
