/**
 * Local explanations of one prediction, and the per-site vector of a global summary.
 *
 * - logistic regression: exact interventional SHAP on the logit (link) scale,
 *   phi_j = w_j (x_j - b_j) with b the baseline (the mean row E[x]); the base value is
 *   w . b + bias and the prediction w . x + bias, so sum(phi) = prediction - base value
 *   exactly (SHAP's LinearExplainer with independent features).
 * - mlp, keras, cnn and cox-ph: Integrated Gradients (Sundararajan et al. 2017) along the
 *   straight path from the baseline to x by the trapezoid rule, starting from 50 uniform steps
 *   (alpha = k/50) and, where the completeness gap is over 1%, bisecting the intervals whose
 *   own gap (their rise in f less their trapezoid) is largest until it is within 1% (or an
 *   absolute floor) or IG_MAX_STEPS intervals; gradients by tf.grad on TensorFlow.js's cpu
 *   backend, each round's path points in one batch. The explained output is the model's own:
 *   the probability of a sigmoid head (mlp, keras, cnn), the risk score (log relative hazard)
 *   of cox-ph.
 *
 * Each explanation carries its completeness error
 * |sum(attr) - (f(x) - f(baseline))| / |f(x) - f(baseline)| (the absolute |sum(attr)| when
 * f(x) = f(baseline)). Attributions are reported per feature (a categorical feature sums its
 * one-hot columns; an image per region, see row.ts), which keeps completeness.
 */
import * as tf from '@tensorflow/tfjs';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { featureColumns } from '../features.ts';
import type { FeatureSpec, ModelSpec } from '../spec-schema.ts';
import { attributionGroups, type AttributionGroup } from './row.ts';

export type ExplainMethod = 'linear-shap' | 'integrated-gradients';
/** What f is: the logit of a logistic model, a sigmoid head's probability, cox-ph's log relative hazard. */
export type ExplainScale = 'logit' | 'probability' | 'log-hazard' | 'output';

/** Integrated Gradients' steps: the path is evaluated at alpha = k / IG_STEPS, k = 0..IG_STEPS. */
export const IG_STEPS = 50;

export interface FeatureAttribution {
  readonly feature: string;
  readonly value: number;
}

export interface Explanation {
  readonly method: ExplainMethod;
  readonly scale: ExplainScale;
  /** IG only: the intervals the trapezoid rule used in the end (IG_STEPS uniform ones unless refined), and the rule. */
  readonly steps: number | null;
  readonly rule: 'trapezoid' | null;
  /** IG only: the uniform steps it started from (null for linear SHAP). */
  readonly initialSteps?: number | null;
  /** IG only: `uniform` when the start grid met the target (or refinement was off), `adaptive` when intervals were bisected. */
  readonly grid?: 'uniform' | 'adaptive' | null;
  /** Whether the completeness gap is within the target (IG_TOLERANCE, or IG_ABSOLUTE_FLOOR); always true for linear SHAP. */
  readonly converged?: boolean;
  /** f(baseline). */
  readonly baseValue: number;
  /** f(x). */
  readonly prediction: number;
  /** Per reported feature (attributionGroups order). */
  readonly attributions: FeatureAttribution[];
  /** Per design column (designColumns order). */
  readonly columnAttributions: Float64Array;
  readonly completenessError: number;
}

/** A model ready to explain: built, its weights set. */
export interface Explainer {
  readonly method: ExplainMethod;
  readonly scale: ExplainScale;
  readonly columns: readonly string[];
  readonly groups: readonly AttributionGroup[];
  explain(x: Float64Array, baseline: Float64Array): Explanation;
}

type Family = ModelSpec['model']['family'];

interface DenseLike {
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): tf.Tensor[];
}

/** The one Dense layer of a logistic regression as buildModel makes it (or as an export of one loads), else null. */
function logisticLayer(model: tf.LayersModel): DenseLike | null {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer') as unknown as DenseLike[];
  if (layers.length !== 1) return null;
  const [dense] = layers;
  const c = dense!.getConfig();
  return dense!.getClassName() === 'Dense' && c.units === 1 && c.activation === 'sigmoid' && c.useBias === true ? dense! : null;
}

/** Whether the model's last layer ends in a sigmoid (then IG explains the probability). */
function endsInSigmoid(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1] as unknown as DenseLike;
  return last.getConfig().activation === 'sigmoid';
}

