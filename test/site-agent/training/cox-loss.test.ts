/**
 * The Cox partial likelihood the cox-ph family trains on: value and gradient against a direct
 * computation (a loop over each event's risk set, the gradient written out by hand) on small
 * cases with tied times, and one step of the site's trainer against the same computation.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Matrix } from '../../../models/features.ts';
import { mulberry32 } from '../../../models/seeded-random.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { coxPartialLikelihoodLoss, riskSetPlan } from '../../../site-agent/training/cox-loss.ts';
import { assertDpCompatible } from '../../../site-agent/training/dp-compatibility.ts';
import { trainLocal } from '../../../site-agent/training/local-trainer.ts';
import { caughtSync } from '../../support/caught.ts';

interface Case {
  x: number[][];
  time: number[];
  event: number[];
}

/**
 * -(1/n) sum over events i of [x_i b - log sum_{j: T_j >= T_i} exp(x_j b)], and its gradient
 * -(1/n) sum over events i of [x_i - sum_{j in R_i} exp(x_j b) x_j / sum_{j in R_i} exp(x_j b)],
 * in float64, one risk set at a time.
 */
function direct({ x, time, event }: Case, beta: readonly number[]): { loss: number; grad: number[] } {
  const n = x.length;
  const dot = (row: number[]): number => row.reduce((s, v, k) => s + v * beta[k]!, 0);
  let loss = 0;
  const grad = beta.map(() => 0);
  for (let i = 0; i < n; i++) {
    if (event[i] !== 1) continue;
    let denominator = 0;
    const weighted = beta.map(() => 0);
    for (let j = 0; j < n; j++) {
      if (time[j]! < time[i]!) continue;
      const w = Math.exp(dot(x[j]!));
      denominator += w;
      x[j]!.forEach((v, k) => (weighted[k]! += w * v));
    }
    loss -= dot(x[i]!) - Math.log(denominator);
    x[i]!.forEach((v, k) => (grad[k]! -= v - weighted[k]! / denominator));
  }
  return { loss: loss / n, grad: grad.map((g) => g / n) };
}

/** Rows with times drawn from few values (so they tie), some censored. */
function randomCase(n: number, width: number, seed: number): Case {
  const rng = mulberry32(seed);
  const c: Case = { x: [], time: [], event: [] };
  for (let i = 0; i < n; i++) {
    c.x.push(Array.from({ length: width }, () => 2 * rng() - 1));
    c.time.push(1 + Math.floor(rng() * 5));
    c.event.push(rng() < 0.7 ? 1 : 0);
  }
  return c;
}

/** The loss and its gradient in beta, as the trainer computes them (eta = x beta, cox-loss.ts). */
function viaTf(c: Case, beta: readonly number[]): { loss: number; grad: number[] } {
  return tf.tidy(() => {
    const rows = Int32Array.from(c.x.keys());
    const plan = riskSetPlan(c.time, c.event, rows);
    const x = tf.tensor2d(Array.from(plan.order, (r) => c.x[r]!));
    const { value, grad } = tf.valueAndGrad((b: tf.Tensor) => coxPartialLikelihoodLoss(tf.reshape(tf.matMul(x, tf.reshape(b, [-1, 1])), [-1]) as tf.Tensor1D, plan))(tf.tensor1d([...beta]));
    return { loss: value.dataSync()[0]!, grad: Array.from(grad.dataSync()) };
  });
}

beforeAll(async () => {
  await selectBackend('cpu', 'cox-ph');
});

