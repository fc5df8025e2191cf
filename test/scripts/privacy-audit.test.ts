import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setFlatWeights } from '../../models/build-model.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { releaseModel, withModel } from '../../site-agent/training/model-cache.ts';
import { loadHeartDisease, poolHospitals } from '../../scripts/datasets/heart-disease.ts';
import { auditPValue, binomialUpperTail, epsilonLowerBound, guessAccuracyBound } from '../../scripts/bench/privacy-audit-bound.ts';
import {
  PRIVACY_AUDIT_SETTINGS,
  countCorrect,
  drawInclusion,
  logitsOf,
  makeCanaries,
  runPrivacyAudit,
  withCanaries,
  type PrivacyAuditSettings,
} from '../../scripts/bench/privacy-audit-run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** n choose k, exactly. */
function choose(n: number, k: number): bigint {
  let c = 1n;
  for (let i = 1; i <= k; i++) c = (c * BigInt(n - k + i)) / BigInt(i);
  return c;
}

/** P[Binomial(n, a/b) >= v] in exact rational arithmetic, rounded once to a double at the end. */
function exactTail(n: number, v: number, a: number, b: number): number {
  let numerator = 0n;
  for (let k = Math.max(0, v); k <= n; k++) numerator += choose(n, k) * BigInt(a) ** BigInt(k) * BigInt(b - a) ** BigInt(n - k);
  return Number(numerator) / Number(BigInt(b) ** BigInt(n));
}

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / expected;

describe('binomialUpperTail: P[Binomial(n, p) >= v], against values computed without it', () => {
  it('P[Bin(n, 1/2) >= n] = 2^-n, down to 2^-1000', () => {
    for (const n of [1, 10, 60, 300, 1000]) expect(relative(binomialUpperTail(n, n, 0.5), 2 ** -n)).toBeLessThan(1e-12);
  });

  it('P[Bin(20, 1/2) >= 15] = (15504 + 4845 + 1140 + 190 + 20 + 1) / 2^20 (Pascal\'s triangle, row 20)', () => {
    expect(relative(binomialUpperTail(20, 15, 0.5), 21700 / 2 ** 20)).toBeLessThan(1e-13);
  });

  it('matches the printed cumulative binomial table: n = 10, p = 0.3, P[X <= 2] = 0.3828', () => {
    expect(1 - binomialUpperTail(10, 3, 0.3)).toBeCloseTo(0.3828, 4);
    expect(relative(binomialUpperTail(10, 3, 0.3), exactTail(10, 3, 3, 10))).toBeLessThan(1e-13);
  });

  it('matches exact rational arithmetic at every v for n = 60, p = 19/20 and p = 1/2', () => {
    for (let v = 0; v <= 60; v++) {
      expect(relative(binomialUpperTail(60, v, 19 / 20), exactTail(60, v, 19, 20))).toBeLessThan(1e-12);
      expect(relative(binomialUpperTail(60, v, 0.5), exactTail(60, v, 1, 2))).toBeLessThan(1e-12);
    }
  });

  it('P[Bin(n, p) >= 1] = 1 - (1 - p)^n, and P[Bin(2k + 1, 1/2) >= k + 1] = 1/2 by symmetry', () => {
    for (const [n, p] of [[5, 0.1], [60, 0.73], [400, 0.001]] as const) expect(relative(binomialUpperTail(n, 1, p), 1 - (1 - p) ** n)).toBeLessThan(1e-12);
    for (const k of [0, 7, 100, 500]) expect(binomialUpperTail(2 * k + 1, k + 1, 0.5)).toBeCloseTo(0.5, 12);
  });

  it('is 1 for v <= 0, 0 for v > n, and handles p = 0 and p = 1', () => {
    expect(binomialUpperTail(10, 0, 0.3)).toBe(1);
    expect(binomialUpperTail(10, -2, 0.3)).toBe(1);
    expect(binomialUpperTail(10, 11, 0.3)).toBe(0);
    expect(binomialUpperTail(10, 1, 0)).toBe(0);
    expect(binomialUpperTail(10, 10, 1)).toBe(1);
    expect(() => binomialUpperTail(10, 3, 1.5)).toThrow(RangeError);
  });
});

