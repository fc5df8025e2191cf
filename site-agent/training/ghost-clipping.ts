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
}

/** A weightless layer applied as the model applies it in training (Dropout draws its mask here). */
interface PassStage {
  readonly kind: 'pass';
  readonly layer: tf.layers.Layer;
}

type Stage = DenseStage | PassStage;

/** The model as a chain of stages, built once per model: the layers do not change after building. */
interface Plan {
  readonly stages: readonly Stage[];
  /** The Dense stages with a trainable weight, in chain order: they get a ghost tensor. */
  readonly traced: readonly DenseStage[];
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

function denseStage(model: tf.LayersModel, layer: tf.layers.Layer): DenseStage {
  const weights = layer.weights;
  const kernel = weights.find((w) => w.shape.length === 2);
  if (kernel === undefined) throw new TypeError(`Dense layer "${layer.name}" has no kernel`);
  const bias = weights.find((w) => w.shape.length === 1) ?? null;
  return {
    kind: 'dense',
    kernel,
    bias,
    activation: activationOf(layer),
    kernelIndex: model.trainableWeights.indexOf(kernel),
    biasIndex: bias === null ? -1 : model.trainableWeights.indexOf(bias),
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
    if (!DP_LAYER_CLASSES.includes(layerClass)) {
      throw unsupportedDpLayer(`model layer ${index} (${layerClass} "${layer.name}")`, layerClass, { layerIndex: index, layerName: layer.name });
    }
    if (layerClass === 'InputLayer') return;
    stages.push(layerClass === 'Dense' ? denseStage(model, layer) : { kind: 'pass', layer });
  });
  const traced = stages.filter((s): s is DenseStage => s.kind === 'dense' && (s.kernelIndex >= 0 || s.biasIndex >= 0));
  const covered = traced.flatMap((s) => [s.kernelIndex, s.biasIndex]).filter((i) => i >= 0);
  if (covered.length !== model.trainableWeights.length || new Set(covered).size !== covered.length) {
    throw new TypeError(`model "${model.name}" has trainable weights outside its Dense layers; DP-SGD cannot clip them`);
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
 * Forward pass in training mode (dropout on) with ghosts added to the traced Dense
 * pre-activations; returns the per-example signals g and the layer inputs a.
 */
function signals(plan: Plan, batch: TrainBatch): { inputs: tf.Tensor2D[]; grads: tf.Tensor2D[]; lossSum: tf.Scalar } {
  const rows = batch.x.shape[0];
  const ghosts = plan.traced.map((s) => tf.zeros([rows, s.kernel.shape[1]!]));
  // The layer inputs escape the gradient function's internal tidy by keep(); no scope disposes a kept
  // tensor, so clippedGradientSum disposes them itself.
  const inputs: tf.Tensor2D[] = [];
  try {
    const { value, grads } = tf.valueAndGrads((...g: tf.Tensor[]) => {
      let h: tf.Tensor = batch.x;
      let k = 0;
      for (const stage of plan.stages) {
        if (stage.kind === 'pass') {
          h = stage.layer.apply(h, { training: true }) as tf.Tensor;
          continue;
        }
        let z = tf.matMul(h as tf.Tensor2D, stage.kernel.read() as tf.Tensor2D);
        if (stage.bias !== null) z = tf.add(z, stage.bias.read());
        if (stage.kernelIndex >= 0 || stage.biasIndex >= 0) {
          inputs.push(tf.keep(h.clone()) as tf.Tensor2D);
          z = tf.add(z, g[k++]!);
        }
        h = stage.activation(z);
      }
      return summedCrossEntropy(batch.y, h);
    })(ghosts);
    return { inputs, grads: grads as tf.Tensor2D[], lossSum: value as tf.Scalar };
  } catch (e) {
    inputs.forEach((t) => t.dispose());
    throw e;
  } finally {
    ghosts.forEach((t) => t.dispose());
  }
}

/**
 * The clipped-and-summed gradient of the summed binary cross-entropy over `batch`
 * (at least one row), each example's gradient clipped to L2 norm `clipNorm` over all
 * the model's trainable weights jointly. Equal, to float tolerance, to a loop of
 * per-example `tf.grads`, clip, sum; but one batched pass whatever the batch size.
 * Leaves only the returned tensors behind.
 */
export function clippedGradientSum(model: tf.LayersModel, batch: TrainBatch, clipNorm: number): ClippedGradientSum {
  const plan = dpPlanOf(model);
  const { inputs, grads, lossSum } = signals(plan, batch);
  try {
    return tf.tidy(() => {
      const sq = (t: tf.Tensor2D): tf.Tensor1D => tf.sum(tf.square(t), 1);
      const gradSq = grads.map(sq);
      // ||grad_i||^2 = sum over layers of ||g_i||^2 (||a_i||^2 [kernel] + 1 [bias]).
      const perLayer = plan.traced.map((stage, l) => {
        const inputFactor = stage.kernelIndex >= 0 ? sq(inputs[l]!) : tf.zerosLike(gradSq[l]!);
        return tf.mul(gradSq[l]!, stage.biasIndex >= 0 ? tf.add(inputFactor, 1) : inputFactor);
      });
      const norms = tf.sqrt(perLayer.length === 1 ? perLayer[0]! : tf.addN(perLayer)) as tf.Tensor1D;
      // C / max(||grad||, C) = min(1, C / ||grad||), and 1 (not NaN) for a zero gradient.
      const factors = tf.reshape(tf.div(clipNorm, tf.maximum(norms, clipNorm)), [-1, 1]);
      const sum = new Array<tf.Tensor>(plan.trainableCount);
      plan.traced.forEach((stage, l) => {
        const clipped = tf.mul(grads[l]!, factors);
        if (stage.kernelIndex >= 0) sum[stage.kernelIndex] = tf.matMul(inputs[l]!, clipped, true, false);
        if (stage.biasIndex >= 0) sum[stage.biasIndex] = tf.sum(clipped, 0);
      });
      return { sum, norms, lossSum };
    });
  } finally {
    inputs.forEach((t) => t.dispose());
    grads.forEach((t) => t.dispose());
  }
}
