/**
 * One DP-SGD step (Abadi et al. 2016), beside train-step.ts's plain step and with the same
 * shape of API: per-example gradients clipped to L2 norm C over all trainable weights
 * jointly and summed (ghost-clipping.ts), Gaussian noise of standard deviation sigma*C
 * added to the sum, the result divided by the EXPECTED batch size q*n (dividing by the
 * realised size would make the step depend on whether one more record was sampled, which
 * the accounting does not cover), then one optimizer update.
 *
 * The FedProx proximal term, when on, is added after the noise: its gradient
 * mu (w - w_global) depends only on the current weights (themselves the output of earlier
 * private steps) and the round's global weights, not on any record, so it is
 * post-processing and needs neither clipping nor noise.
 */
import * as tf from '@tensorflow/tfjs';
import type { GaussianSource } from '../../core/privacy/gaussian.ts';
import { deriveSeed } from '../../models/seeded-random.ts';
import { clippedGradientSum } from './ghost-clipping.ts';
import { trainableVariables, type StepConfig, type TrainBatch } from './train-step.ts';

/** What a DP-SGD step needs besides the batch (and the plain step's proximal settings). */
export interface DpStepConfig extends StepConfig {
  /** C: each example's gradient is scaled down to at most this L2 norm. */
  readonly clipNorm: number;
  /** sigma: the noise on the clipped sum has standard deviation sigma * C. 0 clips without noise. */
  readonly noiseMultiplier: number;
  /** q * n, the divisor of the noisy sum, whatever the realised batch size. */
  readonly expectedBatchSize: number;
  /** Seed of this step's tf.randomNormal noise, used only when `noise` is absent (tests). */
  readonly noiseSeed: number;
  /**
   * Production noise: Gaussian draws from an AES-CTR keystream keyed by node:crypto
   * (GaussianSampler.secure()). When given, it replaces the seeded tf.randomNormal, whose
   * 2^32 seeds are fine for reproducible tests but thin for a formal guarantee.
   */
  readonly noise?: GaussianSource;
}

/** N(0, std^2) noise of `shape`: from `source` when given, else tf.randomNormal under `seed`. */
function noiseTensor(shape: number[], std: number, seed: number, source: GaussianSource | undefined): tf.Tensor {
  if (source === undefined) return tf.randomNormal(shape, 0, std, 'float32', seed);
  const draws = source.fillGaussian(new Float64Array(shape.reduce((a, b) => a * b, 1)), std);
  return tf.tensor(Float32Array.from(draws), shape, 'float32');
}

/**
 * Runs one DP-SGD step on a Poisson-sampled batch (which may have no rows: the update is
 * then noise only) and returns the realised batch's mean cross-entropy before the update,
 * NaN for an empty batch. That loss is NOT privatised: keep it on the site. Leaves no
 * tensor behind.
 */
export function dpTrainStep(model: tf.LayersModel, batch: TrainBatch, optimizer: tf.Optimizer, config: DpStepConfig): number {
  const variables = trainableVariables(model);
  const usesProximal = config.proximalMu > 0;
  if (usesProximal && (config.globalTrainable === null || config.globalTrainable.length !== variables.length)) {
    throw new RangeError('the proximal term needs the global value of every trainable weight');
  }
  const rows = batch.x.shape[0];
  const noiseStd = config.noiseMultiplier * config.clipNorm;
  let lossSum: tf.Scalar | undefined;
  const gradients = tf.tidy(() => {
    let sums: tf.Tensor[];
    if (rows === 0) {
      sums = variables.map((v) => tf.zerosLike(v));
    } else {
      const clipped = clippedGradientSum(model, batch, config.clipNorm);
      lossSum = tf.keep(clipped.lossSum);
      sums = clipped.sum;
    }
    return sums.map((sum, k) => {
      // + 1: tf.randomNormal treats a seed of 0 as "no seed" and falls back to Math.random.
      const seed = deriveSeed(config.noiseSeed, k) + 1;
      const noisy = noiseStd > 0 ? tf.add(sum, noiseTensor(sum.shape, noiseStd, seed, config.noise)) : sum;
      const gradient = tf.div(noisy, config.expectedBatchSize);
      if (!usesProximal) return { name: variables[k]!.name, tensor: gradient };
      return { name: variables[k]!.name, tensor: tf.add(gradient, tf.mul(config.proximalMu, tf.sub(variables[k]!, config.globalTrainable![k]!))) };
    });
  });
  optimizer.applyGradients(gradients);
  gradients.forEach((g) => g.tensor.dispose());
  if (lossSum === undefined) return Number.NaN;
  const value = lossSum.dataSync()[0]! / rows;
  lossSum.dispose();
  return value;
}
