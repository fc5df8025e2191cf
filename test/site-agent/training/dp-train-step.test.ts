import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, flattenWeights, setFlatWeights } from '../../../models/build-model.ts';
import { deriveSeed } from '../../../models/seeded-random.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { initialWeights, sizeOf } from '../../../models/weight-layout.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { GaussianSampler } from '../../../core/privacy/gaussian.ts';
import { dpTrainStep, type DpStepConfig } from '../../../site-agent/training/dp-train-step.ts';
import { clippedGradientSum } from '../../../site-agent/training/ghost-clipping.ts';
import { numericSpec } from '../../models/helpers.ts';
import { separable } from './helpers.ts';

const WIDTH = 20;
const DATA = separable(64, WIDTH, 5);
// 20*64 + 64 + 64 + 1 = 1409 parameters, so a few dozen steps give tens of thousands of noise draws.
const spec = parseSpec(numericSpec(WIDTH, { model: { family: 'mlp', hidden: [64], activation: 'relu', dropout: 0 } }));
const START = initialWeights(spec);
const PLAIN = { proximalMu: 0, globalTrainable: null } as const;

let model: tf.LayersModel;

function batchOf(rows: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return { x: tf.tensor2d(DATA.x.subarray(0, rows * WIDTH), [rows, WIDTH]), y: tf.tensor2d(DATA.y.subarray(0, rows), [rows, 1]) };
}

/** Weight change of one SGD (lr 1) step from START. */
function stepDelta(rows: number, config: DpStepConfig): { delta: Float32Array; loss: number } {
  setFlatWeights(model, START);
  const optimizer = tf.train.sgd(1);
  const loss = tf.tidy(() => dpTrainStep(model, batchOf(rows), optimizer, config));
  optimizer.dispose();
  const after = flattenWeights(model);
  return { delta: after.map((w, i) => w - START[i]!), loss };
}

