/**
 * Local explanations: exact linear SHAP against w_j (x_j - mean_j) computed from the flat
 * weight vector; Integrated Gradients' completeness on MLP, Keras, CNN and Cox models and
 * its agreement with an independent float64 computation; on generated data where only two
 * features matter, those two rank first by mean |attribution| after training with the
 * project's trainer; coded errors for bad rows.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, setFlatWeights } from '../../models/build-model.ts';
import { attributionSums, createExplainer, IG_MAX_STEPS, IG_STEPS, meanAbsAttribution, type Explanation } from '../../models/explain/attribution.ts';
import { attributionGroups, encodeRow } from '../../models/explain/row.ts';
import type { Matrix } from '../../models/features.ts';
import { mulberry32 } from '../../models/seeded-random.ts';
import type { FeatureSpec, ModelSpec, ModelSpecInput } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { initialWeights, parameterCount } from '../../models/weight-layout.ts';
import { trainLocal } from '../../site-agent/training/local-trainer.ts';
import { releaseModel } from '../../site-agent/training/model-cache.ts';
import { caught, converterModel, numericSpec } from './helpers.ts';

const models: tf.LayersModel[] = [];
async function built(spec: ModelSpec, weights: Float32Array): Promise<tf.LayersModel> {
  const model = await buildModel(spec);
  setFlatWeights(model, weights);
  models.push(model);
  return model;
}

/** Seeded standard normals (Box-Muller). */
function normals(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

/** Seeded uniform weights in [-a, a], as float32. */
function weightsOf(n: number, seed: number, a: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * a);
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  models.forEach((m) => m.dispose());
  await releaseModel();
});

describe('linear SHAP (logistic regression)', () => {
  const spec = parseSpec({
    ...numericSpec(3),
    features: [
      { name: 'age', type: 'numeric' },
      { name: 'sex', type: 'categorical', categories: ['F', 'M'], dropFirst: true },
      { name: 'cp', type: 'categorical', categories: [1, 2, 3, 4] },
      { name: 'chol', type: 'numeric', preprocess: 'none' },
    ],
  });

  it('gives w_j (x_j - mean_j) on the logit scale, exactly, with base value w . mean + b', async () => {
    const flat = weightsOf(parameterCount(spec), 7, 2);
    const model = await built(spec, flat);
    const explainer = await createExplainer(model, spec.features, 'logistic-regression');
    const x = encodeRow(spec.features, { age: 1.25, sex: 'M', cp: 3, chol: -0.5 }, 'input');
    expect([...x]).toEqual([1.25, 1, 0, 0, 1, 0, -0.5]);
    // A mean row: fractions for the one-hot levels.
    const mean = encodeRow(spec.features, { age: 0.1, sex: { M: 0.6 }, cp: { '1': 0.1, '2': 0.2, '3': 0.3, '4': 0.4 }, chol: 0.25 }, 'baseline');
    const e = explainer.explain(x, mean);

    // Independently: kernel = flat[0..7), bias = flat[7] (weight-layout.ts: output/kernel then output/bias).
    const w = [...flat.slice(0, 7)];
    const b = flat[7]!;
    const phi = w.map((wj, j) => wj * (x[j]! - mean[j]!));
    expect([...e.columnAttributions]).toEqual(phi);
    expect(e.attributions).toEqual([
      { feature: 'age', value: phi[0] },
      { feature: 'sex', value: phi[1] },
      { feature: 'cp', value: phi[2]! + phi[3]! + phi[4]! + phi[5]! },
      { feature: 'chol', value: phi[6] },
    ]);
    expect(e.method).toBe('linear-shap');
    expect(e.scale).toBe('logit');
    expect(e.baseValue).toBeCloseTo(b + w.reduce((s, wj, j) => s + wj * mean[j]!, 0), 12);
    expect(e.prediction).toBeCloseTo(b + w.reduce((s, wj, j) => s + wj * x[j]!, 0), 12);
    expect(e.completenessError).toBeLessThan(1e-12);
    // The logit is the model's: its sigmoid is what TensorFlow.js predicts.
    const p = (model.predict(tf.tensor2d([...x], [1, 7])) as tf.Tensor).dataSync()[0]!;
    expect(sigmoid(e.prediction)).toBeCloseTo(p, 6);
  });

  it('is the same explanation when the model is not told its family (an export)', async () => {
    const flat = weightsOf(parameterCount(spec), 8, 1);
    const model = await built(spec, flat);
    const x = encodeRow(spec.features, { age: -2, sex: 'F', cp: 1, chol: 3 }, 'input');
    const zero = new Float64Array(7);
    const a = (await createExplainer(model, spec.features, 'logistic-regression')).explain(x, zero);
    const b = (await createExplainer(model, spec.features)).explain(x, zero);
    expect(b).toEqual(a);
  });
});

