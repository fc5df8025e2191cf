/**
 * The sum over a batch of per-example gradients, each clipped to L2 norm C over all
 * trainable weights jointly, in one batched pass and without materialising any single
 * example's gradient ("ghost clipping": Goodfellow 2015, Li et al. 2022).
 *
 * For a Dense layer z = a W + b, example i's gradients are the outer product
 * a_i^T g_i and g_i, with g_i = dL_i/dz_i the signal backpropagated to the layer's
 * pre-activation output. So ||grad W_i||^2 = ||a_i||^2 ||g_i||^2 and
 * ||grad b_i||^2 = ||g_i||^2, and with clip factors c_i = min(1, C / ||grad_i||) the
 * clipped sums are W: a^T diag(c) g and b: sum_i c_i g_i, one matmul per layer.
 *
 * The g's come from one reverse pass of tf.grads: a zero "ghost" tensor is added to
 * every Dense pre-activation and the SUM of the per-example losses is differentiated
 * with respect to the ghosts. Row i of that gradient is example i's own signal because
 * every supported layer treats the examples of a batch separately (dp-compatibility.ts).
 *
 * A Conv2D layer is a Dense layer applied at every output position p to the input patch
 * under the window (im2col / unfold: U_i [P, kh*kw*cin], one row per position). Example
 * i's kernel gradient is U_i^T G_i (G_i [P, filters], the signals at its positions), its
 * bias gradient the column sums of G_i. The squared norm is either computed directly from
 * that [kh*kw*cin, filters] product, or by the ghost identity
 * ||U_i^T G_i||^2 = <U_i U_i^T, G_i G_i^T> over [P, P] Gram matrices, whichever costs
 * fewer multiplications (few positions: ghost; many: direct). The clipped sum is one
 * matmul over all examples' patches: U^T diag(c) G. The patches come from a conv2d with
 * an identity filter, so "same" padding and strides are exactly those of the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { unsupportedDpLayer, DP_LAYER_CLASSES } from './dp-compatibility.ts';
import { EPSILON } from './metrics.ts';
import type { TrainBatch } from './train-step.ts';

type LayerVariable = tf.LayersModel['trainableWeights'][number];

interface DenseStage {
  readonly kind: 'dense';
  readonly kernel: LayerVariable;
  readonly bias: LayerVariable | null;
  readonly activation: (z: tf.Tensor) => tf.Tensor;
  /** Positions of the kernel and bias in `model.trainableWeights`; -1 when frozen. */
  readonly kernelIndex: number;
  readonly biasIndex: number;
  /** The layer's output shape without the batch axis: the ghost's shape. */
  readonly outShape: readonly number[];
}

/** A Conv2D stage: a DenseStage over image patches (channels last, no dilation). */
interface ConvStage extends Omit<DenseStage, 'kind'> {
  readonly kind: 'conv';
  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: 'same' | 'valid';
}

/** A weightless layer applied as the model applies it in training (Dropout draws its mask here). */
interface PassStage {
  readonly kind: 'pass';
  readonly layer: tf.layers.Layer;
}

type Stage = DenseStage | ConvStage | PassStage;

/** How a conv layer's per-example kernel norm is computed: by cost, or forced (tests compare both). */
export type ConvNormMethod = 'auto' | 'ghost' | 'direct';

/**
 * Layer classes the batched clipping handles: DP_LAYER_CLASSES for Keras topologies, plus
 * the cnn family's Conv2D (clipped over patches), Reshape and the poolings (weightless and
 * per example).
 */
export const DP_PLAN_LAYER_CLASSES: readonly string[] = [...DP_LAYER_CLASSES, 'Conv2D', 'Reshape', 'MaxPooling2D', 'AveragePooling2D'];

/** The model as a chain of stages, built once per model: the layers do not change after building. */
interface Plan {
  readonly stages: readonly Stage[];
  /** The Dense stages with a trainable weight, in chain order: they get a ghost tensor. */
  readonly traced: readonly (DenseStage | ConvStage)[];
  readonly trainableCount: number;
}

