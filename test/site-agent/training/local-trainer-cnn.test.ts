import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../models/seeded-random.ts';
import type { ModelSpec, ModelSpecInput } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { initialWeights } from '../../../models/weight-layout.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { evaluate, trainLocal } from '../../../site-agent/training/local-trainer.ts';
import { releaseModel } from '../../../site-agent/training/model-cache.ts';
import { barImages, distance } from './helpers.ts';

const SIZE = 12;
/** 8-bit-like pixels, so that the spec's normalisation matters. */
const TRAIN = barImages(240, SIZE, SIZE, 1, 5, 255);
const TEST = barImages(120, SIZE, SIZE, 1, 6, 255);
const NO_PROX = { round: 1, proximalMu: 0 } as const;

function cnn(training: Record<string, unknown>, normalization = 'per-image'): ModelSpec {
  return parseSpec({
    name: 'imaging',
    dataset: 'imaging',
    features: [{ name: 'image', type: 'image', height: SIZE, width: SIZE, channels: 1, normalization }],
    label: { name: 'y', type: 'binary' },
    model: {
      family: 'cnn',
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 3 },
        { type: 'max-pool', poolSize: 2 },
        { type: 'conv2d', filters: 6, kernelSize: 3, strides: 2 },
      ],
      hidden: [8],
    },
    training,
    rounds: 1,
  } as ModelSpecInput);
}

const plain = cnn({ epochs: 4, batchSize: 16, optimizer: 'adam', learningRate: 0.01 });
const dp = { noiseMultiplier: 0.5, clipNorm: 1, samplingRate: 0.1 } as const;

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});
afterAll(async () => {
  await releaseModel();
  await selectBackend('cpu', 'logistic-regression');
});

describe('trainLocal on a cnn', () => {
  it('learns horizontal from vertical bars (plain SGD, cpu)', async () => {
    const start = initialWeights(plain);
    const before = await evaluate(plain, start, TEST);

    const result = await trainLocal({ spec: plain, weights: start, data: TRAIN, fit: NO_PROX, seed: 1 });
    const after = await evaluate(plain, result.weights, TEST);

    expect(result.steps).toBe(4 * 15);
    expect(before.accuracy).toBeLessThan(0.7);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('learns them under DP-SGD (conv layers clipped per example, noise on the sum)', async () => {
    const spec = cnn({ epochs: 6, optimizer: 'adam', learningRate: 0.01 });
    const result = await trainLocal({ spec, weights: initialWeights(spec), data: TRAIN, fit: NO_PROX, seed: 2, dp: { ...dp, random: mulberry32(9) } });
    const after = await evaluate(spec, result.weights, TEST);

    expect(result.steps).toBe(60);
    expect(result.meanLoss).toBeNaN();
    expect(after.accuracy).toBeGreaterThanOrEqual(0.85);
  });

  it("learns with the spec's range normalisation where the raw 0..255 pixels do not", async () => {
    // The same model and steps on unnormalised pixels: the first steps saturate the sigmoid (or diverge).
    const raw = cnn({ epochs: 4, batchSize: 16, optimizer: 'sgd', learningRate: 0.5 }, 'none');
    const normalized = cnn({ epochs: 4, batchSize: 16, optimizer: 'sgd', learningRate: 0.5 }, 'range');
    const rawResult = await trainLocal({ spec: raw, weights: initialWeights(raw), data: TRAIN, fit: NO_PROX, seed: 1 }).then(
      (r) => evaluate(raw, r.weights, TEST),
      (e: { code?: string }) => ({ accuracy: Number.NaN, code: e.code }),
    );
    const scaled = await trainLocal({ spec: normalized, weights: initialWeights(normalized), data: TRAIN, fit: NO_PROX, seed: 1 });

    expect(rawResult.accuracy >= 0.9).toBe(false);
    expect((await evaluate(normalized, scaled.weights, TEST)).accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('trains on the wasm backend to the weights the cpu backend reaches, plain and DP', async () => {
    const spec = cnn({ steps: 5, batchSize: 16, optimizer: 'sgd', learningRate: 0.1 });
    const start = initialWeights(spec);
    const run = async (backend: 'cpu' | 'wasm', private_: boolean): Promise<Float32Array> => {
      await releaseModel();
      await selectBackend(backend, 'cnn');
      const r = await trainLocal({ spec, weights: start, data: TRAIN, fit: NO_PROX, seed: 4, ...(private_ ? { dp: { ...dp, random: mulberry32(3) } } : {}) });
      await releaseModel();
      return r.weights;
    };
    try {
      for (const private_ of [false, true]) {
        const cpu = await run('cpu', private_);
        const wasm = await run('wasm', private_);
        expect(distance(cpu, start)).toBeGreaterThan(0.01);
        expect(distance(wasm, cpu) / distance(cpu, start)).toBeLessThan(1e-3);
      }
    } finally {
      await selectBackend('cpu', 'logistic-regression');
    }
  });
});
