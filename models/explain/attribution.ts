/**
 * Local explanations of one prediction, and the per-site vector of a global summary.
 *
 * - logistic regression: exact interventional SHAP on the logit (link) scale,
 *   phi_j = w_j (x_j - b_j) with b the baseline (the mean row E[x]); the base value is
 *   w . b + bias and the prediction w . x + bias, so sum(phi) = prediction - base value
 *   exactly (SHAP's LinearExplainer with independent features).
 * - mlp, keras, cnn and cox-ph: Integrated Gradients (Sundararajan et al. 2017) along the
 *   straight path from the baseline to x, 50 steps, the trapezoid rule over the 51 points
 *   alpha = k/50, gradients by tf.grad on TensorFlow.js's cpu backend. The explained output
 *   is the model's own: the probability of a sigmoid head (mlp, keras, cnn), the risk score
 *   (log relative hazard) of cox-ph.
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
  /** IG only: steps and quadrature rule. */
  readonly steps: number | null;
  readonly rule: 'trapezoid' | null;
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
        baseValue,
        prediction,
        attributions: grouped(groups, phi),
        columnAttributions: phi,
        completenessError: completeness(sum, prediction - baseValue),
      };
    },
  };
}

function integratedGradients(model: tf.LayersModel, features: readonly FeatureSpec[], scale: ExplainScale, steps: number): Explainer {
  const columns = features.flatMap(featureColumns);
  const groups = attributionGroups(features);
  const width = columns.length;
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
      const points = new Float32Array((steps + 1) * width);
      for (let k = 0; k <= steps; k++) {
        const alpha = k / steps;
        for (let j = 0; j < width; j++) points[k * width + j] = baseline[j]! + alpha * (x[j]! - baseline[j]!);
      }
      let grads = new Float64Array(0);
      let ends: [number, number] = [0, 0];
      tf.tidy(() => {
        const path = tf.tensor2d(points, [steps + 1, width]);
        grads = Float64Array.from(gradient(path).dataSync());
        // f(baseline) and f(x) are the path's first and last points.
        const f = output(path).dataSync();
        ends = [f[0]!, f[steps]!];
      });
      const attr = new Float64Array(width);
      for (let j = 0; j < width; j++) {
        // Trapezoid: end points weigh 1/2.
        let s = (grads[j]! + grads[steps * width + j]!) / 2;
        for (let k = 1; k < steps; k++) s += grads[k * width + j]!;
        attr[j] = (x[j]! - baseline[j]!) * (s / steps);
      }
      const [baseValue, prediction] = ends;
      const sum = attr.reduce((a, b) => a + b, 0);
      return {
        method: 'integrated-gradients',
        scale,
        steps,
        rule: 'trapezoid',
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
export async function createExplainer(model: tf.LayersModel, features: readonly FeatureSpec[], family?: Family, options: { steps?: number } = {}): Promise<Explainer> {
  await tf.setBackend('cpu');
  const width = features.flatMap(featureColumns).length;
  const inputWidth = model.inputs[0]?.shape[model.inputs[0].shape.length - 1];
  if (model.inputs.length !== 1 || inputWidth !== width) {
    throw new CohortError(GeneralErrors.USAGE, `the model reads ${String(inputWidth)} inputs but its features encode to ${width} design columns`);
  }
  const linear = family === undefined || family === 'logistic-regression' ? logisticLayer(model) : null;
  if (linear) return linearShap(linear, features);
  const scale: ExplainScale = family === 'cox-ph' ? 'log-hazard' : endsInSigmoid(model) ? 'probability' : family === undefined && model.layers.length === 1 ? 'log-hazard' : 'output';
  return integratedGradients(model, features, scale, options.steps ?? IG_STEPS);
}

/**
 * The vector a site would encrypt for the global summary: per reported feature, the sum over
 * its rows of |attribution|, and the number of rows. Summed over sites (under the encryption,
 * not here), sumAbs / count is the consortium's mean absolute attribution per feature.
 */
export function attributionSums(explainer: Explainer, rows: readonly Float64Array[], baseline: Float64Array): { features: string[]; sumAbs: Float64Array; count: number } {
  const sumAbs = new Float64Array(explainer.groups.length);
  for (const row of rows) {
    explainer.explain(row, baseline).attributions.forEach((a, i) => (sumAbs[i]! += Math.abs(a.value)));
  }
  return { features: explainer.groups.map((g) => g.feature), sumAbs, count: rows.length };
}

/** Mean absolute attribution per feature from (summed) attributionSums, largest first. */
export function meanAbsAttribution(sums: { features: readonly string[]; sumAbs: Float64Array; count: number }): { feature: string; meanAbsAttribution: number }[] {
  if (sums.count === 0) return sums.features.map((feature) => ({ feature, meanAbsAttribution: 0 }));
  return sums.features
    .map((feature, i) => ({ feature, meanAbsAttribution: sums.sumAbs[i]! / sums.count }))
    .sort((a, b) => b.meanAbsAttribution - a.meanAbsAttribution);
}
