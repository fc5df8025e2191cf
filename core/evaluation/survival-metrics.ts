/**
 * Survival evaluation (the cox-ph family): Harrell's concordance index on a site's held-out
 * rows, and the vector of sums the sites add under the run's encryption, as the binary
 * evaluation does (summed-metrics.ts).
 *
 * Which pairs count (lifelines' concordance_index, the metric FLamby reports per client): a
 * pair (i, j) is comparable when i had the event and left the study first, T_i < T_j, or at
 * the same time as a censored j (T_i = T_j, E_i = 1, E_j = 0: a patient censored at t was
 * still alive at t). Two events at the same time are not comparable. A comparable pair is
 * concordant when risk_i > risk_j and counts 1/2 when the risks tie.
 *
 * The consortium metric. A C-index is a ratio over pairs, and pairs across sites would need
 * pooled rows, so no sum of per-site values gives the C-index of the pooled test rows.
 * Each site therefore puts into its vector
 *
 *   [ rows, events, 2 x concordant + tied (two slots), comparable pairs (two slots),
 *     its own C-index x 2^16 (rounded), 1 if it has a comparable pair, zeros..., 1 ]
 *
 * (the pair counts split into high and low 2^24 digits so that they stay in a slot's range),
 * the vector is padded to the binary evaluation's length so that the run's evaluation codec
 * carries it unchanged, and the decrypted sum gives two numbers:
 *
 * - `meanCIndex`: the mean of the sites' C-indexes (FLamby's metric), to 2^-17;
 * - `pairCIndex`: sum of concordant / sum of comparable pairs, i.e. the C-index over the
 *   within-site pairs of the pooled test rows (each site's C-index weighted by its pairs); exact.
 *
 * What the decrypted sum reveals beyond those two: the total held-out rows, events and
 * comparable pairs over the evaluating sites, and how many sites had a comparable pair. No
 * single site's C-index, counts or rows leave it (there are at least MIN_EVALUATIONS
 * summands); a site that subtracts its own vector learns the sums over the others.
 */
import { CohortError, SiteErrors } from '../errors/index.ts';
import { EVAL_MAX_ROWS, EVAL_VECTOR_LENGTH } from './summed-metrics.ts';

/** Pair counts of Harrell's C-index; C = (concordant + tied / 2) / comparable. */
export interface ConcordanceCounts {
  readonly concordant: number;
  readonly tied: number;
  readonly comparable: number;
}

function checkInputs(risk: ArrayLike<number>, time: ArrayLike<number>, event: ArrayLike<number>): void {
  if (risk.length !== time.length || risk.length !== event.length) {
    throw new RangeError(`risk, time and event differ in length: ${risk.length}, ${time.length}, ${event.length}`);
  }
  for (let i = 0; i < risk.length; i++) {
    if (!Number.isFinite(risk[i]) || !Number.isFinite(time[i])) throw new RangeError(`risk or time at row ${i} is not finite`);
  }
}

/** A Fenwick tree of counts over risk ranks 0..n-1. */
class RankCounts {
  private readonly tree: Float64Array;
  constructor(size: number) {
    this.tree = new Float64Array(size + 1);
  }
  add(rank: number): void {
    for (let i = rank + 1; i < this.tree.length; i += i & -i) this.tree[i]! += 1;
  }
  /** How many added ranks are below `rank`. */
  below(rank: number): number {
    let sum = 0;
    for (let i = rank; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }
}

/**
 * The C-index's pair counts in O(n log n): patients by decreasing time, each tied-time group
 * adding its censored patients to the "still at risk" counts before its events are compared
 * against them, and its events after.
 */
export function concordanceCounts(risk: ArrayLike<number>, time: ArrayLike<number>, event: ArrayLike<number>): ConcordanceCounts {
  checkInputs(risk, time, event);
  const n = risk.length;
  const distinct = [...new Set(Array.from(risk))].sort((a, b) => a - b);
  const rankOf = new Map(distinct.map((r, i) => [r, i]));
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (time[b] as number) - (time[a] as number));
  const later = new RankCounts(distinct.length);
  let inTree = 0;
  let concordant = 0;
  let tied = 0;
  let comparable = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && time[order[end]!] === time[order[start]!]) end++;
    const group = order.slice(start, end);
    const events = group.filter((i) => event[i] === 1);
    for (const i of group) {
      if (event[i] !== 1) {
        later.add(rankOf.get(risk[i] as number)!);
        inTree++;
      }
    }
    for (const i of events) {
      const rank = rankOf.get(risk[i] as number)!;
      const below = later.below(rank);
      const atOrBelow = later.below(rank + 1);
      concordant += below;
      tied += atOrBelow - below;
      comparable += inTree;
    }
    for (const i of events) {
      later.add(rankOf.get(risk[i] as number)!);
      inTree++;
    }
    start = end;
  }
  return { concordant, tied, comparable };
}

