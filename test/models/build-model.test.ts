import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CohortError } from '../../core/errors/index.ts';
import { buildModel, flattenWeights, setFlatWeights } from '../../models/build-model.ts';
import { inputDimOf } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { initialWeights, parameterCount, sizeOf, weightLayout } from '../../models/weight-layout.ts';
import { caught, converterModel, example, numericSpec } from './helpers.ts';

const normalizedKeras = (): ModelSpec => ({ ...example('heart-logistic.yaml'), model: { family: 'keras', topology: converterModel() } });
const sha256 = (w: Float32Array): string => createHash('sha256').update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength)).digest('hex');

beforeAll(async () => {
  tf.env().set('PROD', true); // silences TensorFlow.js's "install tfjs-node" banner
  await tf.setBackend('cpu');
});

const built: tf.LayersModel[] = [];
afterAll(() => built.forEach((m) => m.dispose()));
async function build(spec: ModelSpec): Promise<tf.LayersModel> {
  const model = await buildModel(spec);
  built.push(model);
  return model;
}

describe('parameterCount', () => {
  it.each([
    ['heart-logistic.yaml', 13 + 1],
    ['heart-mlp.yaml', 13 * 32 + 32 + 32 * 16 + 16 + 16 + 1],
    ['keras-mlp.json', 13 * 16 + 16 + 16 + 1],
  ])('counts %s as %i parameters', (file, expected) => {
    expect(parameterCount(example(file))).toBe(expected);
  });

  it('counts BatchNormalization moving statistics in the flat vector', () => {
    // Dense 13x8+8, BN gamma/beta/mean/var 4x8, LN gamma/beta 2x8, Dense 8+1.
    expect(parameterCount(normalizedKeras())).toBe(112 + 32 + 16 + 9);
  });
});

describe('buildModel', () => {
  it.each(['heart-logistic.yaml', 'heart-mlp.yaml', 'keras-mlp.json'])('builds %s with the layout the spec describes', async (file) => {
    const spec = example(file);

    const model = await build(spec);

    expect(model.inputs[0]!.shape).toEqual([null, inputDimOf(spec)]);
    expect(model.outputs[0]!.shape).toEqual([null, 1]);
    expect(model.weights.map((w) => w.shape)).toEqual(weightLayout(spec).map((w) => w.shape));
  });

  it('builds an MLP with Dropout after each hidden layer when dropout is set', async () => {
    const model = await build(example('heart-mlp.yaml'));

    expect(model.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
  });

  it('builds a converter model.json with BatchNormalization, its moving statistics last and non-trainable', async () => {
    const spec = normalizedKeras();

    const model = await build(spec);

    expect(model.weights.map((w) => w.trainable)).toEqual(weightLayout(spec).map((w) => w.trainable));
    expect(model.weights.slice(-2).map((w) => w.trainable)).toEqual([false, false]);
    expect(flattenWeights(model)).toHaveLength(169);
  });
});

describe('initialWeights', () => {
  it('is bit-identical for two sites computing it from the same spec', () => {
    const siteA = initialWeights(example('heart-mlp.yaml'));
    const siteB = initialWeights(parseSpec(structuredClone(example('heart-mlp.yaml'))));

    expect(Buffer.from(siteA.buffer).equals(Buffer.from(siteB.buffer))).toBe(true);
  });

  it('does not change between versions (the consortium\'s first round depends on it)', () => {
    expect(sha256(initialWeights(example('heart-logistic.yaml')))).toBe('340fc063b4136b424577d262e47a51c62a441f309aef331c1567db278edf477f');
  });

  it('changes with the seed', () => {
    const spec = example('heart-logistic.yaml');

    expect(initialWeights({ ...spec, seed: 7 })).not.toEqual(initialWeights(spec));
  });

  it('draws kernels from Glorot-uniform bounds and sets biases to zero', () => {
    const spec = example('heart-mlp.yaml');
    const w = initialWeights(spec);
    const firstKernel = w.subarray(0, 13 * 32);
    const firstBias = w.subarray(13 * 32, 13 * 32 + 32);
    const limit = Math.sqrt(6 / (13 + 32));

    expect(Math.max(...firstKernel.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...firstKernel.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    expect([...firstBias].every((b) => b === 0)).toBe(true);
  });

  it('starts BatchNormalization at gamma 1, beta 0, mean 0, variance 1', () => {
    const spec = normalizedKeras();
    const w = initialWeights(spec);
    const at = (name: string): number[] => {
      const layout = weightLayout(spec);
      const i = layout.findIndex((l) => l.name === name);
      const offset = layout.slice(0, i).reduce((n, l) => n + sizeOf(l.shape), 0);
      return [...w.subarray(offset, offset + 8)];
    };

    expect(at('batch_normalization/gamma')).toEqual(Array(8).fill(1));
    expect(at('batch_normalization/beta')).toEqual(Array(8).fill(0));
    expect(at('batch_normalization/moving_mean')).toEqual(Array(8).fill(0));
    expect(at('batch_normalization/moving_variance')).toEqual(Array(8).fill(1));
  });
});

describe('flattenWeights and setFlatWeights', () => {
  it('round-trips a weight vector through the model', async () => {
    const spec = normalizedKeras();
    const model = await build(spec);
    const weights = Float32Array.from({ length: parameterCount(spec) }, (_, i) => Math.fround(Math.sin(i)));

    setFlatWeights(model, weights);

    expect(flattenWeights(model)).toEqual(weights);
  });

  it('copies the caller\'s array, so changing it later does not change the model', async () => {
    const model = await build(parseSpec(numericSpec(2)));
    const weights = new Float32Array([1, 2, 3]);

    setFlatWeights(model, weights);
    weights[0] = 99;

    expect([...flattenWeights(model)]).toEqual([1, 2, 3]);
  });

  it('refuses a vector of the wrong length', async () => {
    const model = await build(parseSpec(numericSpec(2)));

    const error = caught(() => setFlatWeights(model, new Float32Array(4)));

    expect(error).toBeInstanceOf(CohortError);
    expect(error.code).toBe('COHORT_E_TRAINING_WEIGHTS_SHAPE');
    expect(error.message).toBe('the weight vector has 4 values but model "logistic_regression" has 3 parameters');
  });

  it('leaves no tensor behind', async () => {
    const model = await build(parseSpec(numericSpec(2)));
    const before = tf.memory().numTensors;

    setFlatWeights(model, new Float32Array([0.5, -0.5, 0.1]));
    flattenWeights(model);

    expect(tf.memory().numTensors).toBe(before);
  });
});
