/**
 * A released version's fairness record (docs/fairness.md): the final round's subgroup report
 * as the sites decrypted it, with its differences recomputed here from the reported groups (a
 * reported difference is not trusted), the equalized odds threshold it was judged against (the
 * spec's `fairness.maxEqualizedOddsDifference` where lower, else the policy's 0.1: a spec may
 * only tighten it), and whether it needs a review before approval. The review is required
 * (fail closed) when a difference exceeds the threshold, when an attribute's difference cannot
 * be computed (fewer than two reportable groups), and when the spec asks for fairness but the
 * final round released none (its metrics withheld). An approval of a version that needs one
 * must state it was reviewed (registry.ts approve, `--fairness-reviewed`); the review is then
 * recorded here too.
 */
import { FAIRNESS_HISTOGRAM_BINS, FAIRNESS_THRESHOLD, fairnessDifferences, fairnessReviewReasons, type FairnessReport } from '../../core/evaluation/fairness-metrics.ts';
import { fairnessGroups } from '../../models/fairness.ts';
import { DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE, type ModelSpec } from '../../models/spec-schema.ts';

export interface FairnessRecord extends FairnessReport {
  readonly maxEqualizedOddsDifference: number;
  readonly reviewRequired: boolean;
  readonly reviewReasons: string[];
  /** True when the spec asks for fairness and the final round released no report (its metrics withheld). */
  readonly withheld?: true;
  /** Set when an approver approved the version stating the review was done. */
  readonly review?: { readonly by: string; readonly atMs: number; readonly noteSha256: string };
}

/** The threshold a version is judged against: the spec's where it is lower than the policy's 0.1. */
export function reviewThreshold(spec: Pick<ModelSpec, 'fairness'>): number {
  return Math.min(spec.fairness?.maxEqualizedOddsDifference ?? DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE, DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE);
}

/**
 * The record of the final round's report (undefined: none was released), or null when neither
 * the spec nor the report has fairness.
 */
export function fairnessRecord(report: FairnessReport | undefined, spec: Pick<ModelSpec, 'fairness'>): FairnessRecord | null {
  const max = reviewThreshold(spec);
  const present = report !== undefined && Array.isArray(report.attributes) && Array.isArray(report.groups) && Array.isArray(report.suppressed);
  if (!present) {
    const attributes = fairnessGroups(spec).map((a) => a.name);
    if (attributes.length === 0) return null;
    const none = Object.fromEntries(attributes.map((a) => [a, null]));
    const base: FairnessReport = { attributes, groups: [], equalizedOddsDifference: none, demographicParityDifference: none, suppressed: [], histogramBins: FAIRNESS_HISTOGRAM_BINS, threshold: FAIRNESS_THRESHOLD };
    const reviewReasons = ['the final round released no fairness report (its metrics were withheld): the fairness of this version was not assessed', ...fairnessReviewReasons(base, max)];
    return { ...base, maxEqualizedOddsDifference: max, reviewRequired: true, reviewReasons, withheld: true };
  }
  const recomputed: FairnessReport = { ...report, ...fairnessDifferences(report.attributes, report.groups) };
  const reviewReasons = fairnessReviewReasons(recomputed, max);
  return { ...recomputed, maxEqualizedOddsDifference: max, reviewRequired: reviewReasons.length > 0, reviewReasons };
}