describe('coxPartialLikelihoodLoss', () => {
  it('equals the direct computation on a hand-made case with tied event and censoring times', () => {
    // Times 3, 3 (both events), 3 (censored), 5 (event), 8 (censored), 1 (event): Breslow puts
    // all three patients at time 3 in each tied event's risk set.
    const c: Case = { x: [[1, 0], [0, 1], [1, 1], [-1, 0.5], [0.2, -1], [0.5, 0.5]], time: [3, 3, 3, 5, 8, 1], event: [1, 1, 0, 1, 0, 1] };
    const beta = [0.3, -0.7];

    const got = viaTf(c, beta);
    const want = direct(c, beta);

    expect(got.loss).toBeCloseTo(want.loss, 5);
    got.grad.forEach((g, k) => expect(g).toBeCloseTo(want.grad[k]!, 5));
  });

  it.each([1, 2, 3, 4, 5])('equals the direct computation on 25 random rows with ties (seed %i)', (seed) => {
    const c = randomCase(25, 4, seed);
    const rng = mulberry32(100 + seed);
    const beta = Array.from({ length: 4 }, () => 2 * rng() - 1);

    const got = viaTf(c, beta);
    const want = direct(c, beta);

    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
    got.grad.forEach((g, k) => expect(Math.abs(g - want.grad[k]!)).toBeLessThan(1e-5));
  });

  it('does not depend on the order of the batch\'s rows', () => {
    const c = randomCase(12, 3, 9);
    const reversed: Case = { x: [...c.x].reverse(), time: [...c.time].reverse(), event: [...c.event].reverse() };
    const beta = [0.5, -0.25, 1];

    expect(viaTf(reversed, beta).loss).toBeCloseTo(viaTf(c, beta).loss, 6);
  });

  it('is 0 with a zero gradient for a batch without events', () => {
    const c: Case = { x: [[1, 2], [3, 4]], time: [1, 2], event: [0, 0] };

    const { loss, grad } = viaTf(c, [0.4, 0.1]);

    expect(Math.abs(loss)).toBe(0);
    expect(grad.map(Math.abs)).toEqual([0, 0]);
  });
});

describe('trainLocal on a cox-ph spec', () => {
  const WIDTH = 3;
  const spec: ModelSpec = parseSpec({
    name: 'cox',
    dataset: 'synthetic',
    features: Array.from({ length: WIDTH }, (_, i) => ({ name: `f${i}`, type: 'numeric' })),
    label: { type: 'survival', time: 'T', event: 'E' },
    model: { family: 'cox-ph' },
    training: { steps: 1, batchSize: 30, optimizer: 'sgd', learningRate: 0.5 },
    rounds: 1,
  });
  const c = randomCase(30, WIDTH, 21);
  const data: Matrix = { x: Float32Array.from(c.x.flat()), y: Float32Array.from(c.event), time: Float64Array.from(c.time), rows: 30, cols: WIDTH };

  it('parses with the partial likelihood as its loss and a bias-free linear score', () => {
    expect(spec.loss).toBe('cox-partial-likelihood');
  });

  it('takes one full-batch SGD step of the direct gradient: beta - lr * grad', async () => {
    const beta = [0.2, -0.1, 0.4];

    const result = await trainLocal({ spec, weights: Float32Array.from(beta), data, fit: { round: 1, proximalMu: 0 }, seed: 1 });

    const want = direct(c, beta);
    expect(result.weights).toHaveLength(WIDTH);
    Array.from(result.weights).forEach((w, k) => expect(w).toBeCloseTo(beta[k]! - 0.5 * want.grad[k]!, 5));
    expect(result.meanLoss).toBeCloseTo(want.loss, 5);
  });

  it('refuses rows without times (COHORT_E_TRAINING_DATA_SHAPE) and record-level DP (COHORT_E_SPEC_DP_UNSUPPORTED_MODEL)', async () => {
    const untimed: Matrix = { x: data.x, y: data.y, rows: data.rows, cols: data.cols };
    const noTime = await trainLocal({ spec, weights: new Float32Array(WIDTH), data: untimed, fit: { round: 1, proximalMu: 0 }, seed: 1 }).catch((e: unknown) => e);
    expect(noTime).toMatchObject({ code: 'COHORT_E_TRAINING_DATA_SHAPE' });

    const dp = await trainLocal({ spec, weights: new Float32Array(WIDTH), data, fit: { round: 1, proximalMu: 0 }, seed: 1, dp: { noiseMultiplier: 1, clipNorm: 1, samplingRate: 0.5 } }).catch((e: unknown) => e);
    expect(dp).toMatchObject({ code: 'COHORT_E_SPEC_DP_UNSUPPORTED_MODEL' });
    expect(caughtSync(() => assertDpCompatible(spec))).toMatchObject({ code: 'COHORT_E_SPEC_DP_UNSUPPORTED_MODEL' });
  });
});
