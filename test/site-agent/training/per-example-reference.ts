/**
 * The references the DP-SGD clipping tests compare against (ghost-clipping.test.ts for dense
 * models, ghost-clipping-cnn.test.ts for conv models): gradients taken one example at a time.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, setFlatWeights } from '../../../models/build-model.ts';
import type { Matrix } from '../../../models/features.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { initialWeights } from '../../../models/weight-layout.ts';
import { trainableVariables } from '../../../site-agent/training/train-step.ts';

/** One tf.variableGrads per example, its joint norm, clip, sum; the sums in float64. */
export function perExampleLoop(model: tf.LayersModel, data: Matrix, clipNorm: number): { sum: Float64Array[]; norms: number[] } {
  const variables = trainableVariables(model);
  const sum = variables.map((v) => new Float64Array(v.size));
  const norms: number[] = [];
  for (let i = 0; i < data.rows; i++) {
    const grads = tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(i * data.cols, (i + 1) * data.cols), [1, data.cols]);
      const y = data.y[i]!;
      const { grads } = tf.variableGrads(() => {
        const p = tf.clipByValue(model.apply(x, { training: true }) as tf.Tensor, 1e-7, 1 - 1e-7);
        return tf.neg(tf.sum(y === 1 ? tf.log(p) : tf.log(tf.sub(1, p)))) as tf.Scalar;
      }, variables);
      return variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
    });
    let squared = 0;
    for (const g of grads) for (const value of g) squared += value * value;
    const norm = Math.sqrt(squared);
    norms.push(norm);
    const factor = Math.min(1, clipNorm / norm);
    grads.forEach((g, k) => g.forEach((value, j) => (sum[k]![j]! += factor * value)));
  }
  return { sum, norms };
}

/** ||a - b|| / ||b|| over all tensors together. */
export function relativeError(actual: ArrayLike<number>[], expected: ArrayLike<number>[]): number {
  let diff = 0;
  let size = 0;
  actual.forEach((a, k) => {
    for (let j = 0; j < a.length; j++) {
      diff += (a[j]! - expected[k]![j]!) ** 2;
      size += expected[k]![j]! ** 2;
    }
  });
  return Math.sqrt(diff / size);
}

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** A model with the spec's initial weights scaled up, so that per-example norms spread widely. */
export async function modelOf(spec: ModelSpec, scale: number): Promise<tf.LayersModel> {
  const model = await buildModel(spec);
  setFlatWeights(model, initialWeights(spec).map((w) => w * scale));
  return model;
}