describe('epsilonLowerBound (Steinke, Nasr, Jagielski 2023)', () => {
  const BETA = 0.05;

  it('with every guess right and delta = 0 it is the closed form ln(b / (1 - b)), b = beta^(1/r)', () => {
    for (const r of [5, 10, 60, 100, 1000]) {
      const b = BETA ** (1 / r);
      expect(epsilonLowerBound({ canaries: r, guesses: r, correct: r }, BETA)).toBeCloseTo(Math.log(b / (1 - b)), 7);
    }
    // r = 60: b = 0.05^(1/60) = 0.951297..., ln(b / (1 - b)) = 2.9721...
    expect(epsilonLowerBound({ canaries: 300, guesses: 60, correct: 60 }, BETA)).toBeCloseTo(2.9721, 3);
  });

  it('is 0 when every right guess cannot beat a coin at beta: r <= 4, W = r / 2, W below half', () => {
    for (const r of [1, 2, 3, 4]) expect(epsilonLowerBound({ canaries: 10, guesses: r, correct: r }, BETA)).toBe(0);
    expect(epsilonLowerBound({ canaries: 300, guesses: 60, correct: 30 }, BETA)).toBe(0);
    expect(epsilonLowerBound({ canaries: 1000, guesses: 1000, correct: 500 }, BETA)).toBe(0);
    expect(epsilonLowerBound({ canaries: 300, guesses: 60, correct: 10 }, BETA)).toBe(0);
    expect(epsilonLowerBound({ canaries: 300, guesses: 0, correct: 0 }, BETA)).toBe(0);
  });

  it('sits at the threshold: the p-value is <= beta at the bound and above it just past it', () => {
    for (const [r, w, delta] of [[60, 50, 0], [60, 50, 1e-5], [200, 150, 1e-6], [1000, 600, 0]] as const) {
      const counts = { canaries: 1000, guesses: r, correct: w };
      const bound = epsilonLowerBound(counts, BETA, delta);
      expect(bound).toBeGreaterThan(0);
      expect(auditPValue(counts, bound, delta)).toBeLessThanOrEqual(BETA);
      expect(auditPValue(counts, bound + 1e-6, delta)).toBeGreaterThan(BETA);
    }
  });

  it('falls as beta falls (more confidence, smaller bound)', () => {
    const counts = { canaries: 300, guesses: 60, correct: 55 };
    const bounds = [0.2, 0.05, 0.01, 0.001].map((beta) => epsilonLowerBound(counts, beta));
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]!).toBeLessThan(bounds[i - 1]!);
    expect(() => epsilonLowerBound(counts, 0)).toThrow(RangeError);
    expect(() => epsilonLowerBound(counts, 1)).toThrow(RangeError);
  });

  it("the p-value is P[Bin(r, q) >= W] at delta = 0, and adds Theorem 3's 2 m delta max_i P[W - i <= Bin < W] / i", () => {
    const eps = 1.3;
    const q = guessAccuracyBound(eps);
    expect(q).toBeCloseTo(Math.exp(eps) / (1 + Math.exp(eps)), 15);
    expect(auditPValue({ canaries: 300, guesses: 60, correct: 50 }, eps, 0)).toBe(binomialUpperTail(60, 50, q));
    // r = W = 2, by hand: tail q^2; i = 1: P[Bin = 1] = 2q(1 - q); i = 2: P[Bin <= 1] / 2 = (1 - q^2) / 2.
    const m = 50;
    const delta = 1e-3;
    const byHand = q ** 2 + 2 * m * delta * Math.max(2 * q * (1 - q), (1 - q ** 2) / 2);
    expect(auditPValue({ canaries: m, guesses: 2, correct: 2 }, eps, delta)).toBeCloseTo(byHand, 14);
    expect(auditPValue({ canaries: 1000, guesses: 2, correct: 2 }, eps, 0.1)).toBe(1);
  });

  it('the delta-aware bound is at most the delta = 0 bound and falls as delta or m grows', () => {
    const bound = (canaries: number, delta: number): number => epsilonLowerBound({ canaries, guesses: 60, correct: 58 }, BETA, delta);
    expect(bound(300, 1e-5)).toBeLessThan(bound(300, 0));
    expect(bound(300, 1e-4)).toBeLessThan(bound(300, 1e-5));
    expect(bound(3000, 1e-5)).toBeLessThan(bound(300, 1e-5));
    // 2 m delta = 6: the delta term alone exceeds beta wherever the tail is small.
    expect(bound(300, 1e-2)).toBe(0);
  });

  it('refuses impossible counts', () => {
    expect(() => epsilonLowerBound({ canaries: 10, guesses: 5, correct: 6 }, BETA)).toThrow(RangeError);
    expect(() => epsilonLowerBound({ canaries: 10, guesses: 11, correct: 5 }, BETA)).toThrow(RangeError);
    expect(() => auditPValue({ canaries: 10, guesses: 5, correct: 5 }, -1, 0)).toThrow(RangeError);
  });
});

