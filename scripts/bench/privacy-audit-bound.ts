/**
 * The statistics of the one-run privacy audit (Steinke, Nasr, Jagielski 2023, "Privacy
 * Auditing with One (1) Training Run", NeurIPS; arXiv 2305.08846): m canaries, each put in
 * the training set independently with probability 1/2, an auditor who makes r guesses
 * ("in" or "out") and abstains on the rest, W of them right.
 *
 * - Pure DP (delta = 0): if training is (epsilon, 0)-DP, W is stochastically dominated by
 *   Binomial(r, e^eps / (1 + e^eps)) (the paper's Theorem 2), so the p-value of "training is
 *   epsilon-DP" after W correct guesses is P[Binomial(r, q) >= W].
 * - delta > 0 (the paper's Theorem 3, computed as in its Algorithm 2 and its appendix code):
 *   with f(v) = P[Binomial(r, q) >= v], P[W >= v] <= f(v) + 2 m delta max_{1<=i<=m} (f(v-i) - f(v)) / i.
 *   The max runs over i <= v only: beyond, f(v-i) = 1 and the ratio falls with i.
 *
 * The lower bound at confidence 1 - beta is the largest epsilon the observation rejects,
 * found by bisection. Rejecting (eps, delta)-DP rejects every (eps', delta) with eps' < eps,
 * so whatever epsilon the bisection returns with p-value <= beta is a valid lower bound.
 *
 * The binomial tail is summed exactly in log space (log factorials from sums of logs): no
 * dependency, and no cancellation, since every term is positive.
 */
import { logAdd } from '../../core/privacy/log-math.ts';

/** log(k!) for k = 0, 1, ...; grown on demand. Each entry adds one rounding error: ~1e-13 relative at k in the thousands. */
const logFactorials: number[] = [0];

function logFactorial(k: number): number {
  for (let i = logFactorials.length; i <= k; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[k]!;
}

function checkCount(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} is ${n}; expected a whole number >= 0`);
}

function checkProbability(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} is ${p}; expected a number in [0, 1]`);
}

/** log P[Binomial(n, p) = k]; -Infinity when that probability is 0. */
export function logBinomialPmf(n: number, k: number, p: number): number {
  checkCount(n, 'n');
  checkProbability(p, 'p');
  if (!Number.isInteger(k) || k < 0 || k > n) return -Infinity;
  // 0 * log 0 = 0: p = 0 puts all mass on k = 0, p = 1 on k = n.
  const successes = k === 0 ? 0 : k * Math.log(p);
  const failures = k === n ? 0 : (n - k) * Math.log1p(-p);
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k) + successes + failures;
}

/** P[Binomial(n, p) >= v], exact up to rounding (a log-space sum of the pmf from v to n). */
export function binomialUpperTail(n: number, v: number, p: number): number {
  checkCount(n, 'n');
  checkProbability(p, 'p');
  const from = Math.max(0, Math.ceil(v));
  if (from === 0) return 1;
  if (from > n) return 0;
  let logSum = -Infinity;
  for (let k = from; k <= n; k++) logSum = logAdd(logSum, logBinomialPmf(n, k, p));
  return Math.min(1, Math.exp(logSum));
}

/** e^eps / (1 + e^eps): the accuracy of eps-DP randomized response, the most an eps-DP guess can have. */
export function guessAccuracyBound(epsilon: number): number {
  return 1 / (1 + Math.exp(-epsilon));
}

/** One audit's counts. */
export interface AuditCounts {
  /** m: canaries, each included with probability 1/2 (enters only the delta term). */
  readonly canaries: number;
  /** r: guesses made (abstentions excluded). */
  readonly guesses: number;
  /** W (the paper's v): correct guesses. */
  readonly correct: number;
}

function checkCounts(c: AuditCounts): void {
  checkCount(c.canaries, 'canaries');
  checkCount(c.guesses, 'guesses');
  checkCount(c.correct, 'correct');
  if (c.correct > c.guesses || c.guesses > c.canaries) {
    throw new RangeError(`expected correct <= guesses <= canaries; got ${c.correct}, ${c.guesses}, ${c.canaries}`);
  }
}

/**
 * The p-value of the null hypothesis "training is (epsilon, delta)-DP" after `correct` of
 * `guesses` right: P[Binomial(r, q) >= W], plus for delta > 0 Theorem 3's term
 * 2 m delta max_i P[W - i <= Binomial(r, q) < W] / i; at most 1.
 */
export function auditPValue(counts: AuditCounts, epsilon: number, delta: number): number {
  checkCounts(counts);
  if (!(epsilon >= 0)) throw new RangeError(`epsilon is ${epsilon}; expected a number >= 0`);
  checkProbability(delta, 'delta');
  const { canaries: m, guesses: r, correct: v } = counts;
  const q = guessAccuracyBound(epsilon);
  const tail = binomialUpperTail(r, v, q);
  if (delta === 0) return tail;
  // window = P[v - i <= Binomial(r, q) < v], grown one pmf term at a time.
  let window = 0;
  let alpha = 0;
  for (let i = 1; i <= v; i++) {
    window += Math.exp(logBinomialPmf(r, v - i, q));
    alpha = Math.max(alpha, window / i);
  }
  return Math.min(1, tail + 2 * m * delta * alpha);
}

/** Bisection steps: the bracket [0, 2^k] shrinks below 1e-9 long before. */
const BISECTION_STEPS = 60;
/** Epsilons beyond this are not searched (q would round to 1). */
const EPSILON_CAP = 64;

/**
 * The audit's lower bound on epsilon at confidence 1 - beta: the largest epsilon (to ~1e-9)
 * whose (epsilon, delta)-DP hypothesis the counts reject, i.e. auditPValue <= beta; 0 when
 * they reject none (W no better than chance, or too few guesses).
 */
export function epsilonLowerBound(counts: AuditCounts, beta: number, delta = 0): number {
  if (!(beta > 0 && beta < 1)) throw new RangeError(`beta is ${beta}; expected a number in (0, 1)`);
  const rejects = (epsilon: number): boolean => auditPValue(counts, epsilon, delta) <= beta;
  if (!rejects(0)) return 0;
  let lo = 0;
  let hi = 1;
  while (rejects(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > EPSILON_CAP) return lo;
  }
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (rejects(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