const plans = new WeakMap<tf.LayersModel, Plan>();

/** tfjs-layers keeps a Dense layer's activation in a field without a public getter. */
function activationOf(layer: tf.layers.Layer): (z: tf.Tensor) => tf.Tensor {
  const activation = (layer as unknown as { activation?: { apply?: (z: tf.Tensor) => tf.Tensor } }).activation;
  if (typeof activation?.apply !== 'function') {
    throw new TypeError(`Dense layer "${layer.name}" has no activation function this version of tfjs-layers exposes`);
  }
  return (z) => activation.apply!(z);
}

function denseStage(model: tf.LayersModel, layer: tf.layers.Layer, kernelRank = 2): DenseStage {
  const weights = layer.weights;
  const kernel = weights.find((w) => w.shape.length === kernelRank);
  if (kernel === undefined) throw new TypeError(`layer "${layer.name}" has no kernel`);
  const bias = weights.find((w) => w.shape.length === 1) ?? null;
  return {
    kind: 'dense',
    kernel,
    bias,
    activation: activationOf(layer),
    kernelIndex: model.trainableWeights.indexOf(kernel),
    biasIndex: bias === null ? -1 : model.trainableWeights.indexOf(bias),
    outShape: (layer.outputShape as (number | null)[]).slice(1) as number[],
  };
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function convStage(model: tf.LayersModel, layer: tf.layers.Layer): ConvStage {
  const config = layer.getConfig() as { kernelSize?: unknown; strides?: unknown; padding?: unknown; dilationRate?: unknown; dataFormat?: unknown };
  const dilation = pair(config.dilationRate ?? 1);
  if (config.dataFormat !== 'channelsLast' || dilation[0] !== 1 || dilation[1] !== 1 || (config.padding !== 'same' && config.padding !== 'valid')) {
    throw new TypeError(`Conv2D layer "${layer.name}" is not channels-last, undilated, "same" or "valid" padded; DP-SGD cannot clip it`);
  }
  return {
    ...denseStage(model, layer, 4),
    kind: 'conv',
    kernelSize: pair(config.kernelSize),
    strides: pair(config.strides ?? 1),
    padding: config.padding,
  };
}

/**
 * The model's chain of stages. Throws COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER for a layer
 * class outside DP_LAYER_CLASSES (BatchNormalization above all), naming the layer.
 */
export function dpPlanOf(model: tf.LayersModel): Plan {
  const known = plans.get(model);
  if (known !== undefined) return known;
  const stages: Stage[] = [];
  model.layers.forEach((layer, index) => {
    const layerClass = layer.getClassName();
    if (!DP_PLAN_LAYER_CLASSES.includes(layerClass)) {
      throw unsupportedDpLayer(`model layer ${index} (${layerClass} "${layer.name}")`, layerClass, { layerIndex: index, layerName: layer.name });
    }
    if (layerClass === 'InputLayer') return;
    if (layerClass === 'Dense') stages.push(denseStage(model, layer));
    else if (layerClass === 'Conv2D') stages.push(convStage(model, layer));
    else stages.push({ kind: 'pass', layer });
  });
  const traced = stages.filter((s): s is DenseStage | ConvStage => s.kind !== 'pass' && (s.kernelIndex >= 0 || s.biasIndex >= 0));
  const covered = traced.flatMap((s) => [s.kernelIndex, s.biasIndex]).filter((i) => i >= 0);
  if (covered.length !== model.trainableWeights.length || new Set(covered).size !== covered.length) {
    throw new TypeError(`model "${model.name}" has trainable weights outside its Dense and Conv2D layers; DP-SGD cannot clip them`);
  }
  const plan: Plan = { stages, traced, trainableCount: model.trainableWeights.length };
  plans.set(model, plan);
  return plan;
}

/** Sum over the batch of the per-example binary cross-entropies, probabilities clipped as in train-step.ts. */
function summedCrossEntropy(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
  return tf.neg(tf.sum(tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

/** What one batched pass yields; every tensor belongs to the caller. */
export interface ClippedGradientSum {
  /** Sum over the batch of the clipped per-example gradients, one per `model.trainableWeights` entry, same shapes. */
  readonly sum: tf.Tensor[];
  /** Each example's gradient norm over all trainable weights, before clipping: [batch]. */
  readonly norms: tf.Tensor1D;
  /** Sum over the batch of the per-example losses (before the update). */
  readonly lossSum: tf.Scalar;
}

/**
 * Forward pass in training mode (dropout on) with ghosts added to the traced Dense and
 * Conv2D pre-activations; returns the per-example signals g and the layer inputs a.
 */
function signals(plan: Plan, batch: TrainBatch): { inputs: tf.Tensor[]; grads: tf.Tensor[]; lossSum: tf.Scalar } {
  const rows = batch.x.shape[0];
  const ghosts = plan.traced.map((s) => tf.zeros([rows, ...s.outShape]));
  // The layer inputs escape the gradient function's internal tidy by keep(); no scope disposes a kept
  // tensor, so clippedGradientSum disposes them itself.
  const inputs: tf.Tensor[] = [];
  try {
    const { value, grads } = tf.valueAndGrads((...g: tf.Tensor[]) => {
      let h: tf.Tensor = batch.x;
      let k = 0;
      for (const stage of plan.stages) {
        if (stage.kind === 'pass') {
          h = stage.layer.apply(h, { training: true }) as tf.Tensor;
          continue;
        }
        let z =
          stage.kind === 'conv'
            ? tf.conv2d(h as tf.Tensor4D, stage.kernel.read() as tf.Tensor4D, stage.strides as [number, number], stage.padding)
            : tf.matMul(h as tf.Tensor2D, stage.kernel.read() as tf.Tensor2D);
        if (stage.bias !== null) z = tf.add(z, stage.bias.read());
        if (stage.kernelIndex >= 0 || stage.biasIndex >= 0) {
          inputs.push(tf.keep(h.clone()));
          z = tf.add(z, g[k++]!);
        }
        h = stage.activation(z);
      }
      return summedCrossEntropy(batch.y, h);
    })(ghosts);
    return { inputs, grads, lossSum: value as tf.Scalar };
  } catch (e) {
    inputs.forEach((t) => t.dispose());
    throw e;
  } finally {
    ghosts.forEach((t) => t.dispose());
  }
}

/**
 * im2col: every kh x kw patch of `x` [n, h, w, cin] under a conv's window, as
 * [n, positions, kh*kw*cin], the patch flattened in the kernel's [kh, kw, cin] order. A conv2d
 * with an identity filter, so positions, padding and strides are exactly the conv's own.
 */
export function imageToColumns(x: tf.Tensor4D, kernelSize: readonly [number, number], strides: readonly [number, number], padding: 'same' | 'valid'): tf.Tensor3D {
  return tf.tidy(() => {
    const [kh, kw] = kernelSize;
    const depth = kh * kw * x.shape[3];
    const identity = tf.reshape(tf.eye(depth), [kh, kw, x.shape[3], depth]) as tf.Tensor4D;
    const patches = tf.conv2d(x, identity, strides as [number, number], padding);
    return tf.reshape(patches, [x.shape[0], -1, depth]) as tf.Tensor3D;
  });
}

/** Per-example squared norms of a conv layer's kernel gradients U_i^T G_i, [n]. */
function convKernelNormsSquared(patches: tf.Tensor3D, signals: tf.Tensor3D, method: ConvNormMethod): tf.Tensor1D {
  const [, positions, depth] = patches.shape;
  const filters = signals.shape[2];
  // Multiplications per example: two [P, P] Grams and their product, or one [D, F] product.
  const useGhost = method === 'ghost' || (method === 'auto' && positions * positions * (depth + filters + 1) < positions * depth * filters);
  if (useGhost) {
    return tf.sum(tf.mul(tf.matMul(patches, patches, false, true), tf.matMul(signals, signals, false, true)), [1, 2]) as tf.Tensor1D;
  }
  return tf.sum(tf.square(tf.matMul(patches, signals, true, false)), [1, 2]) as tf.Tensor1D;
}

/**
 * The clipped-and-summed gradient of the summed binary cross-entropy over `batch`
 * (at least one row), each example's gradient clipped to L2 norm `clipNorm` over all
 * the model's trainable weights jointly. Equal, to float tolerance, to a loop of
 * per-example `tf.grads`, clip, sum; but one batched pass whatever the batch size.
 * `convNorms` picks how conv layers' norms are computed (default: the cheaper).
 * Leaves only the returned tensors behind.
 */
export function clippedGradientSum(model: tf.LayersModel, batch: TrainBatch, clipNorm: number, convNorms: ConvNormMethod = 'auto'): ClippedGradientSum {
  const plan = dpPlanOf(model);
  const { inputs, grads, lossSum } = signals(plan, batch);
  try {
    return tf.tidy(() => {
      const rows = batch.x.shape[0];
      // Per traced stage: its layer input as [rows, positions, depth] and its signals as [rows, positions, units].
      // A Dense layer has one position.
      const unfolded = plan.traced.map((stage, l) => {
        const g = grads[l]!;
        if (stage.kind !== 'conv') return { a: inputs[l]! as tf.Tensor2D, g: g as tf.Tensor2D, conv: false as const };
        const a = imageToColumns(inputs[l]! as tf.Tensor4D, stage.kernelSize, stage.strides, stage.padding);
        return { a, g: tf.reshape(g, [rows, -1, g.shape[3]!]) as tf.Tensor3D, conv: true as const };
      });
      const sq = (t: tf.Tensor2D): tf.Tensor1D => tf.sum(tf.square(t), 1);
      // ||grad_i||^2 = sum over layers of ||kernel grad_i||^2 + ||bias grad_i||^2.
      const perLayer = plan.traced.map((stage, l) => {
        const { a, g, conv } = unfolded[l]!;
        if (!conv) {
          const gradSq = sq(g);
          const inputFactor = stage.kernelIndex >= 0 ? sq(a) : tf.zerosLike(gradSq);
          return tf.mul(gradSq, stage.biasIndex >= 0 ? tf.add(inputFactor, 1) : inputFactor);
        }
        const kernelSq = stage.kernelIndex >= 0 ? convKernelNormsSquared(a, g, convNorms) : tf.zeros([rows]);
        return stage.biasIndex >= 0 ? tf.add(kernelSq, sq(tf.sum(g, 1) as tf.Tensor2D)) : kernelSq;
      });
      const norms = tf.sqrt(perLayer.length === 1 ? perLayer[0]! : tf.addN(perLayer)) as tf.Tensor1D;
      // C / max(||grad||, C) = min(1, C / ||grad||), and 1 (not NaN) for a zero gradient.
      const factors = tf.div(clipNorm, tf.maximum(norms, clipNorm));
      const sum = new Array<tf.Tensor>(plan.trainableCount);
      plan.traced.forEach((stage, l) => {
        const { a, g, conv } = unfolded[l]!;
        if (!conv) {
          const clipped = tf.mul(g, tf.reshape(factors, [-1, 1]));
          if (stage.kernelIndex >= 0) sum[stage.kernelIndex] = tf.matMul(a, clipped, true, false);
          if (stage.biasIndex >= 0) sum[stage.biasIndex] = tf.sum(clipped, 0);
          return;
        }
        const clipped = tf.mul(g, tf.reshape(factors, [-1, 1, 1]));
        const depth = a.shape[2];
        const units = g.shape[2];
        if (stage.kernelIndex >= 0) {
          const flat = tf.matMul(tf.reshape(a, [-1, depth]) as tf.Tensor2D, tf.reshape(clipped, [-1, units]) as tf.Tensor2D, true, false);
          sum[stage.kernelIndex] = tf.reshape(flat, stage.kernel.shape as number[]);
        }
        if (stage.biasIndex >= 0) sum[stage.biasIndex] = tf.sum(clipped, [0, 1]);
      });
      return { sum, norms, lossSum };
    });
  } finally {
    inputs.forEach((t) => t.dispose());
    grads.forEach((t) => t.dispose());
  }
}
