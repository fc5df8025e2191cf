import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModel, flattenWeights, setFlatWeights } from '../../models/build-model.ts';
import { cnnPlan, normalizeImages, outputLength } from '../../models/cnn.ts';
import { designColumns, inputDimOf } from '../../models/features.ts';
import type { ModelSpecInput } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { initialWeights, weightLayout } from '../../models/weight-layout.ts';
import { caught, example } from './helpers.ts';

const IMAGE = { name: 'image', type: 'image', height: 8, width: 6, channels: 2 } as const;

function cnnInput(overrides: Record<string, unknown> = {}, model: Record<string, unknown> = {}): ModelSpecInput {
  return {
    name: 'imaging',
    dataset: 'imaging',
    features: [IMAGE],
    label: { name: 'y', type: 'binary' },
    model: { family: 'cnn', layers: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'max-pool' }], hidden: [4], ...model },
    training: { epochs: 1 },
    rounds: 1,
    ...overrides,
  } as ModelSpecInput;
}

afterAll(() => {
  tf.disposeVariables();
});

describe('the cnn family', () => {
  it('parses the example spec with its defaults', () => {
    const spec = example('imaging-cnn.yaml');

    expect(spec.features).toEqual([{ name: 'image', type: 'image', height: 16, width: 16, channels: 1, normalization: 'per-image', maxValue: 255 }]);
    expect(spec.model).toEqual({
      family: 'cnn',
      layers: [
        { type: 'conv2d', filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
        { type: 'max-pool', poolSize: 2 },
        { type: 'conv2d', filters: 8, kernelSize: 3, strides: 1, padding: 'same', activation: 'relu' },
        { type: 'max-pool', poolSize: 2 },
      ],
      hidden: [16],
      activation: 'relu',
    });
    expect(inputDimOf(spec)).toBe(256);
  });

  it('names one design column per pixel value, row-major with channels last', () => {
    const columns = designColumns(parseSpec(cnnInput()));
    expect(columns).toHaveLength(8 * 6 * 2);
    expect(columns.slice(0, 3)).toEqual(['image[0,0,0]', 'image[0,0,1]', 'image[0,1,0]']);
    expect(columns[2 * (6 * 2) + 5 * 2 + 1]).toBe('image[2,5,1]');
  });

  it('computes TensorFlow\'s output lengths', () => {
    // same: ceil(n / s); valid: floor((n - k) / s) + 1.
    expect([outputLength(9, 4, 3, 'same'), outputLength(9, 4, 3, 'valid'), outputLength(16, 3, 1, 'valid'), outputLength(7, 2, 2, 'same')]).toEqual([3, 2, 14, 4]);
  });

  it('lays out the weights as TensorFlow.js builds them, with Keras\'s conv fans', async () => {
    const spec = parseSpec(cnnInput({}, { layers: [{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, padding: 'valid' }, { type: 'avg-pool', poolSize: 2, strides: 1 }] }));
    // 8x6 -> valid 3x3 stride 2 -> 3x2x3 -> avg-pool 2 stride 1 -> 2x1x3 -> flatten 6 -> Dense 4 -> Dense 1.
    expect(cnnPlan(spec).stages.map((s) => s.output)).toEqual([[3, 2, 3], [2, 1, 3]]);
    expect(weightLayout(spec).map((w) => [w.name, w.shape])).toEqual([
      ['conv_1/kernel', [3, 3, 2, 3]],
      ['conv_1/bias', [3]],
      ['hidden_1/kernel', [6, 4]],
      ['hidden_1/bias', [4]],
      ['output/kernel', [4, 1]],
      ['output/bias', [1]],
    ]);
    const model = await buildModel(spec);
    expect(model.weights.map((w) => w.shape)).toEqual(weightLayout(spec).map((w) => w.shape));
    const start = initialWeights(spec);
    setFlatWeights(model, start);
    expect(flattenWeights(model)).toEqual(start);
    // Glorot uniform over fan_in 3*3*2 = 18 and fan_out 3*3*3 = 27: limit sqrt(6 / 45).
    const kernel = start.subarray(0, 54);
    const limit = Math.sqrt(6 / 45);
    expect(Math.max(...kernel.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...kernel.map(Math.abs))).toBeGreaterThan(0.8 * limit);
    const out = model.predict(tf.zeros([2, 96])) as tf.Tensor;
    expect(out.shape).toEqual([2, 1]);
    model.dispose();
  });

  it('refuses a cnn without an image feature, and an image feature without a cnn', () => {
    const noImage = cnnInput({ features: [{ name: 'age', type: 'numeric' }] });
    expect(caught(() => parseSpec(noImage)).code).toBe('COHORT_E_SPEC_CNN_SHAPE');
    const extra = cnnInput({ features: [IMAGE, { name: 'age', type: 'numeric' }] });
    expect(caught(() => parseSpec(extra)).message).toBe('spec.features: the cnn family reads exactly one feature, of type "image"');
    const mlp = cnnInput({ model: { family: 'mlp', hidden: [3] } });
    expect(caught(() => parseSpec(mlp)).message).toBe('spec.features: image feature "image" needs spec.model.family "cnn"');
  });

  it('refuses a window that does not fit, and a stride past its window, naming the layer', () => {
    const tooDeep = cnnInput({}, { layers: [{ type: 'conv2d', filters: 2, kernelSize: 7, padding: 'valid' }, { type: 'max-pool' }] });
    const e = caught(() => parseSpec(tooDeep));
    expect(e.code).toBe('COHORT_E_SPEC_CNN_SHAPE');
    expect(e.message).toBe('spec.model.layers[0]: a 7x7 conv2d window does not fit its 8x6 input');
    const skips = cnnInput({}, { layers: [{ type: 'conv2d', filters: 2, kernelSize: 2, strides: 3 }] });
    expect(caught(() => parseSpec(skips)).message).toBe('spec.model.layers[0]: strides 3 exceed the 2x2 window; expected at most 2');
  });

  it('refuses a conv whose window depth kh*kw*cin passes the im2col limit, and accepts one at the limit', () => {
    // 3x3 over 256 channels: depth 2304, the limit (im2col's identity filter holds depth^2 floats).
    const atLimit = cnnInput({}, { layers: [{ type: 'conv2d', filters: 256, kernelSize: 1 }, { type: 'conv2d', filters: 2, kernelSize: 3 }] });
    expect(cnnPlan(parseSpec(atLimit)).stages[1]!.output).toEqual([8, 6, 2]);
    const deep = cnnInput({}, { layers: [{ type: 'conv2d', filters: 256, kernelSize: 1 }, { type: 'conv2d', filters: 2, kernelSize: 5 }] });
    const e = caught(() => parseSpec(deep));
    expect(e.code).toBe('COHORT_E_SPEC_CNN_SHAPE');
    expect(e.message).toBe('spec.model.layers[1]: a 5x5 conv2d window over 256 channels has depth 6400; expected at most 2304 (kernelSize^2 x input channels)');
  });

  it('reports schema problems with their paths', () => {
    const bad = cnnInput(
      { features: [{ ...IMAGE, channels: 5, depth: 3 }] },
      { layers: [{ type: 'conv2d', filters: 0, kernelSize: 3, padding: 'full' }] },
    );
    const e = caught(() => parseSpec(bad));
    expect(e.code).toBe('COHORT_E_SPEC_INVALID');
    const paths = (e.details as { issues: { path: string }[] }).issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      'spec.features[0].channels',
      'spec.features[0].depth',
      'spec.model.layers[0]',
    ]);
  });
});

describe('normalizeImages', () => {
  const image = { name: 'image', type: 'image', height: 2, width: 2, channels: 1, maxValue: 4095 } as const;

  it('standardises each image by its own mean and population std, a constant image to zeros', () => {
    const out = normalizeImages(Float32Array.from([1, 2, 3, 4, 7, 7, 7, 7]), { ...image, normalization: 'per-image' });
    // mean 2.5, population std sqrt(1.25).
    const s = Math.sqrt(1.25);
    expect(Array.from(out.subarray(0, 4))).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(Math.fround));
    expect(Array.from(out.subarray(4))).toEqual([0, 0, 0, 0]);
  });

  it('divides by maxValue for range, and copies for none', () => {
    const x = Float32Array.from([0, 4095, 819, 4095]);
    expect(Array.from(normalizeImages(x, { ...image, normalization: 'range' }))).toEqual([0, 1, 0.2, 1].map(Math.fround));
    const copy = normalizeImages(x, { ...image, normalization: 'none' });
    expect(copy).toEqual(x);
    expect(copy).not.toBe(x);
  });
});