const completeness = (sum: number, delta: number): number => (delta === 0 ? Math.abs(sum) : Math.abs(sum - delta) / Math.abs(delta));

function grouped(groups: readonly AttributionGroup[], columns: Float64Array): FeatureAttribution[] {
  return groups.map((g) => ({ feature: g.feature, value: g.columns.reduce((s, c) => s + columns[c]!, 0) }));
}

function checkWidth(x: Float64Array, baseline: Float64Array, width: number): void {
  if (x.length !== width || baseline.length !== width) {
    throw new CohortError(GeneralErrors.USAGE, `the row and baseline must have ${width} design values (got ${x.length} and ${baseline.length})`);
  }
}

function linearShap(layer: DenseLike, features: readonly FeatureSpec[]): Explainer {
  const [kernelT, biasT] = layer.getWeights();
  const w = Float64Array.from(kernelT!.dataSync());
  const bias = biasT!.dataSync()[0]!;
  const columns = features.flatMap(featureColumns);
  const groups = attributionGroups(features);
  return {
    method: 'linear-shap',
    scale: 'logit',
    columns,
    groups,
    explain(x, baseline) {
      checkWidth(x, baseline, w.length);
      const phi = new Float64Array(w.length);
      let baseValue = bias;
      let prediction = bias;
      for (let j = 0; j < w.length; j++) {
        phi[j] = w[j]! * (x[j]! - baseline[j]!);
        baseValue += w[j]! * baseline[j]!;
        prediction += w[j]! * x[j]!;
      }
      const sum = phi.reduce((a, b) => a + b, 0);
      return {
        method: 'linear-shap',
        scale: 'logit',
        steps: null,
        rule: null,
        initialSteps: null,
        grid: null,
        converged: true,
        baseValue,
        prediction,
        attributions: grouped(groups, phi),
        columnAttributions: phi,
        completenessError: completeness(sum, prediction - baseValue),
      };
    },
  };
}

/** The completeness Integrated Gradients refines to: |sum(attr) - (f(x) - f(baseline))| at most IG_TOLERANCE of |f(x) - f(baseline)|. */
export const IG_TOLERANCE = 0.01;
/** The absolute floor on that gap, per unit of max(1, |f(x)|, |f(baseline)|): below it float32 rounding of f decides, not the quadrature. */
export const IG_ABSOLUTE_FLOOR = 1e-6;
/** The most intervals the adaptive refinement may reach (it stops there, not converged, and says so). */
export const IG_MAX_STEPS = 1600;

/** Integrated Gradients' quadrature options (createExplainer's `options`). */
export interface IgOptions {
  /** Uniform steps to start from (default IG_STEPS). */
  readonly steps?: number;
  /** false: the fixed uniform grid only, no refinement (default true). */
  readonly adaptive?: boolean;
  /** Cap on the intervals after refinement (default IG_MAX_STEPS; raised to `steps` if below it). */
  readonly maxSteps?: number;
  /** Relative completeness target (default IG_TOLERANCE). */
  readonly tolerance?: number;
}

