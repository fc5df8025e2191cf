import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, setFlatWeights } from '../../../models/build-model.ts';
import type { Matrix } from '../../../models/features.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { initialWeights } from '../../../models/weight-layout.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { clippedGradientSum, dpPlanOf } from '../../../site-agent/training/ghost-clipping.ts';
import { trainableVariables } from '../../../site-agent/training/train-step.ts';
import { numericSpec, sequentialTopology } from '../../models/helpers.ts';
import { separable } from './helpers.ts';

const WIDTH = 6;
const ROWS = 24;
const DATA = separable(ROWS, WIDTH, 31);

const logistic = parseSpec(numericSpec(WIDTH));
const mlp = parseSpec(numericSpec(WIDTH, { model: { family: 'mlp', hidden: [8, 5], activation: 'tanh', dropout: 0 } }));
const reluMlp = parseSpec(numericSpec(WIDTH, { model: { family: 'mlp', hidden: [32, 16], activation: 'relu', dropout: 0 } }));
const keras = parseSpec(
  numericSpec(WIDTH, {
    model: {
      family: 'keras',
      topology: sequentialTopology([
        ['Dense', { name: 'hidden', units: 7, activation: 'linear', use_bias: true, batch_input_shape: [null, WIDTH] }],
        ['Activation', { name: 'act', activation: 'elu' }],
        ['Dropout', { name: 'drop', rate: 0 }],
        ['Dense', { name: 'out', units: 1, activation: 'sigmoid', use_bias: true }],
      ]),
    },
  }),
);

/** The reference: one tf.grads per example, its joint norm, clip, sum. Plain JS sums in float64. */
function perExampleLoop(model: tf.LayersModel, data: Matrix, clipNorm: number): { sum: Float64Array[]; norms: number[] } {
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
function relativeError(actual: Float32Array[], expected: Float64Array[]): number {
  let diff = 0;
  let size = 0;
  actual.forEach((a, k) => a.forEach((value, j) => {
    diff += (value - expected[k]![j]!) ** 2;
    size += expected[k]![j]! ** 2;
  }));
  return Math.sqrt(diff / size);
}

/** A model with the spec's initial weights scaled up, so that per-example norms spread widely. */
async function modelOf(spec: ModelSpec, scale: number): Promise<tf.LayersModel> {
  const model = await buildModel(spec);
  setFlatWeights(model, initialWeights(spec).map((w) => w * scale));
  return model;
}

function batched(model: tf.LayersModel, clipNorm: number): { sum: Float32Array[]; norms: Float32Array } {
  return tf.tidy(() => {
    const batch = { x: tf.tensor2d(DATA.x, [ROWS, WIDTH]), y: tf.tensor2d(DATA.y, [ROWS, 1]) };
    const result = clippedGradientSum(model, batch, clipNorm);
    return { sum: result.sum.map((t) => t.dataSync() as Float32Array), norms: result.norms.dataSync() as Float32Array };
  });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});

describe('clippedGradientSum', () => {
  const cases: ReadonlyArray<readonly [string, ModelSpec, number]> = [
    ['logistic regression', logistic, 3],
    ['a 2-hidden-layer tanh MLP', mlp, 2],
    ['a 2-hidden-layer relu MLP of heart-mlp\'s widths', reluMlp, 1.5],
    ['a Keras Dense-Activation-Dropout-Dense chain', keras, 2],
  ];
  for (const [name, spec, scale] of cases) {
    it(`equals the per-example tf.grads loop for ${name} when no example is clipped`, async () => {
      const model = await modelOf(spec, scale);
      const reference = perExampleLoop(model, DATA, 1e9);

      const result = batched(model, 1e9);

      expect(relativeError(result.sum, reference.sum)).toBeLessThan(1e-5);
      expect(relativeError([result.norms], [Float64Array.from(reference.norms)])).toBeLessThan(1e-5);
      model.dispose();
    });

    it(`equals the per-example tf.grads loop for ${name} when half the examples are clipped`, async () => {
      const model = await modelOf(spec, scale);
      const clipNorm = median(perExampleLoop(model, DATA, 1e9).norms);
      const reference = perExampleLoop(model, DATA, clipNorm);

      const result = batched(model, clipNorm);

      // Guard against a degenerate case: the norms must straddle C, or the test proves nothing about clipping.
      const clipped = reference.norms.filter((n) => n > clipNorm).length;
      expect(clipped).toBeGreaterThanOrEqual(ROWS / 2 - 1);
      expect(clipped).toBeLessThan(ROWS);
      expect(Math.min(...reference.norms)).toBeLessThan(0.9 * clipNorm);
      expect(relativeError(result.sum, reference.sum)).toBeLessThan(1e-5);
      model.dispose();
    });
  }

  it('keeps the sum within rows * C and equal to the loop when every example is clipped', async () => {
    const model = await modelOf(logistic, 1);
    const reference = perExampleLoop(model, DATA, 1e-3);

    const result = batched(model, 1e-3);

    // Each example contributes exactly norm C; the triangle inequality bounds the sum by rows * C.
    let squared = 0;
    for (const t of result.sum) for (const v of t) squared += v * v;
    expect(Math.sqrt(squared)).toBeLessThanOrEqual(ROWS * 1e-3 * (1 + 1e-6));
    expect(relativeError(result.sum, reference.sum)).toBeLessThan(1e-5);
    model.dispose();
  });

  it('leaves only its returned tensors behind', async () => {
    const model = await modelOf(mlp, 1);
    const before = tf.memory().numTensors;

    const kept = tf.tidy(() => {
      const batch = { x: tf.tensor2d(DATA.x, [ROWS, WIDTH]), y: tf.tensor2d(DATA.y, [ROWS, 1]) };
      const r = clippedGradientSum(model, batch, 1);
      return [...r.sum, r.norms, r.lossSum];
    });

    expect(tf.memory().numTensors).toBe(before + kept.length);
    kept.forEach((t) => t.dispose());
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses a built model holding a BatchNormalization layer, naming it', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'hidden', units: 4, inputShape: [WIDTH] }),
        tf.layers.batchNormalization({ name: 'bn' }),
        tf.layers.dense({ name: 'out', units: 1, activation: 'sigmoid' }),
      ],
    });

    let code: string | undefined;
    let message: string | undefined;
    try {
      dpPlanOf(model);
    } catch (e) {
      ({ code, message } = e as { code: string; message: string });
    }

    expect(code).toBe('COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER');
    expect(message).toBe(
      'DP-SGD cannot train model layer 1 (BatchNormalization "bn"): it mixes the examples of a batch, so per-example gradients (and their clipping) are not defined; train this model without record-level DP or remove the layer',
    );
    model.dispose();
  });
});

afterAll(() => {
  tf.disposeVariables();
});