describe('Integrated Gradients', () => {
  it('agrees with a float64 trapezoid IG of a tanh MLP written out by hand, and is complete within 1%', async () => {
    const spec = parseSpec(numericSpec(5, { model: { family: 'mlp', hidden: [4], activation: 'tanh' } }));
    const flat = weightsOf(parameterCount(spec), 3, 1.5);
    const model = await built(spec, flat);
    const explainer = await createExplainer(model, spec.features, 'mlp');
    const x = Float64Array.from([1.2, -0.7, 0.3, 2.0, -1.5]);
    const base = Float64Array.from([0.1, 0.2, -0.1, 0.0, 0.3]);
    const e = explainer.explain(x, base);

    // Layout: hidden_1/kernel [5,4], hidden_1/bias [4], output/kernel [4,1], output/bias [1].
    const W1 = (i: number, k: number): number => flat[i * 4 + k]!;
    const b1 = (k: number): number => flat[20 + k]!;
    const w2 = (k: number): number => flat[24 + k]!;
    const b2 = flat[28]!;
    const forward = (v: ArrayLike<number>) => {
      const h = [0, 1, 2, 3].map((k) => Math.tanh(b1(k) + [0, 1, 2, 3, 4].reduce((s, i) => s + v[i]! * W1(i, k), 0)));
      const p = sigmoid(b2 + h.reduce((s, hk, k) => s + hk * w2(k), 0));
      return { h, p };
    };
    const grad = (v: ArrayLike<number>): number[] => {
      const { h, p } = forward(v);
      return [0, 1, 2, 3, 4].map((i) => p * (1 - p) * h.reduce((s, hk, k) => s + w2(k) * (1 - hk * hk) * W1(i, k), 0));
    };
    const expected = [0, 1, 2, 3, 4].map((i) => {
      let s = 0;
      for (let k = 0; k <= IG_STEPS; k++) {
        const a = k / IG_STEPS;
        const g = grad(x.map((xi, j) => base[j]! + a * (xi - base[j]!)))[i]!;
        s += k === 0 || k === IG_STEPS ? g / 2 : g;
      }
      return (x[i]! - base[i]!) * (s / IG_STEPS);
    });
    e.columnAttributions.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 5));
    expect(e.prediction).toBeCloseTo(forward(x).p, 6);
    expect(e.baseValue).toBeCloseTo(forward(base).p, 6);
    expect([e.method, e.scale, e.steps, e.rule]).toEqual(['integrated-gradients', 'probability', 50, 'trapezoid']);
    expect(Math.abs(e.prediction - e.baseValue)).toBeGreaterThan(0.05);
    expect(e.completenessError).toBeLessThan(0.01);
  });

  it('is complete within 1% at 50 steps on an elu MLP over 20 seeded rows', async () => {
    const spec = parseSpec(numericSpec(8, { model: { family: 'mlp', hidden: [16, 8], activation: 'elu' } }));
    const model = await built(spec, weightsOf(parameterCount(spec), 5, 0.8));
    const explainer = await createExplainer(model, spec.features, 'mlp');
    const base = Float64Array.from(normals(8, 99).map((v) => v * 0.3));
    for (let r = 0; r < 20; r++) {
      const e = explainer.explain(normals(8, 1000 + r), base);
      expect(e.completenessError).toBeLessThan(0.01);
    }
  });

  it('on a relu Keras topology (BatchNormalization, LayerNormalization) refines to within 1%, and reports the 50-step error when told not to refine', async () => {
    const spec = parseSpec(numericSpec(13, { model: { family: 'keras', topology: converterModel() } }));
    const flat = weightsOf(parameterCount(spec), 5, 0.8);
    // The last 16 values are BatchNormalization's moving mean and variance (8 each): a variance must be positive.
    for (let i = flat.length - 8; i < flat.length; i++) flat[i] = 1 + Math.abs(flat[i]!);
    const model = await built(spec, flat);
    const x = normals(13, 21);
    const base = new Float64Array(13);
    const at50 = (await createExplainer(model, spec.features, 'keras', { adaptive: false })).explain(x, base);
    const sum = at50.columnAttributions.reduce((a, b) => a + b, 0);
    const delta = at50.prediction - at50.baseValue;
    expect(Math.abs(delta)).toBeGreaterThan(0.01);
    expect([at50.steps, at50.initialSteps, at50.grid]).toEqual([50, 50, 'uniform']);
    expect(at50.completenessError).toBeCloseTo(Math.abs(sum - delta) / Math.abs(delta), 12);
    const refined = (await createExplainer(model, spec.features, 'keras')).explain(x, base);
    expect([refined.method, refined.initialSteps, refined.converged]).toEqual(['integrated-gradients', 50, true]);
    expect(refined.completenessError).toBeLessThan(0.01);
    expect(refined.steps).toBeLessThanOrEqual(IG_MAX_STEPS);
  });

  it('is complete within 1% at 50 steps on a tanh CNN with average pooling, reported per image region (4 x 4 grid, channels summed)', async () => {
    const spec = parseSpec({
      ...numericSpec(1),
      features: [{ name: 'image', type: 'image', height: 8, width: 8, channels: 2, normalization: 'none' }],
      model: { family: 'cnn', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'tanh' }, { type: 'avg-pool' }], hidden: [6], activation: 'tanh' },
    } satisfies ModelSpecInput);
    const flat = weightsOf(parameterCount(spec), 17, 0.6);
    const model = await built(spec, flat);
    const explainer = await createExplainer(model, spec.features, 'cnn');
    const base = new Float64Array(128).fill(0.2);
    for (let r = 0; r < 5; r++) {
      const e = explainer.explain(normals(128, 300 + r), base);
      expect(e.completenessError).toBeLessThan(0.01);
      expect(e.attributions).toHaveLength(16);
      expect(e.attributions[0]!.feature).toBe('image[rows 0-1,cols 0-1]');
      expect(e.attributions[15]!.feature).toBe('image[rows 6-7,cols 6-7]');
      // Region sums keep completeness: they add up to the same total as the pixels.
      const total = e.attributions.reduce((s, a) => s + a.value, 0);
      expect(total).toBeCloseTo(e.columnAttributions.reduce((s, a) => s + a, 0), 10);
    }
    // Region (rows 0-1, cols 2-3) holds pixels (0,2),(0,3),(1,2),(1,3), both channels.
    expect(attributionGroups(spec.features)[1]!.columns).toEqual([4, 5, 6, 7, 20, 21, 22, 23]);
  });

  it('on a Cox model gives beta_j (x_j - b_j) on the log hazard, complete to float32 precision', async () => {
    const spec = parseSpec({
      ...numericSpec(4),
      label: { type: 'survival', time: 't', event: 'e' },
      model: { family: 'cox-ph' },
    } satisfies ModelSpecInput);
    const beta = weightsOf(4, 23, 1);
    const model = await built(spec, beta);
    const explainer = await createExplainer(model, spec.features, 'cox-ph');
    const x = Float64Array.from([0.5, -1, 2, 0.25]);
    const base = Float64Array.from([0.1, 0.1, -0.2, 0]);
    const e = explainer.explain(x, base);
    expect(e.scale).toBe('log-hazard');
    e.columnAttributions.forEach((a, j) => expect(a).toBeCloseTo(beta[j]! * (x[j]! - base[j]!), 5));
    expect(e.baseValue).toBeCloseTo([...beta].reduce((s, bj, j) => s + bj * base[j]!, 0), 5);
    expect(e.completenessError).toBeLessThan(1e-5);
  });
});

