import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Matrix } from '../../../models/features.ts';
import type { ModelSpec, ModelSpecInput } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { clippedGradientSum, imageToColumns, type ConvNormMethod } from '../../../site-agent/training/ghost-clipping.ts';
import { barImages } from './helpers.ts';
import { median, modelOf, perExampleLoop, relativeError } from './per-example-reference.ts';

const ROWS = 12;

function cnnSpec(image: { height: number; width: number; channels: number }, model: Record<string, unknown>): ModelSpec {
  return parseSpec({
    name: 'imaging',
    dataset: 'imaging',
    features: [{ name: 'image', type: 'image', ...image, normalization: 'none' }],
    label: { name: 'y', type: 'binary' },
    model: { family: 'cnn', ...model },
    training: { epochs: 1, batchSize: 8, optimizer: 'sgd', learningRate: 0.1 },
    rounds: 1,
  } as ModelSpecInput);
}

/** Same padding, a pooling, a strided valid conv, a tanh and a hidden Dense layer. */
const deep = cnnSpec(
  { height: 8, width: 8, channels: 1 },
  {
    layers: [
      { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same' },
      { type: 'max-pool', poolSize: 2 },
      { type: 'conv2d', filters: 3, kernelSize: 2, strides: 2, padding: 'valid', activation: 'tanh' },
    ],
    hidden: [5],
  },
);
/** Two channels, a non-square image, stride 3 with uneven "same" padding, average pooling, no hidden layer. */
const strided = cnnSpec(
  { height: 9, width: 7, channels: 2 },
  {
    layers: [
      { type: 'conv2d', filters: 3, kernelSize: 4, strides: 3, padding: 'same', activation: 'elu' },
      { type: 'avg-pool', poolSize: 2, strides: 1 },
      { type: 'conv2d', filters: 2, kernelSize: 1, activation: 'tanh' },
    ],
  },
);

const dataOf = (spec: ModelSpec, seed: number): Matrix => {
  const f = spec.features[0] as { height: number; width: number; channels: number };
  return barImages(ROWS, f.height, f.width, f.channels, seed);
};

function batched(model: tf.LayersModel, data: Matrix, clipNorm: number, method: ConvNormMethod): { sum: Float32Array[]; norms: Float32Array } {
  return tf.tidy(() => {
    const batch = { x: tf.tensor2d(data.x, [data.rows, data.cols]), y: tf.tensor2d(data.y, [data.rows, 1]) };
    const result = clippedGradientSum(model, batch, clipNorm, method);
    return { sum: result.sum.map((t) => t.dataSync() as Float32Array), norms: result.norms.dataSync() as Float32Array };
  });
}

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});
afterAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
  tf.disposeVariables();
});

describe('imageToColumns', () => {
  it('lays out each patch in the kernel order, zero-padded as TensorFlow pads "same"', () => {
    // 3x3 single-channel image 1..9, 2x2 windows, stride 2, same: output 2x2, total padding 1 at the bottom/right.
    const patches = tf.tidy(() => imageToColumns(tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]), [2, 2], [2, 2], 'same').arraySync());
    expect(patches).toEqual([
      [
        [1, 2, 4, 5],
        [3, 0, 6, 0],
        [7, 8, 0, 0],
        [9, 0, 0, 0],
      ],
    ]);
  });
});

describe('clippedGradientSum on a cnn', () => {
  const cases = [
    ['conv-pool-strided conv-hidden Dense', deep, 1.5, 11],
    ['2 channels, stride 3 "same" on 9x7, average pooling', strided, 1.5, 12],
  ] as const;
  for (const [name, spec, scale, seed] of cases) {
    for (const method of ['ghost', 'direct', 'auto'] as const) {
      it(`equals the per-example tf.grads loop (${name}; ${method} conv norms), unclipped and half clipped`, async () => {
        const model = await modelOf(spec, scale);
        const data = dataOf(spec, seed);
        const free = perExampleLoop(model, data, 1e9);
        const clipNorm = median(free.norms);
        const reference = perExampleLoop(model, data, clipNorm);

        const unclipped = batched(model, data, 1e9, method);
        const clipped = batched(model, data, clipNorm, method);

        expect(relativeError([unclipped.norms], [free.norms])).toBeLessThan(1e-5);
        expect(relativeError(unclipped.sum, free.sum)).toBeLessThan(1e-5);
        // The norms straddle C, or the clipped comparison would prove nothing.
        const over = free.norms.filter((n) => n > clipNorm).length;
        expect(over).toBeGreaterThanOrEqual(3);
        expect(over).toBeLessThan(ROWS);
        expect(Math.min(...free.norms)).toBeLessThan(0.9 * clipNorm);
        expect(relativeError(clipped.sum, reference.sum)).toBeLessThan(1e-5);
        model.dispose();
      });
    }
  }

  it('leaves only its returned tensors behind', async () => {
    const model = await modelOf(deep, 1);
    const data = dataOf(deep, 3);
    const before = tf.memory().numTensors;
    const kept = tf.tidy(() => {
      const r = clippedGradientSum(model, { x: tf.tensor2d(data.x, [ROWS, data.cols]), y: tf.tensor2d(data.y, [ROWS, 1]) }, 1);
      return [...r.sum, r.norms, r.lossSum];
    });
    expect(tf.memory().numTensors).toBe(before + kept.length);
    kept.forEach((t) => t.dispose());
    model.dispose();
  });

  it('equals the per-example loop on the wasm backend (whose filter gradient is ours)', async () => {
    await selectBackend('wasm', 'cnn');
    try {
      const model = await modelOf(strided, 1.5);
      const data = dataOf(strided, 21);
      const clipNorm = median(perExampleLoop(model, data, 1e9).norms);
      const reference = perExampleLoop(model, data, clipNorm);

      const result = batched(model, data, clipNorm, 'auto');

      expect(relativeError([result.norms], [reference.norms])).toBeLessThan(1e-5);
      expect(relativeError(result.sum, reference.sum)).toBeLessThan(1e-5);
      model.dispose();
    } finally {
      await selectBackend('cpu', 'logistic-regression');
    }
  });
});