function integratedGradients(model: tf.LayersModel, features: readonly FeatureSpec[], scale: ExplainScale, options: IgOptions): Explainer {
  const columns = features.flatMap(featureColumns);
  const groups = attributionGroups(features);
  const width = columns.length;
  const initialSteps = options.steps ?? IG_STEPS;
  const adaptive = options.adaptive ?? true;
  const maxSteps = Math.max(initialSteps, options.maxSteps ?? IG_MAX_STEPS);
  const tolerance = options.tolerance ?? IG_TOLERANCE;
  const output = (input: tf.Tensor): tf.Tensor => (model.apply(input, { training: false }) as tf.Tensor).reshape([-1]);
  // Rows are independent at inference (no dropout, BatchNorm on its moving statistics), so the
  // gradient of the batch's summed output is each path point's own gradient.
  const gradient = tf.grad((input: tf.Tensor) => output(input).sum());
  return {
    method: 'integrated-gradients',
    scale,
    columns,
    groups,
    explain(x, baseline) {
      checkWidth(x, baseline, width);
      const d = Float64Array.from(x, (xj, j) => xj - baseline[j]!);
      /** f and df/dx at path points alpha, all in one batch through the model. */
      const evaluate = (alphas: readonly number[]): { f: Float64Array; g: Float64Array } => {
        const points = new Float32Array(alphas.length * width);
        alphas.forEach((a, k) => {
          for (let j = 0; j < width; j++) points[k * width + j] = baseline[j]! + a * d[j]!;
        });
        let out = { f: new Float64Array(0), g: new Float64Array(0) };
        tf.tidy(() => {
          const path = tf.tensor2d(points, [alphas.length, width]);
          out = { f: Float64Array.from(output(path).dataSync()), g: Float64Array.from(gradient(path).dataSync()) };
        });
        return out;
      };
      // The path's nodes, in alpha order: f, the gradient row, and its directional derivative g . (x - baseline).
      let alpha = Array.from({ length: initialSteps + 1 }, (_, k) => k / initialSteps);
      const first = evaluate(alpha);
      let f = [...first.f];
      let grads = alpha.map((_, k) => first.g.subarray(k * width, (k + 1) * width));
      const slope = (g: Float64Array): number => g.reduce((s, gj, j) => s + gj * d[j]!, 0);
      let slopes = grads.map(slope);
      // Interval k's completeness residual: its rise f(a_k+1) - f(a_k) less its trapezoid. They sum to
      // (f(x) - f(baseline)) - sum(attr), so the gap is known interval by interval and refined where it is.
      const residual = (k: number): number => f[k + 1]! - f[k]! - ((alpha[k + 1]! - alpha[k]!) / 2) * (slopes[k]! + slopes[k + 1]!);
      const delta = f[initialSteps]! - f[0]!;
      const allowed = Math.max(tolerance * Math.abs(delta), IG_ABSOLUTE_FLOOR * Math.max(1, Math.abs(f[0]!), Math.abs(f[initialSteps]!)));
      let residuals = alpha.slice(1).map((_, k) => residual(k));
      let gap = residuals.reduce((a, b) => a + b, 0);
      while (adaptive && Math.abs(gap) > allowed && residuals.length < maxSteps) {
        // Bisect every interval whose residual is above its share of the allowance, largest first, within
        // the cap. sum |r_k| >= |gap| > allowed, so the largest is always one: every round refines.
        const share = allowed / residuals.length;
        const split = residuals
          .map((r, k) => ({ r: Math.abs(r), k }))
          .filter((c) => c.r > share)
          .sort((a, b) => b.r - a.r)
          .slice(0, maxSteps - residuals.length)
          .map((c) => c.k)
          .sort((a, b) => a - b);
        const mids = split.map((k) => (alpha[k]! + alpha[k + 1]!) / 2);
        const more = evaluate(mids);
        const next = { alpha: [] as number[], f: [] as number[], grads: [] as Float64Array[], slopes: [] as number[] };
        let m = 0;
        for (let k = 0; k < alpha.length; k++) {
          next.alpha.push(alpha[k]!);
          next.f.push(f[k]!);
          next.grads.push(grads[k]!);
          next.slopes.push(slopes[k]!);
          if (split[m] === k) {
            const g = more.g.subarray(m * width, (m + 1) * width);
            next.alpha.push(mids[m]!);
            next.f.push(more.f[m]!);
            next.grads.push(g);
            next.slopes.push(slope(g));
            m++;
          }
        }
        ({ alpha, f, grads, slopes } = next);
        residuals = alpha.slice(1).map((_, k) => residual(k));
        gap = residuals.reduce((a, b) => a + b, 0);
      }
      // Trapezoid on the (possibly non-uniform) grid: node k weighs half its two neighbouring intervals.
      const attr = new Float64Array(width);
      for (let k = 0; k < alpha.length; k++) {
        const weight = ((k > 0 ? alpha[k]! - alpha[k - 1]! : 0) + (k < alpha.length - 1 ? alpha[k + 1]! - alpha[k]! : 0)) / 2;
        const g = grads[k]!;
        for (let j = 0; j < width; j++) attr[j] += weight * g[j]!;
      }
      for (let j = 0; j < width; j++) attr[j] *= d[j]!;
      const baseValue = f[0]!;
      const prediction = f[f.length - 1]!;
      const sum = attr.reduce((a, b) => a + b, 0);
      return {
        method: 'integrated-gradients',
        scale,
        steps: residuals.length,
        rule: 'trapezoid',
        initialSteps,
        grid: residuals.length === initialSteps ? 'uniform' : 'adaptive',
        converged: Math.abs(sum - delta) <= allowed,
        baseValue,
        prediction,
        attributions: grouped(groups, attr),
        columnAttributions: attr,
        completenessError: completeness(sum, prediction - baseValue),
      };
    },
  };
}

