/**
 * A released version's fairness record (docs/fairness.md): the final round's subgroup report
 * as the sites decrypted it, the equalized odds threshold it was judged against (the spec's
 * `fairness.maxEqualizedOddsDifference`, else the policy's 0.1), and whether it needs a review
 * before approval. An approval of a version that needs one must state it was reviewed
 * (registry.ts approve, `--fairness-reviewed`); the review is then recorded here too.
 */
import { fairnessReviewReasons, type FairnessReport } from '../../core/evaluation/fairness-metrics.ts';
import { DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE, type ModelSpec } from '../../models/spec-schema.ts';

export interface FairnessRecord extends FairnessReport {
  readonly maxEqualizedOddsDifference: number;
  readonly reviewRequired: boolean;
  readonly reviewReasons: string[];
  /** Set when an approver approved the version stating the review was done. */
  readonly review?: { readonly by: string; readonly atMs: number; readonly noteSha256: string };
}

export function fairnessRecord(report: FairnessReport, spec: Pick<ModelSpec, 'fairness'>): FairnessRecord {
  const max = spec.fairness?.maxEqualizedOddsDifference ?? DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE;
  const reviewReasons = fairnessReviewReasons(report, max);
  return { ...report, maxEqualizedOddsDifference: max, reviewRequired: reviewReasons.length > 0, reviewReasons };
}
