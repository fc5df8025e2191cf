/**
 * What a site adds to its evaluation vector for the global explanations of a non-linear model:
 * attributeRows on an MLP gives, per feature, the sum over the rows of |Integrated Gradients|
 * on the probability, and the sum of the rows' completeness errors, each capped at 1; the layout
 * names the method the sites will report. The reference is independent of the explainer: the
 * MLP (tanh hidden layer, sigmoid output) written out by hand from the flat weights, its
 * gradient by the chain rule, and the path integral by a 4000-step midpoint sum.
 */
import { describe, expect, it } from 'vitest';
import { evaluationLayout } from '../../core/evaluation/evaluation-layout.ts';
import { mulberry32 } from '../../models/seeded-random.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { parameterCount } from '../../models/weight-layout.ts';
import { attributeRows, predictProbabilities } from '../../site-agent/training/local-trainer.ts';

const SPEC = parseSpec({
  name: 'mlp-x',
  dataset: 'd',
  features: [
    { name: 'a', type: 'numeric' },
    { name: 'b', type: 'numeric' },
    { name: 'c', type: 'categorical', categories: ['x', 'y', 'z'] },
  ],
  label: { name: 'y', type: 'binary' },
  model: { family: 'mlp', hidden: [6], activation: 'tanh' },
  training: { epochs: 1 },
  explanations: { global: true },
  rounds: 2,
});
const IN = 5;
const HIDDEN = 6;
/** Design columns of each feature: a, b, and c's three one-hot columns. */
const FEATURE_COLUMNS = [[0], [1], [2, 3, 4]];

/** The MLP by hand; flat weights as Keras orders them: hidden kernel [IN x HIDDEN], hidden bias, output kernel [HIDDEN], output bias. */
function mlp(w: Float32Array): { f: (x: readonly number[]) => number; grad: (x: readonly number[]) => number[] } {
  const k1 = (i: number, h: number): number => w[i * HIDDEN + h]!;
  const b1 = (h: number): number => w[IN * HIDDEN + h]!;
  const k2 = (h: number): number => w[IN * HIDDEN + HIDDEN + h]!;
  const b2 = w[IN * HIDDEN + 2 * HIDDEN]!;
  const forward = (x: readonly number[]): { a: number[]; p: number } => {
    const a = Array.from({ length: HIDDEN }, (_, h) => Math.tanh(b1(h) + x.reduce((s, v, i) => s + v * k1(i, h), 0)));
    const p = 1 / (1 + Math.exp(-(b2 + a.reduce((s, v, h) => s + v * k2(h), 0))));
    return { a, p };
  };
  return {
    f: (x) => forward(x).p,
    grad: (x) => {
      const { a, p } = forward(x);
      return Array.from({ length: IN }, (_, i) => p * (1 - p) * a.reduce((s, v, h) => s + k2(h) * (1 - v * v) * k1(i, h), 0));
    },
  };
}

describe('attributeRows', () => {
  it('sums |IG attribution| per feature and the capped completeness errors, matching a hand-written MLP and a fine midpoint sum', async () => {
    expect(evaluationLayout(SPEC).explanations).toEqual({ method: 'integrated-gradients', columns: IN, features: ['a', 'b', 'c'] });
    expect(parameterCount(SPEC)).toBe(IN * HIDDEN + HIDDEN + HIDDEN + 1);
    const rng = mulberry32(3);
    const weights = Float32Array.from({ length: parameterCount(SPEC) }, () => 2 * rng() - 1);
    const rows = 12;
    const x = Float32Array.from({ length: rows * IN }, (_, i) => (i % IN >= 2 ? (Math.floor(i / IN) % 3 === (i % IN) - 2 ? 1 : 0) : 2 * rng() - 1));
    const data = { x, y: new Float32Array(rows), rows, cols: IN };
    const baseline = [0.1, -0.2, 1 / 3, 1 / 3, 1 / 3];
    const got = await attributeRows(SPEC, weights, data, Float64Array.from(baseline));

    const { f, grad } = mlp(weights);
    const designRows = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * IN, (r + 1) * IN)));
    // The hand-written model is the model: its probabilities equal the site's predictions.
    const predicted = await predictProbabilities(SPEC, weights, data);
    designRows.forEach((row, r) => expect(Math.abs(f(row) - predicted[r]!)).toBeLessThan(1e-5));

    const STEPS = 4000;
    const expected = [0, 0, 0];
    for (const row of designRows) {
      const ig = new Array<number>(IN).fill(0);
      for (let s = 0; s < STEPS; s++) {
        const alpha = (s + 0.5) / STEPS;
        const g = grad(baseline.map((b, i) => b + alpha * (row[i]! - b)));
        for (let i = 0; i < IN; i++) ig[i]! += g[i]! / STEPS;
      }
      for (let i = 0; i < IN; i++) ig[i]! *= row[i]! - baseline[i]!;
      // The midpoint sum is complete to far below the explainer's 1%: its attributions add up to f(x) - f(baseline).
      expect(Math.abs(ig.reduce((a, b) => a + b, 0) - (f(row) - f(baseline)))).toBeLessThan(1e-6);
      FEATURE_COLUMNS.forEach((cols, k) => (expected[k]! += Math.abs(cols.reduce((t, c) => t + ig[c]!, 0))));
    }
    expect(got.count).toBe(rows);
    // The explainer refines its trapezoid grid to 1% completeness per row: each feature's sum within 2% (float32 model) of the reference.
    expected.forEach((e, k) => expect(Math.abs(got.sumAbs[k]! - e)).toBeLessThanOrEqual(0.02 * e + 1e-6));
    // Each row's completeness error is capped at 1, and the refined rows reach 1% (float32 gradients allow a little more).
    expect(got.completenessSum).toBeGreaterThanOrEqual(0);
    expect(got.completenessSum).toBeLessThanOrEqual(rows * 0.011);
  }, 60_000);
});