/**
 * An explainer for a built model over `features`. `family` (the spec's) chooses the method;
 * without it (a model loaded from an export) a single Dense(1, sigmoid) with bias is taken as
 * a logistic regression and everything else gets Integrated Gradients. Selects TensorFlow.js's
 * cpu backend. The model stays the caller's to dispose.
 */
export async function createExplainer(model: tf.LayersModel, features: readonly FeatureSpec[], family?: Family, options: IgOptions = {}): Promise<Explainer> {
  await tf.setBackend('cpu');
  const width = features.flatMap(featureColumns).length;
  const inputWidth = model.inputs[0]?.shape[model.inputs[0].shape.length - 1];
  if (model.inputs.length !== 1 || inputWidth !== width) {
    throw new CohortError(GeneralErrors.USAGE, `the model reads ${String(inputWidth)} inputs but its features encode to ${width} design columns`);
  }
  const linear = family === undefined || family === 'logistic-regression' ? logisticLayer(model) : null;
  if (linear) return linearShap(linear, features);
  const scale: ExplainScale = family === 'cox-ph' ? 'log-hazard' : endsInSigmoid(model) ? 'probability' : family === undefined && model.layers.length === 1 ? 'log-hazard' : 'output';
  return integratedGradients(model, features, scale, options);
}

/** attributionSums' result: what a site would encrypt for the global summary. */
export interface AttributionSums {
  features: string[];
  /** Per reported feature, the sum over the rows of |attribution|. */
  sumAbs: Float64Array;
  count: number;
  /** The sum over the rows of each explanation's completenessError (sum / count is the mean). */
  completenessErrorSum?: number;
  /** The largest completenessError over the rows (0 with no rows). */
  completenessErrorMax?: number;
  /** The most IG intervals any row needed (null for linear SHAP). */
  stepsMax?: number | null;
  /** Rows whose explanation did not reach the completeness target within IG_MAX_STEPS. */
  notConverged?: number;
}

/**
 * The vector a site would encrypt for the global summary: per reported feature, the sum over
 * its rows of |attribution|, and the number of rows; with the sum and the max of the rows'
 * completeness errors (sum / count is the mean), the most steps a row needed, and how many rows
 * missed the completeness target. Summed over sites (under the encryption, not here),
 * sumAbs / count is the consortium's mean absolute attribution per feature.
 */
export function attributionSums(explainer: Explainer, rows: readonly Float64Array[], baseline: Float64Array): AttributionSums & Required<Pick<AttributionSums, 'completenessErrorSum' | 'completenessErrorMax' | 'stepsMax' | 'notConverged'>> {
  const sumAbs = new Float64Array(explainer.groups.length);
  let completenessErrorSum = 0;
  let completenessErrorMax = 0;
  let stepsMax: number | null = null;
  let notConverged = 0;
  for (const row of rows) {
    const e = explainer.explain(row, baseline);
    e.attributions.forEach((a, i) => (sumAbs[i]! += Math.abs(a.value)));
    completenessErrorSum += e.completenessError;
    completenessErrorMax = Math.max(completenessErrorMax, e.completenessError);
    if (e.steps !== null) stepsMax = Math.max(stepsMax ?? 0, e.steps);
    if (e.converged === false) notConverged++;
  }
  return { features: explainer.groups.map((g) => g.feature), sumAbs, count: rows.length, completenessErrorSum, completenessErrorMax, stepsMax, notConverged };
}

/** Mean absolute attribution per feature from (summed) attributionSums, largest first. */
export function meanAbsAttribution(sums: { features: readonly string[]; sumAbs: Float64Array; count: number }): { feature: string; meanAbsAttribution: number }[] {
  if (sums.count === 0) return sums.features.map((feature) => ({ feature, meanAbsAttribution: 0 }));
  return sums.features
    .map((feature, i) => ({ feature, meanAbsAttribution: sums.sumAbs[i]! / sums.count }))
    .sort((a, b) => b.meanAbsAttribution - a.meanAbsAttribution);
}