/** Harrell's C-index from its pair counts; NaN without a comparable pair. */
export function cIndexOf(counts: ConcordanceCounts): number {
  return counts.comparable === 0 ? Number.NaN : (counts.concordant + counts.tied / 2) / counts.comparable;
}

/** Harrell's C-index of risk scores (higher = earlier event expected); NaN without a comparable pair. */
export function concordanceIndex(risk: ArrayLike<number>, time: ArrayLike<number>, event: ArrayLike<number>): number {
  return cIndexOf(concordanceCounts(risk, time, event));
}

const ROWS = 0;
const EVENTS = 1;
const HALF_PAIRS_HI = 2;
const HALF_PAIRS_LO = 3;
const PAIRS_HI = 4;
const PAIRS_LO = 5;
const CINDEX_SUM = 6;
const CINDEX_SITES = 7;
/** A pair count is sent as hi * 2^24 + lo, each digit within a slot's range. */
const DIGIT = 2 ** 24;
/** A site's C-index is sent as round(C x 2^16), an integer, so BFV sums it exactly. */
export const CINDEX_SCALE = 2 ** 16;

/** Length of the survival evaluation vector: the binary evaluation's, so the run's evaluation codec carries it. */
export const SURVIVAL_EVAL_VECTOR_LENGTH = EVAL_VECTOR_LENGTH;

/** The consortium's survival metrics, from the decrypted sum of the sites' vectors. */
export interface SurvivalConsortiumMetrics {
  readonly numExamples: number;
  readonly events: number;
  /** Sites whose evaluations the sum holds. */
  readonly evaluators: number;
  /** Sites with at least one comparable pair (the mean's denominator). */
  readonly sitesWithPairs: number;
  /** Mean of the sites' C-indexes (FLamby's metric); NaN when no site had a comparable pair. Within 2^-17 of the exact mean. */
  readonly meanCIndex: number;
  /** Sum of concordant (ties 1/2) over sum of comparable within-site pairs; NaN without pairs. */
  readonly pairCIndex: number;
  readonly comparablePairs: number;
}

/** One site's survival evaluation vector. Throws SITE_EVALUATION_INVALID past EVAL_MAX_ROWS rows. */
export function survivalEvaluationVector(risk: ArrayLike<number>, time: ArrayLike<number>, event: ArrayLike<number>): Float64Array {
  if (risk.length > EVAL_MAX_ROWS) {
    throw new CohortError(SiteErrors.EVALUATION_INVALID, `${risk.length} held-out rows, more than the ${EVAL_MAX_ROWS} one site's summed evaluation can carry`, {
      details: { rows: risk.length, maxRows: EVAL_MAX_ROWS },
    });
  }
  const counts = concordanceCounts(risk, time, event);
  const halfPairs = 2 * counts.concordant + counts.tied;
  const c = cIndexOf(counts);
  const v = new Float64Array(SURVIVAL_EVAL_VECTOR_LENGTH);
  v[ROWS] = risk.length;
  for (let i = 0; i < event.length; i++) if (event[i] === 1) v[EVENTS]! += 1;
  v[HALF_PAIRS_HI] = Math.floor(halfPairs / DIGIT);
  v[HALF_PAIRS_LO] = halfPairs % DIGIT;
  v[PAIRS_HI] = Math.floor(counts.comparable / DIGIT);
  v[PAIRS_LO] = counts.comparable % DIGIT;
  if (!Number.isNaN(c)) {
    v[CINDEX_SUM] = Math.round(c * CINDEX_SCALE);
    v[CINDEX_SITES] = 1;
  }
  v[SURVIVAL_EVAL_VECTOR_LENGTH - 1] = 1;
  return v;
}

/** The consortium survival metrics from a decoded sum of survival evaluation vectors. */
export function survivalConsortiumMetrics(sum: Float64Array): SurvivalConsortiumMetrics {
  if (sum.length !== SURVIVAL_EVAL_VECTOR_LENGTH) throw new RangeError(`a survival evaluation sum has ${SURVIVAL_EVAL_VECTOR_LENGTH} values, got ${sum.length}`);
  // Every slot holds an integer; under BFV they come back as multiples of 1/scale, exactly.
  const at = (i: number): number => Math.round(sum[i] as number);
  const halfPairs = at(HALF_PAIRS_HI) * DIGIT + at(HALF_PAIRS_LO);
  const pairs = at(PAIRS_HI) * DIGIT + at(PAIRS_LO);
  const sites = at(CINDEX_SITES);
  return {
    numExamples: at(ROWS),
    events: at(EVENTS),
    evaluators: at(SURVIVAL_EVAL_VECTOR_LENGTH - 1),
    sitesWithPairs: sites,
    meanCIndex: sites === 0 ? Number.NaN : at(CINDEX_SUM) / CINDEX_SCALE / sites,
    pairCIndex: pairs === 0 ? Number.NaN : halfPairs / 2 / pairs,
    comparablePairs: pairs,
  };
}