describe('Integrated Gradients completeness within 1% on piecewise-linear models (relu, max-pool)', () => {
  const mlpSpec = parseSpec(numericSpec(8, { model: { family: 'mlp', hidden: [16, 8], activation: 'relu' } }));
  const cnnSpec = parseSpec({
    ...numericSpec(1),
    features: [{ name: 'image', type: 'image', height: 8, width: 8, channels: 2, normalization: 'none' }],
    // conv2d's activation defaults to relu.
    model: { family: 'cnn', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'max-pool' }], hidden: [6] },
  } satisfies ModelSpecInput);
  const ROWS = 10;

  /** f by the model's own predict, not by the explainer: the completeness target, independently. */
  const predict = (model: tf.LayersModel, v: Float64Array): number => tf.tidy(() => (model.predict(tf.tensor2d([...v], [1, v.length])) as tf.Tensor).dataSync()[0]!);

  /** Explains ROWS seeded rows adaptively and with the old fixed 50 steps; checks the adaptive ones against predict. */
  async function both(spec: ModelSpec, seed: number): Promise<{ adaptive: Explanation[]; fixed: Explanation[] }> {
    const model = await built(spec, weightsOf(parameterCount(spec), seed, 0.8));
    const width = spec.features.flatMap((f) => (f.type === 'image' ? Array.from({ length: f.height * f.width * f.channels }) : [f])).length;
    const base = Float64Array.from(normals(width, 99).map((v) => v * 0.3));
    const adaptiveExplainer = await createExplainer(model, spec.features, spec.model.family);
    const fixedExplainer = await createExplainer(model, spec.features, spec.model.family, { adaptive: false });
    const adaptive: Explanation[] = [];
    const fixed: Explanation[] = [];
    for (let r = 0; r < ROWS; r++) {
      const x = normals(width, 1000 + r);
      const e = adaptiveExplainer.explain(x, base);
      const target = predict(model, x) - predict(model, base);
      // Not a vanishing difference, where only the absolute floor could apply.
      expect(Math.abs(target)).toBeGreaterThan(1e-3);
      expect(e.prediction).toBeCloseTo(predict(model, x), 6);
      expect(e.baseValue).toBeCloseTo(predict(model, base), 6);
      // Reported per feature / region: their sum is within 1% of f(x) - f(baseline).
      const sum = e.attributions.reduce((a, b) => a + b.value, 0);
      expect(Math.abs(sum - target)).toBeLessThan(0.01 * Math.abs(target));
      expect(e.completenessError).toBeLessThan(0.01);
      expect([e.method, e.rule, e.initialSteps, e.converged]).toEqual(['integrated-gradients', 'trapezoid', IG_STEPS, true]);
      expect(e.steps).toBeGreaterThanOrEqual(IG_STEPS);
      expect(e.steps).toBeLessThanOrEqual(IG_MAX_STEPS);
      expect(e.grid).toBe(e.steps === IG_STEPS ? 'uniform' : 'adaptive');
      adaptive.push(e);
      fixed.push(fixedExplainer.explain(x, base));
    }
    return { adaptive, fixed };
  }

  it('relu MLP [16, 8]: every row within 1% of f(x) - f(baseline); the old fixed 50 steps are over 1% on some rows, which refinement fixes', async () => {
    const { adaptive, fixed } = await both(mlpSpec, 5);
    expect(fixed.every((e) => e.steps === 50 && e.grid === 'uniform')).toBe(true);
    const over = fixed.map((e, r) => (e.completenessError > 0.01 ? r : -1)).filter((r) => r >= 0);
    expect(over.length).toBeGreaterThan(0);
    expect(Math.max(...fixed.map((e) => e.completenessError))).toBeGreaterThan(0.05);
    // Those rows are the ones refinement bisected; a row already within 1% keeps the uniform 50 steps and its attributions.
    for (const r of over) expect(adaptive[r]!.grid).toBe('adaptive');
    fixed.forEach((e, r) => {
      if (e.completenessError <= 0.01) expect(adaptive[r]!.columnAttributions).toEqual(e.columnAttributions);
    });
  });

  it('CNN with max-pool (8x8x2, relu): every row within 1%, its 16 region attributions summing to f(x) - f(baseline); fixed 50 steps are over 1% on some rows', async () => {
    const { adaptive, fixed } = await both(cnnSpec, 5);
    expect(fixed.some((e) => e.completenessError > 0.01)).toBe(true);
    for (const e of adaptive) {
      expect(e.attributions).toHaveLength(16);
      expect(e.attributions.reduce((s, a) => s + a.value, 0)).toBeCloseTo(e.columnAttributions.reduce((s, a) => s + a, 0), 10);
    }
  });

  it('refinement brings the per-feature attributions closer to a 20000-step uniform trapezoid than the fixed 50 steps, on every row', async () => {
    // Completeness bounds the sum, not each feature: refinement targets the sum, and the features
    // improve with it (docs/explanations.md gives the per-feature figures).
    const model = await built(mlpSpec, weightsOf(parameterCount(mlpSpec), 5, 0.8));
    const base = Float64Array.from(normals(8, 99).map((v) => v * 0.3));
    const adaptive = await createExplainer(model, mlpSpec.features, 'mlp');
    const fixed = await createExplainer(model, mlpSpec.features, 'mlp', { adaptive: false });
    const reference = await createExplainer(model, mlpSpec.features, 'mlp', { steps: 20000, adaptive: false });
    let worstAdaptive = 0;
    let worstFixed = 0;
    for (let r = 0; r < ROWS; r++) {
      const x = normals(8, 1000 + r);
      const ref = reference.explain(x, base);
      const e = adaptive.explain(x, base);
      const delta = Math.abs(e.prediction - e.baseValue);
      const off = (q: Explanation): number => Math.max(...q.columnAttributions.map((a, j) => Math.abs(a - ref.columnAttributions[j]!))) / delta;
      const [a, f] = [off(e), off(fixed.explain(x, base))];
      // The reference is itself within about 0.1% of |delta| per feature.
      expect(a).toBeLessThanOrEqual(f + 2e-3);
      worstAdaptive = Math.max(worstAdaptive, a);
      worstFixed = Math.max(worstFixed, f);
    }
    expect(worstFixed).toBeGreaterThan(4 * worstAdaptive);
   }, 60_000);

  it('stops at maxSteps and says it did not converge', async () => {
    const model = await built(mlpSpec, weightsOf(parameterCount(mlpSpec), 5, 0.8));
    const base = Float64Array.from(normals(8, 99).map((v) => v * 0.3));
    const e = (await createExplainer(model, mlpSpec.features, 'mlp', { maxSteps: 55 })).explain(normals(8, 1004), base);
    expect([e.steps, e.converged]).toEqual([55, false]);
    expect(e.completenessError).toBeGreaterThan(0.01);
  });

  it('attributionSums carries the rows\' completeness errors (sum and max), the most steps and the rows not converged', async () => {
    const model = await built(mlpSpec, weightsOf(parameterCount(mlpSpec), 5, 0.8));
    const explainer = await createExplainer(model, mlpSpec.features, 'mlp');
    const base = Float64Array.from(normals(8, 99).map((v) => v * 0.3));
    const rows = Array.from({ length: ROWS }, (_, r) => normals(8, 1000 + r));
    const each = rows.map((x) => explainer.explain(x, base));
    const sums = attributionSums(explainer, rows, base);
    expect(sums.completenessErrorSum).toBe(each.reduce((s, e) => s + e.completenessError, 0));
    expect(sums.completenessErrorMax).toBe(Math.max(...each.map((e) => e.completenessError)));
    expect(sums.completenessErrorMax).toBeLessThan(0.01);
    expect(sums.stepsMax).toBe(Math.max(...each.map((e) => e.steps!)));
    expect(sums.stepsMax).toBeGreaterThan(IG_STEPS);
    expect(sums.notConverged).toBe(0);
    const capped = attributionSums(await createExplainer(model, mlpSpec.features, 'mlp', { adaptive: false }), rows, base);
    expect([capped.stepsMax, capped.notConverged > 0]).toEqual([50, true]);
  });
});

