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
 * patients are suppressed, with complementary suppression so that no suppressed set of 1 to
 * SUPPRESS_AT_MOST patients can be derived by subtraction (suppressedGroups): no metric of
 * theirs is reported, and they enter no difference.
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
  /** Reported groups: every group not suppressed (suppressedGroups): empty ones, and ones of more than SUPPRESS_AT_MOST patients. */
  readonly groups: GroupMetrics[];
  /** Per attribute; null when fewer than two reported groups have the rates defined. */
  readonly equalizedOddsDifference: Record<string, number | null>;
  readonly demographicParityDifference: Record<string, number | null>;
  /** Groups of 1 to SUPPRESS_AT_MOST patients, and their complements (suppressedGroups): named, no metric. */
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

/**
 * The groups of one attribute to suppress, by index, from their sizes. Primary: every group of
 * 1 to SUPPRESS_AT_MOST patients. Complementary: every test row is in exactly one group of the
 * attribute, so the pooled row count and accuracy (and any other attribute's groups, which
 * partition the same rows) minus the reported groups give the suppressed groups' total n and
 * confusion counts; while that total is 1 to SUPPRESS_AT_MOST, the smallest reported non-empty
 * group is suppressed too, so the set anyone can derive by subtraction is empty or holds more
 * than SUPPRESS_AT_MOST patients (or every non-empty group is suppressed).
 */
export function suppressedGroups(sizes: readonly number[]): Set<number> {
  const hidden = new Set<number>();
  sizes.forEach((n, g) => {
    if (n >= 1 && n <= SUPPRESS_AT_MOST) hidden.add(g);
  });
  const total = (): number => [...hidden].reduce((t, g) => t + sizes[g]!, 0);
  while (total() >= 1 && total() <= SUPPRESS_AT_MOST) {
    const next = sizes
      .map((n, g) => ({ n, g }))
      .filter(({ n, g }) => n > 0 && !hidden.has(g))
      .sort((a, b) => a.n - b.n || a.g - b.g)[0];
    if (!next) break;
    hidden.add(next.g);
  }
  return hidden;
}

/** The fairness report from the fairness part of a decoded evaluation sum. */
export function fairnessReport(attributes: readonly FairnessAttributeLayout[], sum: ArrayLike<number>): FairnessReport {
  if (sum.length !== fairnessLength(attributes)) throw new RangeError(`a fairness sum has ${fairnessLength(attributes)} values, got ${sum.length}`);
  const groups: GroupMetrics[] = [];
  const suppressed: { attribute: string; group: string }[] = [];
  let base = 0;
  for (const attribute of attributes) {
    const all = attribute.groups.map((group, g) => {
      const start = base + g * FAIRNESS_GROUP_LENGTH;
      return groupMetrics(attribute.name, group, Array.prototype.slice.call(sum, start, start + FAIRNESS_GROUP_LENGTH) as number[]);
    });
    const hidden = suppressedGroups(all.map((m) => m.n));
    all.forEach((m, g) => {
      if (hidden.has(g)) suppressed.push({ attribute: attribute.name, group: m.group });
      else groups.push(m);
    });
    base += attribute.groups.length * FAIRNESS_GROUP_LENGTH;
  }
  const { equalizedOddsDifference, demographicParityDifference } = fairnessDifferences(attributes.map((a) => a.name), groups);
  return {
    attributes: attributes.map((a) => a.name),
    groups,
    equalizedOddsDifference,
    demographicParityDifference,
    suppressed,
    histogramBins: FAIRNESS_HISTOGRAM_BINS,
    threshold: FAIRNESS_THRESHOLD,
  };
}

/** A group's rate as a number, or as JSON wrote a NaN (null). */
type Rate = number | null;

/**
 * Fairlearn's differences per attribute over the reported groups of more than SUPPRESS_AT_MOST
 * patients (empty and suppressed groups enter none): the larger of the TPR and FPR gaps, and the
 * selection-rate gap; null with fewer than two groups that have the rate. The coordinator
 * recomputes them from the reported groups (coordinator/registry/fairness-review.ts).
 */
export function fairnessDifferences(
  attributes: readonly string[],
  groups: readonly { attribute: string; n: number; tpr: Rate; fpr: Rate; selectionRate: Rate }[],
): Pick<FairnessReport, 'equalizedOddsDifference' | 'demographicParityDifference'> {
  const eod: Record<string, number | null> = {};
  const dpd: Record<string, number | null> = {};
  const finite = (v: readonly Rate[]): number[] => v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  for (const a of attributes) {
    const reported = groups.filter((m) => m.attribute === a && m.n > SUPPRESS_AT_MOST);
    const tprGap = spread(finite(reported.map((m) => m.tpr)));
    const fprGap = spread(finite(reported.map((m) => m.fpr)));
    eod[a] = tprGap === null && fprGap === null ? null : Math.max(tprGap ?? 0, fprGap ?? 0);
    dpd[a] = spread(finite(reported.map((m) => m.selectionRate)));
  }
  return { equalizedOddsDifference: eod, demographicParityDifference: dpd };
}

/**
 * Why a report needs a review before approval: an attribute whose equalized odds difference
 * exceeds `max`, or one whose difference cannot be computed (fewer than two reportable groups):
 * a disparity that cannot be assessed is not taken as none.
 */
export function fairnessReviewReasons(report: Pick<FairnessReport, 'equalizedOddsDifference'>, max: number): string[] {
  return Object.entries(report.equalizedOddsDifference).flatMap(([a, x]) =>
    x === null
      ? [`equalized odds difference over "${a}" cannot be assessed: fewer than two groups of more than ${SUPPRESS_AT_MOST} patients are reported`]
      : x > max
        ? [`equalized odds difference ${x.toFixed(4)} over "${a}" exceeds ${max}`]
        : [],
  );
}
