/**
 * Per-site standardisation: each site centres and scales its `standardize` columns with the
 * mean and population standard deviation of its own training split, and applies the same
 * numbers to its test split. No statistic crosses the site boundary, and the test split
 * never influences the scaling (no leakage into evaluation).
 */
import { featureColumns, type Matrix } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

/** The scaling of one design-matrix column. */
export interface ColumnScaling {
  /** Index of the column in the design matrix. */
  readonly column: number;
  readonly mean: number;
  /** The divisor applied: the population std, or 1 when the column is constant. */
  readonly scale: number;
}

/** Indexes of the design columns of numeric features whose preprocess is `standardize`. */
export function standardizedColumns(spec: Pick<ModelSpec, 'features'>): number[] {
  const indexes: number[] = [];
  let offset = 0;
  for (const feature of spec.features) {
    if (feature.type === 'numeric' && feature.preprocess === 'standardize') indexes.push(offset);
    offset += featureColumns(feature).length;
  }
  return indexes;
}

/**
 * Mean and population std of each listed column of `train`, in float64. A column whose std
 * is zero up to rounding (a constant column) gets scale 1, so it is centred, not blown up.
 */
export function fitScaling(train: Matrix, columns: readonly number[]): ColumnScaling[] {
  return columns.map((column) => {
    let sum = 0;
    for (let r = 0; r < train.rows; r++) sum += train.x[r * train.cols + column] ?? 0;
    const mean = train.rows === 0 ? 0 : sum / train.rows;
    let squares = 0;
    for (let r = 0; r < train.rows; r++) {
      const d = (train.x[r * train.cols + column] ?? 0) - mean;
      squares += d * d;
    }
    const std = train.rows === 0 ? 0 : Math.sqrt(squares / train.rows);
    // Two-pass variance of identical values can come out at ~1e-17 instead of 0; treat
    // anything that small relative to the mean as constant.
    const constant = std <= 1e-9 * Math.max(1, Math.abs(mean));
    return { column, mean, scale: constant ? 1 : std };
  });
}

/** A copy of `m` with each listed column replaced by (value - mean) / scale. */
export function applyScaling(m: Matrix, scaling: readonly ColumnScaling[]): Matrix {
  const x = Float32Array.from(m.x);
  for (const { column, mean, scale } of scaling) {
    for (let r = 0; r < m.rows; r++) {
      const i = r * m.cols + column;
      x[i] = ((m.x[i] ?? 0) - mean) / scale;
    }
  }
  return { x, y: Float32Array.from(m.y), rows: m.rows, cols: m.cols, ...(m.time ? { time: Float64Array.from(m.time) } : {}) };
}

/** Fits the scaling on `train` only and applies it to both splits. */
export function standardize(
  train: Matrix,
  test: Matrix,
  columns: readonly number[],
): { train: Matrix; test: Matrix; scaling: ColumnScaling[] } {
  const scaling = fitScaling(train, columns);
  return { train: applyScaling(train, scaling), test: applyScaling(test, scaling), scaling };
}
