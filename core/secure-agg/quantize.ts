/** Clipping and unbiased fixed-point quantization of updates. Pure apart from the random source. */
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import type { UniformSource } from './uniform-source.ts';

/** Euclidean norm, accumulated in float64. Throws RangeError on a non-finite entry. */
export function l2Norm(vec: Float32Array | Float64Array): number {
  let sum = 0;
  for (let i = 0; i < vec.length; i++) {
    const x = vec[i] as number;
    if (!Number.isFinite(x)) throw new RangeError(`vector holds a non-finite value at index ${i}`);
    sum += x * x;
  }
  return Math.sqrt(sum);
}

/**
 * Returns a copy of `vec` scaled down so its L2 norm is at most `bound` (unchanged if it
 * already is). The bound holds after rounding to the array's precision, which DP relies on.
 */
export function clipToNorm<T extends Float32Array | Float64Array>(vec: T, bound: number): T {
  if (!(Number.isFinite(bound) && bound > 0)) throw new RangeError(`clip bound must be a finite number > 0, got ${bound}`);
  const out = vec.slice() as T;
  const norm = l2Norm(vec);
  if (norm <= bound) return out;
  let factor = bound / norm;
  // Rounding each product can push the norm a hair over the bound; shrink until it holds.
  for (;;) {
    for (let i = 0; i < vec.length; i++) out[i] = (vec[i] as number) * factor;
    if (l2Norm(out) <= bound) return out;
    factor *= 1 - 2 ** -20;
  }
}

/**
 * Stochastic rounding: floor(x) + 1 with probability frac(x), else floor(x), so that
 * E[result] = x exactly and |result - x| < 1. `u` is uniform in [0, 1).
 */
export function stochasticRound(x: number, u: number): number {
  const f = Math.floor(x);
  return u < x - f ? f + 1 : f;
}

/** Options of {@link quantizeWeightedUpdate}. */
export interface QuantizeOptions {
  readonly scale: number;
  readonly maxAbsValue: number;
  readonly maxWeight: number;
  /** Clamp |delta_i| > maxAbsValue to the bound instead of refusing. */
  readonly clampOutOfRange: boolean;
  readonly random: UniformSource;
}

/** Relative slack for float rounding in w * delta before a value counts as out of range. */
const RANGE_TOLERANCE = 1e-9;

/**
 * Quantizes v = [w*delta_1 .. w*delta_n, w] to integers: value slots become
 * SR(v_i * scale) with |v_i| clamped to w * maxAbsValue (so |q_i| <= ceil(w * maxAbsValue *
 * scale)); the weight stays the exact integer w. The result holds integers as float64
 * (exact below 2^53). Throws SECURE_AGG_VALUE_RANGE naming the index, never the value.
 */
export function quantizeWeightedUpdate(v: Float64Array, o: QuantizeOptions): Float64Array {
  const n = v.length - 1;
  const w = v[n] as number;
  if (!(Number.isInteger(w) && w >= 0 && w <= o.maxWeight)) {
    throw new CohortError(SecureAggErrors.VALUE_RANGE, `weight (index ${n}) must be an integer example count in 0..${o.maxWeight}`, {
      details: { index: n, maxWeight: o.maxWeight },
    });
  }
  const limit = w * o.maxAbsValue;
  const out = new Float64Array(v.length);
  const u = new Float64Array(n);
  o.random.fill(u);
  for (let i = 0; i < n; i++) {
    let x = v[i] as number;
    if (!Number.isFinite(x)) {
      throw new CohortError(SecureAggErrors.VALUE_RANGE, `update value at index ${i} is not finite`, { details: { index: i } });
    }
    if (Math.abs(x) > limit) {
      if (!o.clampOutOfRange && Math.abs(x) > limit * (1 + RANGE_TOLERANCE)) {
        throw new CohortError(
          SecureAggErrors.VALUE_RANGE,
          `update value at index ${i} exceeds weight * maxAbsValue (maxAbsValue ${o.maxAbsValue}); clip the update first`,
          { details: { index: i, maxAbsValue: o.maxAbsValue } },
        );
      }
      x = x > 0 ? limit : -limit;
    }
    out[i] = stochasticRound(x * o.scale, u[i] as number);
  }
  out[n] = w;
  return out;
}