describe('the canary audit', () => {
  let base: ModelSpec;
  let pooled: ReturnType<typeof poolHospitals>;

  beforeAll(async () => {
    await selectBackend('cpu', 'mlp');
    base = loadSpecFile(`${root}models/examples/heart-logistic.yaml`);
    pooled = poolHospitals(await loadHeartDisease());
  });
  afterAll(() => releaseModel());

  it('makes reproducible canaries at the stated norm with alternating labels, and seeded coin flips', () => {
    const a = makeCanaries(20, 13, 5, 7);
    expect(a.rows).toBe(20);
    for (let i = 0; i < 20; i++) {
      expect(Math.hypot(...a.x.subarray(i * 13, (i + 1) * 13))).toBeCloseTo(5, 5);
      expect(a.y[i]).toBe(i % 2);
    }
    expect(makeCanaries(20, 13, 5, 7).x).toEqual(a.x);
    expect(makeCanaries(20, 13, 5, 8).x).not.toEqual(a.x);
    expect(drawInclusion(50, 7)).toEqual(drawInclusion(50, 7));
    const flips = drawInclusion(2000, 7).filter(Boolean).length;
    expect(flips).toBeGreaterThan(900);
    expect(flips).toBeLessThan(1100);

    const data = withCanaries({ x: Float32Array.of(1, 2), y: Float32Array.of(1), rows: 1, cols: 2 }, { x: Float32Array.of(3, 4, 5, 6, 7, 8), y: Float32Array.of(0, 1, 0), rows: 3, cols: 2 }, [false, true, true]);
    expect(Array.from(data.x)).toEqual([1, 2, 5, 6, 7, 8]);
    expect(Array.from(data.y)).toEqual([1, 1, 0]);
  });

  it('counts right guesses: "out" for the lowest scores, "in" for the highest, abstaining between', () => {
    const included = [false, true, false, true, true, false];
    const scores = [-5, -4, -3, 0, 9, 8];
    expect(countCorrect(scores, included, 0, 2)).toBe(1); // lowest two: 0 (out, right), 1 (in, wrong)
    expect(countCorrect(scores, included, 2, 0)).toBe(1); // highest two: 4 (in, right), 5 (out, wrong)
    expect(countCorrect(scores, included, 1, 3)).toBe(3);
    expect(() => countCorrect(scores, included, 4, 3)).toThrow(RangeError);
  });

  it("computes the model's logits in float64 as the TensorFlow.js model does", async () => {
    const rows = makeCanaries(16, 13, 3, 1);
    for (const model of [{ family: 'logistic-regression' }, { family: 'mlp', hidden: [8, 4], activation: 'tanh', dropout: 0 }, { family: 'mlp', hidden: [6], activation: 'relu', dropout: 0 }] as const) {
      const spec = { ...base, model } as ModelSpec;
      const weights = initialWeights(spec);
      const fromTf = await withModel(spec, (m) => {
        setFlatWeights(m, weights);
        return Array.from((m.predict(tf.tensor2d(rows.x, [rows.rows, rows.cols])) as tf.Tensor).dataSync());
      });
      const ours = logitsOf(spec, weights, rows);
      ours.forEach((z, i) => expect(1 / (1 + Math.exp(-z))).toBeCloseTo(fromTf[i]!, 5));
    }
  });

  it('runs a small audit end to end: the bound stays below the accountant, and the record is complete', async () => {
    const small: PrivacyAuditSettings = {
      ...PRIVACY_AUDIT_SETTINGS,
      seed: 3,
      canaries: 40,
      guessIn: 2,
      guessOut: 8,
      targetEpsilon: 4,
      model: { family: 'mlp', hidden: [8], activation: 'relu', dropout: 0 },
      training: { steps: 120, batchSize: 32, optimizer: 'adam', learningRate: 0.01 },
    };
    const r = await runPrivacyAudit(base, pooled.train, pooled.test, small);

    expect(r.canaries).toBe(40);
    expect(r.guesses).toBe(10);
    expect(r.beta).toBe(0.05);
    expect(r.delta).toBe(1 / (10 * (pooled.train.rows + 40)));
    expect(r.steps).toBe(120);
    expect(r.samplingRate).toBeCloseTo(32 / (pooled.train.rows + 40), 12);
    expect(r.accountantEpsilon).toBeCloseTo(4, 2);
    expect(r.noiseMultiplier).toBeGreaterThan(0);
    expect(r.included).toBe(drawInclusion(40, 3).filter(Boolean).length);
    for (const correct of [r.correct, r.noNoiseCorrect]) {
      expect(Number.isInteger(correct)).toBe(true);
      expect(correct).toBeGreaterThanOrEqual(0);
      expect(correct).toBeLessThanOrEqual(r.guesses);
    }
    expect(r.lowerBound).toBeGreaterThanOrEqual(0);
    expect(r.lowerBound).toBeLessThanOrEqual(r.lowerBoundPureDp);
    expect(r.lowerBound).toBeLessThanOrEqual(r.accountantEpsilon);
    expect(r.lowerBound).toBe(epsilonLowerBound({ canaries: 40, guesses: 10, correct: r.correct }, 0.05, r.delta));
    expect(r.noNoiseLowerBound).toBe(epsilonLowerBound({ canaries: 40, guesses: 10, correct: r.noNoiseCorrect }, 0.05, r.delta));
    expect(r.lowerBoundKind).toMatch(/delta-aware/);
    expect(r.runs.dp.testAccuracy).toBeGreaterThan(0);
  });
});
