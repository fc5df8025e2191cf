import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { clippedGradientSum, dpPlanOf } from '../../../site-agent/training/ghost-clipping.ts';
import { numericSpec, sequentialTopology } from '../../models/helpers.ts';
import { separable } from './helpers.ts';
import { median, modelOf, perExampleLoop, relativeError } from './per-example-reference.ts';

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

function batched(model: tf.LayersModel, clipNorm: number): { sum: Float32Array[]; norms: Float32Array } {
  return tf.tidy(() => {
    const batch = { x: tf.tensor2d(DATA.x, [ROWS, WIDTH]), y: tf.tensor2d(DATA.y, [ROWS, 1]) };
    const result = clippedGradientSum(model, batch, clipNorm);
    return { sum: result.sum.map((t) => t.dataSync() as Float32Array), norms: result.norms.dataSync() as Float32Array };
  });
}

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
