/**
 * Synthetic site updates for `bench:he`: deterministic, distinct per seed, within the
 * codec's |delta| bound, so every run encrypts the same vectors.
 */
import { weightedUpdateVector } from '../../core/strategies/aggregate.ts';

/** A model delta of `params` values, |delta_i| <= 1e-3. */
export function syntheticDelta(params: number, seed: number): Float32Array {
  const delta = new Float32Array(params);
  for (let i = 0; i < params; i++) delta[i] = Math.sin(i * 0.618 + seed) * 1e-3;
  return delta;
}

/** The weight (example count) a synthetic site reports. */
export const syntheticWeight = (seed: number): number => 1000 + seed;

/** The vector site `seed` sends: [w * delta..., w]. */
export function syntheticUpdateVector(params: number, seed: number): Float64Array {
  return weightedUpdateVector(syntheticDelta(params, seed), syntheticWeight(seed));
}

/** Element-wise sum of vectors, the plaintext truth an aggregate is checked against. */
export function plainSum(vectors: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(vectors[0]?.length ?? 0);
  for (const v of vectors) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (v[i] as number);
  return out;
}

/** Largest |a_i - b_i|, over the update values only (the last value is the weight). */
export function maxAbsError(a: Float64Array, b: Float64Array): { values: number; weight: number } {
  let values = 0;
  const last = a.length - 1;
  for (let i = 0; i < last; i++) values = Math.max(values, Math.abs((a[i] as number) - (b[i] as number)));
  return { values, weight: Math.abs((a[last] as number) - (b[last] as number)) };
}
