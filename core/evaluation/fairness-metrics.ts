/**
 * Subgroup fairness summed under the run's encryption (docs/fairness.md).
 *
 * For each fairness attribute and each of its groups, a site appends to its evaluation vector
 *
 *   [ tp, fp, tn, fn, negatives by score bin (B), positives by score bin (B) ]
 *
 * with the decision at {@link FAIRNESS_THRESHOLD} (a score above it predicts positive, as the
 * base metrics' accuracy) and B = {@link FAIRNESS_HISTOGRAM_BINS}. The vectors are added with the
 * rest of the evaluation (evaluation-layout.ts); the sites decrypt the sum and compute, per
 * group, n, TPR, FPR, PPV, accuracy and AUC, and per attribute Fairlearn's
 * equalized_odds_difference (the larger of the TPR and FPR gaps, max minus min over groups) and
 * demographic_parity_difference (max minus min of the selection rate). Counts and the rates
 * made of them are exact; AUC is within its stated resolution of the AUC of the pooled scores
 * (ties within a bin count half; aucFromHistograms). Groups of 1 to {@link SUPPRESS_AT_MOST}
 * patients are suppressed: no metric of theirs is reported, and they enter no difference.
 */
import { aucFromHistograms } from './summed-metrics.ts';

export const FAIRNESS_HISTOGRAM_BINS = 64;
/** Decision threshold of the confusion counts. */
export const FAIRNESS_THRESHOLD = 0.5;
/** Groups with 1 to this many patients in the pooled test rows are suppressed. */
export const SUPPRESS_AT_MOST = 10;

const TP = 0;
const FP = 1;
const TN = 2;
const FN = 3;
const HIST = 4;
/** Values per group. */
export const FAIRNESS_GROUP_LENGTH = HIST + 2 * FAIRNESS_HISTOGRAM_BINS;

/** An attribute and its group labels, in layout order (models/fairness.ts fairnessGroups). */
export interface FairnessAttributeLayout {
  readonly name: string;
  readonly groups: readonly string[];
}

/** Length of the fairness part of the evaluation vector. */
export function fairnessLength(attributes: readonly FairnessAttributeLayout[]): number {
  return attributes.reduce((n, a) => n + a.groups.length * FAIRNESS_GROUP_LENGTH, 0);
}

function binOf(p: number): number {
  return Math.min(FAIRNESS_HISTOGRAM_BINS - 1, Math.max(0, Math.floor(p * FAIRNESS_HISTOGRAM_BINS)));
}

/**
 * One site's fairness sums. `groupOf[a][i]` is test row i's group index in attribute a. Writes
 * into `out` from `offset` (the caller's evaluation vector) and returns it.
 */
export function fairnessVector(
  attributes: readonly FairnessAttributeLayout[],
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  groupOf: readonly ArrayLike<number>[],
  out: Float64Array = new Float64Array(fairnessLength(attributes)),
  offset = 0,
): Float64Array {
  if (groupOf.length !== attributes.length) throw new RangeError(`${attributes.length} fairness attributes, ${groupOf.length} group columns`);
  let base = offset;
  attributes.forEach((attribute, a) => {
    const groups = groupOf[a]!;
    if (groups.length !== probabilities.length) throw new RangeError(`attribute ${attribute.name}: ${groups.length} group indices for ${probabilities.length} rows`);
    for (let i = 0; i < probabilities.length; i++) {
      const g = groups[i]!;
      if (!(Number.isInteger(g) && g >= 0 && g < attribute.groups.length)) throw new RangeError(`attribute ${attribute.name}: row ${i} has no group`);
      const score = probabilities[i]!;
      const positive = labels[i] === 1;
      const at = base + g * FAIRNESS_GROUP_LENGTH;
      const predicted = score > FAIRNESS_THRESHOLD;
      out[at + (positive ? (predicted ? TP : FN) : predicted ? FP : TN)]! += 1;
      out[at + HIST + (positive ? FAIRNESS_HISTOGRAM_BINS : 0) + binOf(score)]! += 1;
    }
    base += attribute.groups.length * FAIRNESS_GROUP_LENGTH;
  });
  return out;
}

/** One group's metrics (NaN where the rate's denominator is 0; JSON writes null). */
export interface GroupMetrics {
  readonly attribute: string;
  readonly group: string;
  readonly n: number;
  readonly tpr: number;
  readonly fpr: number;
  readonly ppv: number;
  readonly accuracy: number;
  readonly auc: number;
  /** Bound on |auc - AUC of the group's pooled scores| from ties within a histogram bin. */
  readonly aucResolution: number;
  /** Predicted positive / n (Fairlearn's selection rate). */
  readonly selectionRate: number;
}