function moments(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

beforeAll(async () => {
  await selectBackend('cpu', 'mlp');
  model = await buildModel(spec);
});
afterAll(() => model.dispose());

describe('dpTrainStep', () => {
  // sigma * C / (q n) = 1.5 * 2 / 4 = 0.75.
  const noisy = { ...PLAIN, noiseMultiplier: 1.5, clipNorm: 2, expectedBatchSize: 4 };
  const expectedStd = 0.75;

  it('takes its noise from the given Gaussian source when there is one (the production path), in weight order', () => {
    // Empty batch, SGD lr 1: the update is -noise / (q n), noise = the source's draws at std sigma*C = 3.
    const { delta } = stepDelta(0, { ...noisy, noiseSeed: 1, noise: GaussianSampler.seededForTests('dp-noise') });
    const draws = GaussianSampler.seededForTests('dp-noise').fillGaussian(new Float64Array(delta.length), 3);
    const expected = Array.from(draws, (d) => -Math.fround(d) / 4);
    delta.forEach((d, i) => expect(d).toBeCloseTo(expected[i]!, 5));
  });

  it('adds noise of std sigma*C/(q n) on an empty batch, and nothing else (fixed seeds)', () => {
    const draws: number[] = [];
    for (let s = 0; s < 30; s++) {
      const { delta, loss } = stepDelta(0, { ...noisy, noiseSeed: deriveSeed(99, s) });
      expect(loss).toBeNaN();
      draws.push(...delta);
    }

    // 42,270 draws: the sample std has a relative standard error of 0.34%; a missing noise (0) or a doubled one fails.
    const { mean, std } = moments(draws);
    expect(Math.abs(std / expectedStd - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan(4 * expectedStd / Math.sqrt(draws.length));
  });

  it('adds the noise exactly once on a non-empty batch: the step minus its noiseless twin has std sigma*C/(q n)', () => {
    const draws: number[] = [];
    for (let s = 0; s < 30; s++) {
      const withNoise = stepDelta(16, { ...noisy, noiseSeed: deriveSeed(7, s) });
      const without = stepDelta(16, { ...noisy, noiseMultiplier: 0, noiseSeed: deriveSeed(7, s) });
      draws.push(...withNoise.delta.map((d, i) => d - without.delta[i]!));
    }

    const { mean, std } = moments(draws);
    expect(Math.abs(std / expectedStd - 1)).toBeLessThan(0.02);
    expect(Math.abs(mean)).toBeLessThan(4 * expectedStd / Math.sqrt(draws.length));
  });

  it('draws the same noise for the same seed and different noise for another, in every tensor', () => {
    // deriveSeed(1, 1) is 0, which tf.randomNormal would take for "unseeded": the bias noise must still repeat.
    const a = stepDelta(0, { ...noisy, noiseSeed: 1 }).delta;
    const b = stepDelta(0, { ...noisy, noiseSeed: 1 }).delta;
    const c = stepDelta(0, { ...noisy, noiseSeed: 2 }).delta;

    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('divides the clipped sum by the expected batch size, not the realised one', () => {
    setFlatWeights(model, START);
    const clippedSum = tf.tidy(() => {
      const r = clippedGradientSum(model, batchOf(5), 0.05);
      return Float32Array.from(r.sum.flatMap((t) => Array.from(t.dataSync())));
    });

    const { delta } = stepDelta(5, { ...PLAIN, noiseMultiplier: 0, clipNorm: 0.05, expectedBatchSize: 20, noiseSeed: 1 });

    // SGD with lr 1: delta = -sum / 20 (the weights come first in the flat vector, in trainable order).
    let worst = 0;
    clippedSum.forEach((g, i) => (worst = Math.max(worst, Math.abs(delta[i]! + g / 20))));
    expect(worst).toBeLessThan(1e-6);
    expect(Math.max(...clippedSum.map(Math.abs))).toBeGreaterThan(1e-3);
  });

  it('returns the realised batch\'s mean cross-entropy before the update', () => {
    setFlatWeights(model, START);
    const expected = tf.tidy(() => clippedGradientSum(model, batchOf(8), 1).lossSum.dataSync()[0]! / 8);

    const { loss } = stepDelta(8, { ...PLAIN, noiseMultiplier: 1, clipNorm: 1, expectedBatchSize: 8, noiseSeed: 3 });

    expect(loss).toBeCloseTo(expected, 6);
    expect(loss).toBeGreaterThan(0.1);
  });

  it('adds the FedProx gradient mu (w - w_global) after the noise, unclipped', () => {
    const global = START.map((w, i) => w + (i % 3) - 1);
    let offset = 0;
    const globalTrainable = model.trainableWeights.map((w) => {
      const shape = w.shape as number[];
      const size = sizeOf(shape);
      offset += size;
      return tf.tensor(global.slice(offset - size, offset), shape);
    });

    const { delta } = stepDelta(0, { proximalMu: 10, globalTrainable, noiseMultiplier: 0, clipNorm: 0.01, expectedBatchSize: 4, noiseSeed: 1 });

    // Empty batch, no noise: delta = -mu (w - w_global) = 10 * ((i % 3) - 1), far above C = 0.01.
    expect(Array.from(delta.slice(0, 6)).map((d) => Math.round(d * 1e4) / 1e4)).toEqual([-10, 0, 10, -10, 0, 10]);
    globalTrainable.forEach((t) => t.dispose());
  });

  it('leaves no tensor behind with adam, once its moments exist', () => {
    setFlatWeights(model, START);
    const optimizer = tf.train.adam(0.01);
    const config = { ...noisy, noiseSeed: 5 };
    tf.tidy(() => dpTrainStep(model, batchOf(16), optimizer, config));
    const before = tf.memory().numTensors;

    tf.tidy(() => dpTrainStep(model, batchOf(16), optimizer, config));
    tf.tidy(() => dpTrainStep(model, batchOf(0), optimizer, config));

    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
  });
});
