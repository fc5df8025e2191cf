import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Matrix } from '../../../models/features.ts';
import type { ModelSpec, ModelSpecInput } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { initialWeights } from '../../../models/weight-layout.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { evaluate, trainLocal } from '../../../site-agent/training/local-trainer.ts';
import { releaseModel } from '../../../site-agent/training/model-cache.ts';
import { numericSpec } from '../../models/helpers.ts';
import { caught, distance, separable } from './helpers.ts';

const WIDTH = 5;
const DATA = separable(400, WIDTH, 11);
const NO_PROX = { round: 1, proximalMu: 0 } as const;

const spec = (overrides: Partial<ModelSpecInput> = {}): ModelSpec => parseSpec(numericSpec(WIDTH, overrides));
const logistic = spec({ training: { epochs: 20, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 } });
const mlp = spec({
  model: { family: 'mlp', hidden: [8, 4], activation: 'tanh', dropout: 0.2 },
  training: { epochs: 3, batchSize: 32, optimizer: 'adam', learningRate: 0.01 },
});

const bits = (w: Float32Array): Buffer => Buffer.from(w.buffer, w.byteOffset, w.byteLength);

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});
afterAll(() => releaseModel());

describe('trainLocal', () => {
  it('reduces the loss and reaches 90% accuracy with logistic regression on a separable problem', async () => {
    const start = initialWeights(logistic);
    const before = await evaluate(logistic, start, DATA);

    const result = await trainLocal({ spec: logistic, weights: start, data: DATA, fit: NO_PROX, seed: 1 });
    const after = await evaluate(logistic, result.weights, DATA);

    expect(result.numExamples).toBe(400);
    expect(result.steps).toBe(20 * Math.ceil(400 / 32));
    expect(after.loss).toBeLessThan(0.5 * before.loss);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.meanLoss).toBeLessThan(before.loss);
  });

  it('is deterministic for a seed on the cpu backend, dropout included', async () => {
    const start = initialWeights(mlp);

    const a = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 5 });
    const b = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 5 });
    const c = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 6 });

    expect(bits(a.weights).equals(bits(b.weights))).toBe(true);
    expect(a.meanLoss).toBe(b.meanLoss);
    expect(bits(a.weights).equals(bits(c.weights))).toBe(false);
  });

  it('keeps the weights near the global weights under a strong proximal term', async () => {
    // lr * mu = 1: each step pulls the weights all the way back before the data gradient moves them.
    const prox = spec({ training: { epochs: 10, batchSize: 32, optimizer: 'sgd', learningRate: 0.1 } });
    const start = initialWeights(prox);

    const free = await trainLocal({ spec: prox, weights: start, data: DATA, fit: NO_PROX, seed: 2 });
    const pulled = await trainLocal({ spec: prox, weights: start, data: DATA, fit: { round: 1, proximalMu: 10 }, seed: 2 });

    const freeDistance = distance(free.weights, start);
    const pulledDistance = distance(pulled.weights, start);
    expect(freeDistance).toBeGreaterThan(1);
    expect(pulledDistance).toBeLessThan(0.1);
    expect(pulledDistance).toBeLessThan(0.05 * freeDistance);
  });

  it('runs the number of steps the spec asks for', async () => {
    const stepped = spec({ training: { steps: 7, batchSize: 16 } });

    const result = await trainLocal({ spec: stepped, weights: initialWeights(stepped), data: DATA, fit: NO_PROX, seed: 1 });

    expect(result.steps).toBe(7);
  });

  it('returns the tensor count to where it started, with adam, dropout and the proximal term', async () => {
    const start = initialWeights(mlp);
    await trainLocal({ spec: mlp, weights: start, data: DATA, fit: NO_PROX, seed: 1 }); // builds the cached model
    const before = tf.memory().numTensors;

    await trainLocal({ spec: mlp, weights: start, data: DATA, fit: { round: 2, proximalMu: 0.5 }, seed: 1 });
    await evaluate(mlp, start, DATA);

    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposes the cached model\'s variables on release', async () => {
    await releaseModel();
    const empty = tf.memory().numTensors;
    await trainLocal({ spec: logistic, weights: initialWeights(logistic), data: DATA, fit: NO_PROX, seed: 1 });

    await releaseModel();

    expect(tf.memory().numTensors).toBe(empty);
  });

  it('trains the MLP on the wasm backend too', async () => {
    await selectBackend('wasm', 'mlp');
    try {
      const start = initialWeights(mlp);

      const result = await trainLocal({ spec: mlp, weights: start, data: DATA, fit: { round: 1, proximalMu: 0.1 }, seed: 3 });
      const after = await evaluate(mlp, result.weights, DATA);

      expect(after.accuracy).toBeGreaterThan(0.8);
    } finally {
      await releaseModel();
      await selectBackend('cpu', 'logistic-regression');
    }
  });

  it('refuses a matrix narrower than the spec', async () => {
    const narrow: Matrix = { x: new Float32Array(8), y: new Float32Array(2), rows: 2, cols: 4 };

    const e = await caught(trainLocal({ spec: logistic, weights: initialWeights(logistic), data: narrow, fit: NO_PROX, seed: 1 }));

    expect(e.code).toBe('COHORT_E_TRAINING_DATA_SHAPE');
    expect(e.message).toBe("the training matrix has 4 columns but the spec's design matrix has 5");
  });

  it('refuses a label other than 0 or 1, naming the row but not the value', async () => {
    const y = DATA.y.slice();
    y[3] = 2;

    const e = await caught(trainLocal({ spec: logistic, weights: initialWeights(logistic), data: { ...DATA, y }, fit: NO_PROX, seed: 1 }));

    expect(e.code).toBe('COHORT_E_TRAINING_DATA_SHAPE');
    expect(e.message).toBe('the training label of row 3 is not 0 or 1');
  });

  it('refuses a missing value, naming its row and column', async () => {
    const x = DATA.x.slice();
    x[2 * WIDTH + 4] = Number.NaN;

    const e = await caught(trainLocal({ spec: logistic, weights: initialWeights(logistic), data: { ...DATA, x }, fit: NO_PROX, seed: 1 }));

    expect(e.message).toBe('the training matrix has a non-finite value in row 2, column "x4"');
  });

  it('refuses global weights of the wrong length', async () => {
    const e = await caught(trainLocal({ spec: logistic, weights: new Float32Array(3), data: DATA, fit: NO_PROX, seed: 1 }));

    expect(e.code).toBe('COHORT_E_TRAINING_WEIGHTS_SHAPE');
  });

  it('refuses non-finite global weights', async () => {
    const weights = initialWeights(logistic);
    weights[1] = Number.POSITIVE_INFINITY;

    const e = await caught(trainLocal({ spec: logistic, weights, data: DATA, fit: NO_PROX, seed: 1 }));

    expect(e.code).toBe('COHORT_E_TRAINING_NON_FINITE');
    expect(e.message).toBe('the global weights hold a non-finite value at index 1');
  });
});

