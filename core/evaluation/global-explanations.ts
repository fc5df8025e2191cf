/**
 * Global explanations summed under the run's encryption (docs/explanations.md, "Global
 * explanations").
 *
 * Every round, each site appends to its evaluation vector
 *
 *   [ test rows, sum of each design column over its test rows (D),
 *     attributed rows, sum of |attribution| per reported feature (F), sum of completeness errors ]
 *
 * The first two give, once decrypted at the sites, the consortium's mean test row: the baseline
 * (`global-mean`); a site sends them in the first round only, zeros after, so no later sum holds
 * a subset's test-row count and column sums. A site that holds a baseline from an earlier round
 * (so from round 2 on) fills the last three with models/explain/attribution.ts attributionSums
 * against it; a site without one leaves them 0 and counts no attributed row, and a sum whose
 * attributed rows are fewer than its evaluated rows gives no summary (globalExplanations). The final round's sum gives the mean absolute
 * attribution per feature and the mean completeness error. Under BFV every value is fixed point
 * at the evaluation scale (1/256 per site); each row's completeness error is capped at 1 so the
 * sum stays in range.
 */
export type GlobalExplainMethod = 'linear-shap' | 'integrated-gradients';

export interface ExplanationLayout {
  readonly method: GlobalExplainMethod;
  /** Design columns (the baseline's width). */
  readonly columns: number;
  /** Reported features (attributionGroups order). */
  readonly features: readonly string[];
}

/** A row's completeness error enters the sum capped at this. */
export const COMPLETENESS_CAP = 1;

export function explanationLength(l: ExplanationLayout): number {
  return 1 + l.columns + 1 + l.features.length + 1;
}

/** What a site attributed: attributionSums' result and the sum of its rows' completeness errors (each capped). */
export interface SiteAttribution {
  readonly sumAbs: ArrayLike<number>;
  readonly count: number;
  readonly completenessSum: number;
}

/**
 * One site's explanation sums: its test design rows (`x`, row-major, `rows` x columns) when
 * `means` (the first round only, before any site holds the baseline: later rounds send zeros,
 * so no later sum carries a subset's row count and column sums) and, with a baseline, its
 * attributions.
 */
export function explanationVector(l: ExplanationLayout, x: ArrayLike<number>, rows: number, attribution: SiteAttribution | undefined, out: Float64Array = new Float64Array(explanationLength(l)), offset = 0, means = true): Float64Array {
  if (x.length !== rows * l.columns) throw new RangeError(`${rows} rows of ${l.columns} columns need ${rows * l.columns} values, got ${x.length}`);
  if (means) {
    out[offset] = rows;
    for (let i = 0; i < rows; i++) for (let j = 0; j < l.columns; j++) out[offset + 1 + j]! += x[i * l.columns + j]!;
  }
  if (attribution) {
    if (attribution.sumAbs.length !== l.features.length) throw new RangeError(`${l.features.length} features, ${attribution.sumAbs.length} attribution sums`);
    const at = offset + 1 + l.columns;
    out[at] = attribution.count;
    for (let f = 0; f < l.features.length; f++) out[at + 1 + f] = attribution.sumAbs[f]!;
    out[at + 1 + l.features.length] = attribution.completenessSum;
  }
  return out;
}

export interface GlobalExplanations {
  readonly method: GlobalExplainMethod;
  readonly baseline: 'global-mean';
  /** Largest first. */
  readonly global: { feature: string; meanAbsAttribution: number }[];
  /** Mean over the attributed rows of each row's completeness error (each capped at COMPLETENESS_CAP). */
  readonly completenessError: number;
  /** Test rows attributed, summed over the sites. */
  readonly rows: number;
}

/** The consortium's mean test row from the explanation part of a decoded sum; undefined with no rows. */
export function globalMeans(l: ExplanationLayout, part: ArrayLike<number>): Float64Array | undefined {
  const rows = Math.round(part[0]!);
  if (rows <= 0) return undefined;
  return Float64Array.from({ length: l.columns }, (_, j) => part[1 + j]! / rows);
}

/**
 * The global explanations of a decoded sum, or null with the reason when no row was attributed,
 * or when fewer rows were attributed than were evaluated (`evaluatedRows`, the consortium's
 * row count): a site without the baseline evaluated, and the difference would be its test-row
 * count.
 */
export function globalExplanations(l: ExplanationLayout, part: ArrayLike<number>, evaluatedRows?: number): { explanations: GlobalExplanations | null; unavailable?: string } {
  if (part.length !== explanationLength(l)) throw new RangeError(`an explanation sum has ${explanationLength(l)} values, got ${part.length}`);
  const at = 1 + l.columns;
  const rows = Math.round(part[at]!);
  if (rows <= 0) {
    return { explanations: null, unavailable: 'no site held the global mean baseline when it evaluated this round: the baseline is decrypted from the first round\'s sum, so attributions start in round 2 (a 1-round run has none)' };
  }
  if (evaluatedRows !== undefined && rows !== evaluatedRows) {
    return { explanations: null, unavailable: 'not every evaluating site held the global mean baseline (one missed the first round\'s decryption): a summary over the others would show the missing sites\' test-row count, so none is released' };
  }
  const global = l.features
    .map((feature, f) => ({ feature, meanAbsAttribution: part[at + 1 + f]! / rows }))
    .sort((a, b) => b.meanAbsAttribution - a.meanAbsAttribution);
  return { explanations: { method: l.method, baseline: 'global-mean', global, completenessError: part[at + 1 + l.features.length]! / rows, rows } };
}
