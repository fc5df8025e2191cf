/**
 * The flat weight vector of a spec's model, derived from the spec alone: which tensors,
 * in which order, with which shapes and initial values. Every site computes it without
 * TensorFlow.js, so the initial global weights are bit-identical everywhere, and the
 * builder checks that the model it builds has exactly this layout.
 *
 * Order: TensorFlow.js's `model.weights` order, i.e. every trainable weight in layer
 * order, then every non-trainable weight (BatchNormalization's moving statistics) in
 * layer order. The moving statistics are part of the vector and are federated like the
 * rest (averaged by FedAvg).
 */
import { cnnPlan } from './cnn.ts';
import { inputDimOf } from './features.ts';
import { readKerasChain, type KerasLayer } from './keras-topology.ts';
import { mulberry32, deriveSeed, type Rng } from './seeded-random.ts';
import type { ModelSpec } from './spec-schema.ts';

/** How a weight starts. Kernels: Glorot uniform; biases and betas: 0; gammas and variances: 1. */
export type WeightInit = 'glorot-uniform' | 'zeros' | 'ones';

export interface WeightSpec {
  /** `<layer name>/<weight name>`, for messages; TensorFlow.js may add suffixes to its own names. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: WeightInit;
  readonly trainable: boolean;
}

/** Seed stream of the initial weights; separate from the data-split streams derived from the same spec seed. */
const INIT_STREAM = 0x1a17;

function denseWeights(layer: string, inputs: number, units: number, useBias: boolean, trainable: boolean): WeightSpec[] {
  const kernel: WeightSpec = { name: `${layer}/kernel`, shape: [inputs, units], init: 'glorot-uniform', trainable };
  return useBias ? [kernel, { name: `${layer}/bias`, shape: [units], init: 'zeros', trainable }] : [kernel];
}

function kerasLayerWeights(layer: KerasLayer): WeightSpec[] {
  const c = layer.config;
  const trainable = c.trainable !== false;
  const width = layer.inputWidth;
  const flag = (key: string): boolean => c[key] !== false;
  switch (layer.className) {
    case 'Dense':
      return denseWeights(layer.name, width, layer.outputWidth, flag('use_bias'), trainable);
    case 'BatchNormalization':
      return [
        ...(flag('scale') ? [{ name: `${layer.name}/gamma`, shape: [width], init: 'ones' as const, trainable }] : []),
        ...(flag('center') ? [{ name: `${layer.name}/beta`, shape: [width], init: 'zeros' as const, trainable }] : []),
        { name: `${layer.name}/moving_mean`, shape: [width], init: 'zeros', trainable: false },
        { name: `${layer.name}/moving_variance`, shape: [width], init: 'ones', trainable: false },
      ];
    case 'LayerNormalization':
      return [
        ...(flag('scale') ? [{ name: `${layer.name}/gamma`, shape: [width], init: 'ones' as const, trainable }] : []),
        ...(flag('center') ? [{ name: `${layer.name}/beta`, shape: [width], init: 'zeros' as const, trainable }] : []),
      ];
    default:
      return [];
  }
}

/** The weights of the spec's model in flat-vector order. */
export function weightLayout(spec: Pick<ModelSpec, 'features' | 'model'>): WeightSpec[] {
  const inputs = inputDimOf(spec);
  const model = spec.model;
  let all: WeightSpec[];
  switch (model.family) {
    case 'logistic-regression':
      all = denseWeights('output', inputs, 1, true, true);
      break;
    case 'mlp': {
      all = [];
      let width = inputs;
      model.hidden.forEach((units, i) => {
        all.push(...denseWeights(`hidden_${i + 1}`, width, units, true, true));
        width = units;
      });
      all.push(...denseWeights('output', width, 1, true, true));
      break;
    }
    case 'cox-ph':
      // The linear risk score x . beta, no bias; beta starts at 0 (every patient at the same risk), as lifelines starts.
      all = [{ name: 'output/kernel', shape: [inputs, 1], init: 'zeros', trainable: true }];
      break;
    case 'keras':
      all = readKerasChain(model.topology, inputs).layers.flatMap(kerasLayerWeights);
      break;
    case 'cnn': {
      const plan = cnnPlan(spec);
      all = plan.stages.flatMap(({ name, layer, input }) =>
        layer.type === 'conv2d'
          ? [
              { name: `${name}/kernel`, shape: [layer.kernelSize, layer.kernelSize, input[2], layer.filters], init: 'glorot-uniform' as const, trainable: true },
              { name: `${name}/bias`, shape: [layer.filters], init: 'zeros' as const, trainable: true },
            ]
          : [],
      );
      let width = plan.flatWidth;
      model.hidden.forEach((units, i) => {
        all.push(...denseWeights(`hidden_${i + 1}`, width, units, true, true));
        width = units;
      });
      all.push(...denseWeights('output', width, 1, true, true));
      break;
    }
  }
  return [...all.filter((w) => w.trainable), ...all.filter((w) => !w.trainable)];
}

/** Number of values in a tensor of this shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const layoutSize = (layout: readonly WeightSpec[]): number => layout.reduce((n, w) => n + sizeOf(w.shape), 0);

/** Number of values in the flat weight vector (trainable and non-trainable). */
export function parameterCount(spec: Pick<ModelSpec, 'features' | 'model'>): number {
  return layoutSize(weightLayout(spec));
}

function fill(out: Float32Array, w: WeightSpec, rng: Rng): void {
  if (w.init === 'zeros') return;
  if (w.init === 'ones') {
    out.fill(1);
    return;
  }
  // Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)), as Keras's default.
  // A conv kernel [kh, kw, in, out] has fans kh*kw*in and kh*kw*out, as Keras computes them.
  const receptive = w.shape.length === 4 ? w.shape[0]! * w.shape[1]! : 1;
  const [fanIn, fanOut] = w.shape.length === 4 ? [receptive * w.shape[2]!, receptive * w.shape[3]!] : (w.shape as [number, number]);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng() - 1) * limit;
}

/**
 * The initial global weights, deterministic from `spec.seed` alone: every site and the
 * coordinator get bit-identical values. Initializers named inside a Keras topology are
 * ignored on purpose (they draw from TensorFlow.js's unseeded global random state).
 */
export function initialWeights(spec: Pick<ModelSpec, 'features' | 'model' | 'seed'>): Float32Array {
  const layout = weightLayout(spec);
  const flat = new Float32Array(layoutSize(layout));
  let offset = 0;
  layout.forEach((w, i) => {
    const size = sizeOf(w.shape);
    // One stream per tensor: a tensor's values depend only on the seed, its position and its shape.
    fill(flat.subarray(offset, offset + size), w, mulberry32(deriveSeed(spec.seed, INIT_STREAM, i)));
    offset += size;
  });
  return flat;
}
