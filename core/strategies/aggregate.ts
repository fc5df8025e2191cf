/** Pure math shared by strategies. */

/** Splits a decoded aggregate [sum w*delta..., sum w] into the weighted mean delta. */
export function meanFromWeightedSum(sum: Float64Array): { meanDelta: Float32Array; totalWeight: number } {
  const totalWeight = sum[sum.length - 1] ?? 0;
  if (!(totalWeight > 0)) throw new RangeError(`aggregate weight must be positive, got ${totalWeight}`);
  const meanDelta = new Float32Array(sum.length - 1);
  for (let i = 0; i < meanDelta.length; i++) meanDelta[i] = (sum[i] ?? 0) / totalWeight;
  return { meanDelta, totalWeight };
}

/** The vector a site sends after training from `global` to `trained` on `weight` examples. */
export function updateVectorFrom(global: Float32Array, trained: Float32Array, weight: number): Float64Array {
  const delta = new Float32Array(global.length);
  for (let i = 0; i < delta.length; i++) delta[i] = (trained[i] ?? 0) - (global[i] ?? 0);
  return weightedUpdateVector(delta, weight);
}

/** Builds the vector a site sends: [w * delta..., w]. */
export function weightedUpdateVector(delta: Float32Array, weight: number): Float64Array {
  const v = new Float64Array(delta.length + 1);
  for (let i = 0; i < delta.length; i++) v[i] = (delta[i] ?? 0) * weight;
  v[delta.length] = weight;
  return v;
}
