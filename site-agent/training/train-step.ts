/**
 * One optimisation step of local training: forward pass in training mode, binary
 * cross-entropy, the FedProx proximal term, one optimizer update. Kept apart from the
 * loop so that the DP-SGD step (dp-train-step.ts: per-example clipping and noise) sits
 * beside it with the same signature.
 */
import * as tf from '@tensorflow/tfjs';
import { EPSILON } from './metrics.ts';

/** A batch on the device: x [n, width], y [n, 1] of 0/1. */
export interface TrainBatch {
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
}

/** What a step needs besides the batch. */
export interface StepConfig {
  /** FedProx mu; 0 disables the proximal term. */
  readonly proximalMu: number;
  /**
   * The round's global values of the model's trainable weights, in
   * `model.trainableWeights` order; required when proximalMu > 0.
   */
  readonly globalTrainable: readonly tf.Tensor[] | null;
}

/** Mean binary cross-entropy of sigmoid outputs, clipped as Keras clips them. */
function binaryCrossEntropyLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(yPred, EPSILON, 1 - EPSILON);
    const perExample = tf.add(tf.mul(yTrue, tf.log(p)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, p))));
    return tf.neg(tf.mean(perExample)) as tf.Scalar;
  });
}

/** (mu / 2) * ||w - w_global||^2 over the trainable weights (Li et al. 2020). */
function proximalTerm(variables: readonly tf.Tensor[], global: readonly tf.Tensor[], mu: number): tf.Scalar {
  return tf.tidy(() => {
    const squared = variables.map((v, i) => tf.sum(tf.squaredDifference(v, global[i]!)));
    return tf.mul(mu / 2, tf.addN(squared));
  });
}

/** The model's trainable variables, which the optimizer updates, in `model.trainableWeights` order. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Runs one step and returns the batch's mean cross-entropy before the update (without
 * the proximal term, so that losses compare across strategies). Leaves no tensor behind.
 */
export function trainStep(model: tf.LayersModel, batch: TrainBatch, optimizer: tf.Optimizer, config: StepConfig): number {
  return minimizeStep(model, batch.x, (predicted) => binaryCrossEntropyLoss(batch.y, predicted), optimizer, config);
}

/**
 * {@link trainStep} with any data loss of the model's output on `x` (the Cox partial
 * likelihood uses it): the FedProx term added, one optimizer update, the data loss before
 * the update returned. Leaves no tensor behind.
 */
export function minimizeStep(
  model: tf.LayersModel,
  x: tf.Tensor2D,
  lossOf: (predicted: tf.Tensor) => tf.Scalar,
  optimizer: tf.Optimizer,
  config: StepConfig,
): number {
  const variables = trainableVariables(model);
  const usesProximal = config.proximalMu > 0;
  if (usesProximal && (config.globalTrainable === null || config.globalTrainable.length !== variables.length)) {
    throw new RangeError('the proximal term needs the global value of every trainable weight');
  }
  let dataLoss: tf.Scalar | undefined;
  const cost = optimizer.minimize(
    () => {
      const predicted = model.apply(x, { training: true }) as tf.Tensor;
      const bce = lossOf(predicted);
      if (!usesProximal) return bce;
      // Kept past minimize's tidy so its value can be read once the update is done.
      dataLoss = tf.keep(bce);
      return tf.add(bce, proximalTerm(variables, config.globalTrainable!, config.proximalMu));
    },
    true,
    variables,
  )!;
  const reported = dataLoss ?? cost;
  const value = reported.dataSync()[0]!;
  cost.dispose();
  dataLoss?.dispose();
  return value;
}