describe('evaluate', () => {
  it('matches loss, accuracy and AUC computed by hand for a fixed logistic model', async () => {
    const tiny = parseSpec(numericSpec(2));
    // Kernel [1, -2], bias 0.5: logits 1.5, -1.5, 0.5, 0.5 for the four rows.
    const weights = new Float32Array([1, -2, 0.5]);
    const data: Matrix = { x: new Float32Array([1, 0, 0, 1, 2, 1, 0, 0]), y: new Float32Array([1, 0, 0, 1]), rows: 4, cols: 2 };
    const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
    const expectedLoss = -(Math.log(sigmoid(1.5)) + Math.log(1 - sigmoid(-1.5)) + Math.log(1 - sigmoid(0.5)) + Math.log(sigmoid(0.5))) / 4;

    const result = await evaluate(tiny, weights, data);

    expect(result.numExamples).toBe(4);
    expect(result.loss).toBeCloseTo(expectedLoss, 6);
    expect(result.loss).toBeCloseTo(0.462745, 5);
    // Predictions 1, 0, 1, 1 against labels 1, 0, 0, 1.
    expect(result.accuracy).toBe(0.75);
    // Positives score s(1.5), s(0.5); negatives s(-1.5), s(0.5): 3 pairs ordered, 1 tie -> 3.5 / 4.
    expect(result.auc).toBe(0.875);
  });

  it('reports NaN AUC when the held-out rows hold one class', async () => {
    const tiny = parseSpec(numericSpec(2));
    const data: Matrix = { x: new Float32Array([1, 0, 0, 1]), y: new Float32Array([1, 1]), rows: 2, cols: 2 };

    const result = await evaluate(tiny, new Float32Array([1, -2, 0.5]), data);

    expect(result.auc).toBeNaN();
    expect(result.accuracy).toBe(0.5);
  });
});