describe('global summary on data where only two features matter', () => {
  const WIDTH = 6;
  const ROWS = 600;
  // y ~ Bernoulli(sigmoid(2.5 x1 - 2 x4)); x0, x2, x3, x5 are noise.
  const xs = normals(ROWS * WIDTH, 41);
  const u = mulberry32(42);
  const data: Matrix = {
    x: Float32Array.from(xs),
    y: Float32Array.from({ length: ROWS }, (_, r) => (u() < sigmoid(2.5 * xs[r * WIDTH + 1]! - 2 * xs[r * WIDTH + 4]!) ? 1 : 0)),
    rows: ROWS,
    cols: WIDTH,
  };
  const rows = Array.from({ length: 100 }, (_, r) => xs.slice(r * WIDTH, (r + 1) * WIDTH));
  const mean = Float64Array.from({ length: WIDTH }, (_, j) => xs.filter((_, i) => i % WIDTH === j).reduce((a, b) => a + b, 0) / ROWS);

  it.each([
    ['logistic-regression', { model: { family: 'logistic-regression' }, training: { epochs: 5, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 } }],
    ['mlp', { model: { family: 'mlp', hidden: [8], activation: 'tanh' }, training: { epochs: 30, batchSize: 32, optimizer: 'adam', learningRate: 0.02 } }],
    ['mlp (relu)', { model: { family: 'mlp', hidden: [8], activation: 'relu' }, training: { epochs: 30, batchSize: 32, optimizer: 'adam', learningRate: 0.02 } }],
  ] as const)('%s trained by the project trainer ranks x1 and x4 first', async (_family, overrides) => {
    const spec = parseSpec(numericSpec(WIDTH, overrides as Partial<ModelSpecInput>));
    const trained = await trainLocal({ spec, weights: initialWeights(spec), data, fit: { round: 1, proximalMu: 0 }, seed: 5 });
    const model = await built(spec, trained.weights);
    const explainer = await createExplainer(model, spec.features, spec.model.family);
    const sums = attributionSums(explainer, rows, mean);
    expect(sums.count).toBe(100);
    expect(sums.features).toEqual(['x0', 'x1', 'x2', 'x3', 'x4', 'x5']);
    const ranked = meanAbsAttribution(sums);
    expect(new Set(ranked.slice(0, 2).map((r) => r.feature))).toEqual(new Set(['x1', 'x4']));
    // Clearly first: each of the two is over twice the largest noise feature.
    expect(ranked[1]!.meanAbsAttribution).toBeGreaterThan(2 * ranked[2]!.meanAbsAttribution);
    expect(ranked[0]!.meanAbsAttribution).toBeCloseTo(sums.sumAbs[sums.features.indexOf(ranked[0]!.feature)]! / 100, 12);
    if (spec.model.family === 'logistic-regression') {
      // Linear SHAP by hand: sum over the rows of |w_j (x_j - mean_j)|, w the trained kernel (flat[0..6)).
      const w = trained.weights;
      sums.sumAbs.forEach((v, j) => expect(v).toBeCloseTo(rows.reduce((s, x) => s + Math.abs(w[j]! * (x[j]! - mean[j]!)), 0), 10));
    }
    // Every row's explanation is complete within 1% (exactly, for linear SHAP).
    expect(sums.completenessErrorMax).toBeLessThan(spec.model.family === 'logistic-regression' ? 1e-12 : 0.01);
    expect(sums.notConverged).toBe(0);
  });
});

