import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../models/seeded-random.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { registerWasmConv2DBackpropFilter } from '../../../site-agent/training/wasm-conv2d-backprop-filter.ts';

const random = (n: number, seed: number): Float32Array => {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => 2 * rng() - 1);
};

interface Case {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride: number;
  readonly padding: 'same' | 'valid';
}

/** The filter gradient of sum(conv2d(x, w) * r) on the active backend: Conv2DBackpropFilter(x, r). */
function filterGradient(c: Case, seed: number): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const x = tf.tensor4d(random(c.batch * c.height * c.width * c.inChannels, seed), [c.batch, c.height, c.width, c.inChannels]);
    const w = tf.tensor4d(random(c.kernel * c.kernel * c.inChannels * c.outChannels, seed + 1), [c.kernel, c.kernel, c.inChannels, c.outChannels]);
    const outShape = tf.conv2d(x, w, c.stride, c.padding).shape;
    const r = tf.tensor(random(outShape.reduce((a, b) => a * b, 1), seed + 2), outShape);
    const grad = tf.grad((filter: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, filter as tf.Tensor4D, c.stride, c.padding), r)))(w);
    return { values: grad.dataSync() as Float32Array, shape: grad.shape };
  });
}

/** The same gradient from its definition, in float64 plain JS: sum over n, y, x of patch * r. */
function bruteForce(c: Case, seed: number): Float64Array {
  const x = random(c.batch * c.height * c.width * c.inChannels, seed);
  const outH = c.padding === 'same' ? Math.ceil(c.height / c.stride) : Math.floor((c.height - c.kernel) / c.stride) + 1;
  const outW = c.padding === 'same' ? Math.ceil(c.width / c.stride) : Math.floor((c.width - c.kernel) / c.stride) + 1;
  const r = random(c.batch * outH * outW * c.outChannels, seed + 2);
  // TensorFlow's SAME padding: total max((out-1)*s + k - n, 0), the smaller half on top/left.
  const padTop = c.padding === 'same' ? Math.floor(Math.max((outH - 1) * c.stride + c.kernel - c.height, 0) / 2) : 0;
  const padLeft = c.padding === 'same' ? Math.floor(Math.max((outW - 1) * c.stride + c.kernel - c.width, 0) / 2) : 0;
  const dw = new Float64Array(c.kernel * c.kernel * c.inChannels * c.outChannels);
  for (let n = 0; n < c.batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let i = 0; i < c.kernel; i++) {
          for (let j = 0; j < c.kernel; j++) {
            const iy = oy * c.stride + i - padTop;
            const ix = ox * c.stride + j - padLeft;
            if (iy < 0 || iy >= c.height || ix < 0 || ix >= c.width) continue;
            for (let ci = 0; ci < c.inChannels; ci++) {
              const xv = x[((n * c.height + iy) * c.width + ix) * c.inChannels + ci]!;
              for (let co = 0; co < c.outChannels; co++) {
                dw[((i * c.kernel + j) * c.inChannels + ci) * c.outChannels + co]! += xv * r[((n * outH + oy) * outW + ox) * c.outChannels + co]!;
              }
            }
          }
        }
      }
    }
  }
  return dw;
}

function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / scale);
  return worst;
}

// Every stride (1..3) and padding the cnn spec allows, with odd and even kernels up to 7 (the spec refuses a
// stride past its kernel), on odd-sized images (so "same" pads unevenly) and a square one.
const CASES: Case[] = [];
for (const stride of [1, 2, 3]) {
  for (const padding of ['same', 'valid'] as const) {
    for (const kernel of [1, 2, 3, 4, 7].filter((k) => k >= stride)) {
      CASES.push({ batch: 3, height: 9, width: 8, inChannels: 2, outChannels: 3, kernel, stride, padding });
    }
    CASES.push({ batch: 2, height: 16, width: 16, inChannels: 1, outChannels: 4, kernel: 5, stride, padding });
  }
}

describe('Conv2DBackpropFilter on the wasm backend', () => {
  beforeAll(async () => {
    await selectBackend('wasm', 'mlp');
  });
  afterAll(async () => {
    await selectBackend('cpu', 'logistic-regression');
  });

  it('is missing from tfjs 4.22 wasm without ours: a filter gradient throws', async () => {
    const ours = tf.getKernel('Conv2DBackpropFilter', 'wasm')!;
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    try {
      expect(() => filterGradient(CASES[0]!, 1)).toThrow(/'Conv2DBackpropFilter' not registered for backend 'wasm'/);
    } finally {
      tf.registerKernel(ours);
    }
  });

  it.each(CASES.map((c, i) => [`${c.kernel}x${c.kernel} stride ${c.stride} ${c.padding} on ${c.height}x${c.width}x${c.inChannels}`, c, i] as const))(
    'equals the cpu backend and the definition: %s',
    async (_, c, i) => {
      const seed = 100 + 10 * i;
      await tf.setBackend('wasm');
      const wasm = filterGradient(c, seed);
      await tf.setBackend('cpu');
      const cpu = filterGradient(c, seed);
      await tf.setBackend('wasm');

      expect(wasm.shape).toEqual([c.kernel, c.kernel, c.inChannels, c.outChannels]);
      expect(cpu.shape).toEqual(wasm.shape);
      expect(maxRelativeError(wasm.values, cpu.values)).toBeLessThan(1e-5);
      expect(maxRelativeError(wasm.values, bruteForce(c, seed))).toBeLessThan(1e-5);
    },
  );

  it('leaves no wasm tensor behind', () => {
    const before = tf.memory().numTensors;
    const dataIds = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
    filterGradient(CASES[7]!, 5);
    expect(tf.memory().numTensors).toBe(before);
    expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(dataIds);
  });

  it('registers once', () => {
    const kernel = tf.getKernel('Conv2DBackpropFilter', 'wasm');
    registerWasmConv2DBackpropFilter();
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBe(kernel);
  });
});