export interface FairnessReport {
  readonly attributes: string[];
  /** Reported groups: every group with 0 or more than SUPPRESS_AT_MOST patients. */
  readonly groups: GroupMetrics[];
  /** Per attribute; null when fewer than two reported groups have the rates defined. */
  readonly equalizedOddsDifference: Record<string, number | null>;
  readonly demographicParityDifference: Record<string, number | null>;
  /** Groups of 1 to SUPPRESS_AT_MOST patients: named, no metric. */
  readonly suppressed: { attribute: string; group: string }[];
  readonly histogramBins: number;
  readonly threshold: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

/** max - min over the finite values; null with fewer than two. */
function spread(values: readonly number[]): number | null {
  const v = values.filter(Number.isFinite);
  return v.length < 2 ? null : Math.max(...v) - Math.min(...v);
}

/** One group's metrics from its (summed) counts and histograms; `part` starts at tp. */
export function groupMetrics(attribute: string, group: string, part: ArrayLike<number>): GroupMetrics {
  const at = (i: number): number => Math.round(part[i]!);
  const [tp, fp, tn, fn] = [at(TP), at(FP), at(TN), at(FN)];
  const neg = Array.from({ length: FAIRNESS_HISTOGRAM_BINS }, (_, b) => at(HIST + b));
  const pos = Array.from({ length: FAIRNESS_HISTOGRAM_BINS }, (_, b) => at(HIST + FAIRNESS_HISTOGRAM_BINS + b));
  const n = tp + fp + tn + fn;
  const { auc, resolution } = aucFromHistograms(neg, pos);
  return {
    attribute,
    group,
    n,
    tpr: ratio(tp, tp + fn),
    fpr: ratio(fp, fp + tn),
    ppv: ratio(tp, tp + fp),
    accuracy: ratio(tp + tn, n),
    auc,
    aucResolution: resolution,
    selectionRate: ratio(tp + fp, n),
  };
}

/** The fairness report from the fairness part of a decoded evaluation sum. */
export function fairnessReport(attributes: readonly FairnessAttributeLayout[], sum: ArrayLike<number>): FairnessReport {
  if (sum.length !== fairnessLength(attributes)) throw new RangeError(`a fairness sum has ${fairnessLength(attributes)} values, got ${sum.length}`);
  const groups: GroupMetrics[] = [];
  const suppressed: { attribute: string; group: string }[] = [];
  const eod: Record<string, number | null> = {};
  const dpd: Record<string, number | null> = {};
  let base = 0;
  for (const attribute of attributes) {
    const reported: GroupMetrics[] = [];
    attribute.groups.forEach((group, g) => {
      const start = base + g * FAIRNESS_GROUP_LENGTH;
      const m = groupMetrics(attribute.name, group, Array.prototype.slice.call(sum, start, start + FAIRNESS_GROUP_LENGTH) as number[]);
      if (m.n >= 1 && m.n <= SUPPRESS_AT_MOST) suppressed.push({ attribute: attribute.name, group });
      else groups.push(m);
      if (m.n > SUPPRESS_AT_MOST) reported.push(m);
    });
    const tprGap = spread(reported.map((m) => m.tpr));
    const fprGap = spread(reported.map((m) => m.fpr));
    eod[attribute.name] = tprGap === null && fprGap === null ? null : Math.max(tprGap ?? 0, fprGap ?? 0);
    dpd[attribute.name] = spread(reported.map((m) => m.selectionRate));
    base += attribute.groups.length * FAIRNESS_GROUP_LENGTH;
  }
  return {
    attributes: attributes.map((a) => a.name),
    groups,
    equalizedOddsDifference: eod,
    demographicParityDifference: dpd,
    suppressed,
    histogramBins: FAIRNESS_HISTOGRAM_BINS,
    threshold: FAIRNESS_THRESHOLD,
  };
}

/** Whether a report's equalized odds difference exceeds `max` for some attribute, and which. */
export function fairnessReviewReasons(report: Pick<FairnessReport, 'equalizedOddsDifference'>, max: number): string[] {
  return Object.entries(report.equalizedOddsDifference)
    .filter(([, x]) => x !== null && x > max)
    .map(([a, x]) => `equalized odds difference ${(x as number).toFixed(4)} over "${a}" exceeds ${max}`);
}