describe('rows by feature name', () => {
  // Features alone (a spec with an image needs the cnn family); defaults written out.
  const spec: { features: FeatureSpec[] } = {
    features: [
      { name: 'age', type: 'numeric', preprocess: 'standardize' },
      { name: 'cp', type: 'categorical', categories: [1, 2], preprocess: 'one-hot', dropFirst: false },
      { name: 'img', type: 'image', height: 4, width: 4, channels: 1, normalization: 'none', maxValue: 255 },
    ],
  };
  const img = Array.from({ length: 16 }, () => 0.5);

  it('refuses a missing feature, an extra key and bad values with codes that name the feature, never the value', () => {
    const missing = caught(() => encodeRow(spec.features, { age: 1, img }, 'input'));
    expect([missing.code, missing.message]).toEqual(['COHORT_E_EXPLAIN_MISSING_FEATURE', 'input.cp: missing (every spec feature needs a value)']);
    const extra = caught(() => encodeRow(spec.features, { age: 1, cp: 1, img, mrn: 'A123' }, 'baseline'));
    expect(extra.code).toBe('COHORT_E_EXPLAIN_UNKNOWN_FEATURE');
    expect(extra.message).toMatch(/^baseline\.mrn: not a feature/);
    expect(extra.message).not.toContain('A123');
    const level = caught(() => encodeRow(spec.features, { age: 1, cp: 'secret-7', img }, 'input'));
    expect(level.code).toBe('COHORT_E_EXPLAIN_BAD_VALUE');
    expect(level.message).not.toContain('secret-7');
    const nan = caught(() => encodeRow(spec.features, { age: '63', cp: 1, img }, 'input'));
    expect([nan.code, nan.message]).toEqual(['COHORT_E_EXPLAIN_BAD_VALUE', 'input.age: expected a finite number']);
    const short = caught(() => encodeRow(spec.features, { age: 1, cp: 1, img: img.slice(1) }, 'input'));
    expect(short.code).toBe('COHORT_E_EXPLAIN_BAD_VALUE');
    expect(short.message).toMatch(/^input\.img: expected an array of 16 finite numbers/);
  });
});
