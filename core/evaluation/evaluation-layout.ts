/**
 * The whole evaluation vector of a run, as its spec lays it out: the base sums
 * (summed-metrics.ts, unchanged and first) but their last value, then the spec's fairness
 * attributes (fairness-metrics.ts), then the global explanation sums (global-explanations.ts)
 * when the spec asks for them, and last the base vector's last value, the evaluator count: the
 * codec reads a vector's last value as its weight (the count a sum's check proves). Without
 * fairness or explanations the layout is the base vector itself. The coordinator (to add) and every site (to encode and decode) derive
 * the same layout from the accepted spec. For cox-ph the base part is the survival vector
 * (survival-metrics.ts), of the same length, in place of the binary sums.
 */
import { featureColumns } from '../../models/features.ts';
import { attributionGroups } from '../../models/explain/row.ts';
import { fairnessGroups } from '../../models/fairness.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { fairnessLength, fairnessReport, type FairnessAttributeLayout, type FairnessReport } from './fairness-metrics.ts';
import { explanationLength, globalExplanations, globalMeans, type ExplanationLayout, type GlobalExplanations } from './global-explanations.ts';
import { consortiumMetrics, EVAL_VECTOR_LENGTH, type ConsortiumMetrics } from './summed-metrics.ts';
import { survivalConsortiumMetrics } from './survival-metrics.ts';

export interface EvaluationLayout {
  /**
   * True for the cox-ph family: the base part is the survival vector (survival-metrics.ts, the
   * base vector's length and codec, its last value the evaluator count too) in place of the
   * binary sums.
   */
  readonly survival: boolean;
  readonly fairness: readonly FairnessAttributeLayout[];
  readonly explanations: ExplanationLayout | null;
  /** Offset of the fairness part (= EVAL_VECTOR_LENGTH - 1: after the base sums, before the evaluator count). */
  readonly fairnessOffset: number;
  readonly explanationsOffset: number;
  /** The whole vector's length; its last value is the evaluator count. */
  readonly length: number;
}

export function evaluationLayout(spec: Pick<ModelSpec, 'features' | 'fairness' | 'explanations' | 'model'>): EvaluationLayout {
  const fairness = fairnessGroups(spec);
  const explanations: ExplanationLayout | null =
    spec.explanations?.global === true
      ? {
          method: spec.model.family === 'logistic-regression' ? 'linear-shap' : 'integrated-gradients',
          columns: spec.features.flatMap(featureColumns).length,
          features: attributionGroups(spec.features).map((g) => g.feature),
        }
      : null;
  const fairnessOffset = EVAL_VECTOR_LENGTH - 1;
  const explanationsOffset = fairnessOffset + fairnessLength(fairness);
  return { survival: spec.model.family === 'cox-ph', fairness, explanations, fairnessOffset, explanationsOffset, length: explanationsOffset + (explanations ? explanationLength(explanations) : 0) + 1 };
}

/** A site's whole evaluation vector around its base vector (summed-metrics.ts evaluationVector); the parts are the caller's to fill. */
export function layoutVector(layout: EvaluationLayout, base: Float64Array): Float64Array {
  if (base.length !== EVAL_VECTOR_LENGTH) throw new RangeError(`a base evaluation vector has ${EVAL_VECTOR_LENGTH} values, got ${base.length}`);
  const v = new Float64Array(layout.length);
  v.set(base.subarray(0, EVAL_VECTOR_LENGTH - 1));
  v[layout.length - 1] = base[EVAL_VECTOR_LENGTH - 1]!;
  return v;
}

/** The base vector inside a whole one. */
function baseOf(layout: EvaluationLayout, v: Float64Array): Float64Array {
  const base = new Float64Array(EVAL_VECTOR_LENGTH);
  base.set(v.subarray(0, EVAL_VECTOR_LENGTH - 1));
  base[EVAL_VECTOR_LENGTH - 1] = v[layout.length - 1]!;
  return base;
}

/**
 * The consortium's survival metrics (cox-ph), from the summed survival vectors: `cIndex` is
 * the pooled concordance, sum of concordant (ties 1/2) over sum of comparable pairs, the pairs
 * taken within each site's test rows (exact; null in JSON without a comparable pair);
 * `meanCIndex` the mean of the sites' own test C-indexes (FLamby's metric), to 2^-17, over the
 * `sitesWithPairs` sites that had a comparable pair. No single site's C-index is in either.
 */
export interface SurvivalReport {
  readonly cIndex: number;
  readonly meanCIndex: number;
  readonly comparablePairs: number;
  readonly events: number;
  readonly sitesWithPairs: number;
}

/** What the sites report beside the base metrics when the spec asks for them. */
export interface EvaluationExtras {
  /** cox-ph runs: the survival metrics (the base fields then carry the rows, the evaluators and, in `auc`, the pooled C-index). */
  readonly survival?: SurvivalReport;
  readonly fairness?: FairnessReport;
  /** Present (null when none could be computed, with `explanationsUnavailable`) when the spec asks for global explanations. */
  readonly explanations?: GlobalExplanations | null;
  readonly explanationsUnavailable?: string;
}

export type ExtendedMetrics = ConsortiumMetrics & EvaluationExtras;

/**
 * The base fields of a cox-ph run's metrics, from its summed survival vectors: the held-out
 * rows and evaluators as for any run; `auc` carries the pooled C-index (Harrell's C is the AUC
 * of the risk score generalised to censored times; exact, so `aucResolution` 0); `loss` and
 * `accuracy` are NaN (JSON null): the partial likelihood couples a site's rows and is not summed,
 * and a risk score has no decision threshold.
 */
function survivalMetrics(base: Float64Array): { base: ConsortiumMetrics; survival: SurvivalReport } {
  const s = survivalConsortiumMetrics(base);
  return {
    base: { numExamples: s.numExamples, evaluators: s.evaluators, loss: Number.NaN, accuracy: Number.NaN, auc: s.pairCIndex, aucResolution: 0 },
    survival: { cIndex: s.pairCIndex, meanCIndex: s.meanCIndex, comparablePairs: s.comparablePairs, events: s.events, sitesWithPairs: s.sitesWithPairs },
  };
}

/** The pooled metrics of a decoded sum laid out as `layout`, and the global mean row (the explanations' baseline) when it carries one. */
export function extendedMetrics(layout: EvaluationLayout, sum: Float64Array): { metrics: ExtendedMetrics; means: Float64Array | undefined } {
  if (sum.length !== layout.length) throw new RangeError(`this run's evaluation sum has ${layout.length} values, got ${sum.length}`);
  const survival = layout.survival ? survivalMetrics(baseOf(layout, sum)) : undefined;
  const base = survival ? survival.base : consortiumMetrics(baseOf(layout, sum));
  const fairness = layout.fairness.length > 0 ? fairnessReport(layout.fairness, sum.subarray(layout.fairnessOffset, layout.explanationsOffset)) : undefined;
  let means: Float64Array | undefined;
  let extras: EvaluationExtras = { ...(survival ? { survival: survival.survival } : {}), ...(fairness ? { fairness } : {}) };
  if (layout.explanations) {
    const part = sum.subarray(layout.explanationsOffset, layout.length - 1);
    means = globalMeans(layout.explanations, part);
    const { explanations, unavailable } = globalExplanations(layout.explanations, part, base.numExamples);
    extras = { ...extras, explanations, ...(unavailable ? { explanationsUnavailable: unavailable } : {}) };
  }
  return { metrics: { ...base, ...extras }, means };
}
