import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../models/seeded-random.ts';
import type { ModelSpec, ModelSpecInput } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { initialWeights } from '../../../models/weight-layout.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import type { DpTrainingOptions } from '../../../site-agent/training/dp-options.ts';
import { evaluate, trainLocal } from '../../../site-agent/training/local-trainer.ts';
import { releaseModel } from '../../../site-agent/training/model-cache.ts';
import { poissonSample, seedFrom } from '../../../site-agent/training/poisson-sampling.ts';
import { converterModel, numericSpec } from '../../models/helpers.ts';
import { caught, distance, separable } from './helpers.ts';

const WIDTH = 5;
const DATA = separable(400, WIDTH, 11);
const NO_PROX = { round: 1, proximalMu: 0 } as const;

const spec = (overrides: Partial<ModelSpecInput> = {}): ModelSpec => parseSpec(numericSpec(WIDTH, overrides));
const logistic = spec({ training: { epochs: 3, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 } });
const mlp = spec({
  model: { family: 'mlp', hidden: [8, 4], activation: 'tanh', dropout: 0.2 },
  training: { epochs: 1, batchSize: 32, optimizer: 'adam', learningRate: 0.01 },
});
/** q = 0.1 on 400 rows: expected batch 40, 10 steps per epoch. */
const dp = (seed: number, extra: Partial<DpTrainingOptions> = {}): DpTrainingOptions => ({
  noiseMultiplier: 0.8,
  clipNorm: 1,
  samplingRate: 0.1,
  random: mulberry32(seed),
  ...extra,
});

const bits = (w: Float32Array): Buffer => Buffer.from(w.buffer, w.byteOffset, w.byteLength);

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});
afterAll(() => releaseModel());

describe('trainLocal with DP-SGD', () => {
  it('learns the separable problem with logistic regression despite clipping and noise', async () => {
    const start = initialWeights(logistic);
    const before = await evaluate(logistic, start, DATA);

    const result = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: dp(1) });
    const after = await evaluate(logistic, result.weights, DATA);

    expect(result.steps).toBe(30);
    expect(result.stoppedEarly).toBe(false);
    expect(result.numExamples).toBe(400);
    expect(result.meanLoss).toBeNaN();
    expect(after.loss).toBeLessThan(0.7 * before.loss);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('stops before the step that would cross maxSteps, and says so', async () => {
    const start = initialWeights(logistic);
    const fourSteps = spec({ training: { steps: 4, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 } });

    const capped = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: dp(2, { maxSteps: 4 }) });
    const exact = await trainLocal({ spec: fourSteps, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: dp(2) });

    expect(capped.steps).toBe(4);
    expect(capped.stoppedEarly).toBe(true);
    expect(exact.stoppedEarly).toBe(false);
    // The same samples and noise: stopping after 4 steps is exactly a 4-step run.
    expect(bits(capped.weights).equals(bits(exact.weights))).toBe(true);
  });

  it('takes no step at all when the budget allows none', async () => {
    const start = initialWeights(logistic);

    const result = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: dp(3, { maxSteps: 0 }) });

    expect(result.steps).toBe(0);
    expect(result.stoppedEarly).toBe(true);
    expect(bits(result.weights).equals(bits(start))).toBe(true);
  });

  it('is reproducible with an injected source, and differs with another', async () => {
    const start = initialWeights(mlp);

    const a = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 5, dp: dp(9) });
    const b = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 5, dp: dp(9) });
    const c = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 5, dp: dp(10) });

    expect(bits(a.weights).equals(bits(b.weights))).toBe(true);
    expect(bits(a.weights).equals(bits(c.weights))).toBe(false);
  });

  it('samples from node:crypto when no source is injected: two runs differ', async () => {
    const start = initialWeights(logistic);
    const production = { noiseMultiplier: 0.8, clipNorm: 1, samplingRate: 0.1, maxSteps: 3 };

    const a = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: production });
    const b = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: production });

    expect(a.steps).toBe(3);
    expect(bits(a.weights).equals(bits(b.weights))).toBe(false);
  });

  it('survives steps whose Poisson batch is empty (noise-only updates)', async () => {
    // q = 0.001 on 400 rows: about two thirds of the steps draw no row. Replaying the source's draws
    // (one per row, then the noise seed, per step) shows that this seed's run has empty steps.
    const replay = mulberry32(4);
    let empty = 0;
    for (let step = 0; step < 20; step++) {
      if (poissonSample(400, 0.001, replay).length === 0) empty++;
      seedFrom(replay);
    }
    expect(empty).toBeGreaterThanOrEqual(5);
    const start = initialWeights(logistic);

    const result = await trainLocal({
      spec: logistic,
      weights: start,
      data: DATA,
      fit: NO_PROX,
      seed: 1,
      dp: dp(4, { samplingRate: 0.001, maxSteps: 20 }),
    });

    expect(result.steps).toBe(20);
    expect(result.weights.every(Number.isFinite)).toBe(true);
    expect(distance(result.weights, start)).toBeGreaterThan(0);
  });

  it('keeps the weights near the global weights under a strong proximal term', async () => {
    const prox = spec({ training: { epochs: 3, batchSize: 32, optimizer: 'sgd', learningRate: 0.1 } });
    const start = initialWeights(prox);

    const free = await trainLocal({ spec: prox, weights: start, data: DATA, fit: NO_PROX, seed: 2, dp: dp(6, { noiseMultiplier: 0.1 }) });
    const pulled = await trainLocal({ spec: prox, weights: start, data: DATA, fit: { round: 1, proximalMu: 10 }, seed: 2, dp: dp(6, { noiseMultiplier: 0.1 }) });

    expect(distance(pulled.weights, start)).toBeLessThan(0.2 * distance(free.weights, start));
  });

  it('returns the tensor count to where it started, with adam, dropout and the proximal term', async () => {
    const start = initialWeights(mlp);
    await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 1, dp: dp(1) });
    const before = tf.memory().numTensors;

    await trainLocal({ spec: mlp, weights: start, data: DATA, fit: { round: 2, proximalMu: 0.5 }, seed: 1, dp: dp(2) });

    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports stoppedEarly false without DP', async () => {
    const result = await trainLocal({ spec: logistic, weights: initialWeights(logistic), data: DATA, fit: NO_PROX, seed: 1 });

    expect(result.stoppedEarly).toBe(false);
    expect(result.meanLoss).toBeGreaterThan(0);
  });

  it('refuses a model with BatchNormalization under DP, with the exact code', async () => {
    const keras = parseSpec(numericSpec(13, { model: { family: 'keras', topology: converterModel() } }));
    const data = separable(20, 13, 1);

    const e = await caught(trainLocal({ spec: keras, weights: initialWeights(keras), data, fit: NO_PROX, seed: 1, dp: dp(1) }));

    expect(e.code).toBe('COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER');
    expect(e.details.layerClass).toBe('BatchNormalization');
  });

  it('refuses an out-of-range DP setting before training', async () => {
    const e = await caught(trainLocal({ spec: logistic, weights: initialWeights(logistic), data: DATA, fit: NO_PROX, seed: 1, dp: dp(1, { clipNorm: -1 }) }));

    expect(e.code).toBe('COHORT_E_TRAINING_DP_CONFIG');
    expect(e.message).toBe('dp.clipNorm is -1; expected a finite number > 0');
  });
});
