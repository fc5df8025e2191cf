/**
 * Renyi DP of one step of the Poisson-subsampled Gaussian mechanism (each record
 * joins the batch independently with probability q; Gaussian noise of standard
 * deviation sigma times the L2 sensitivity is added), at order alpha:
 *
 *   RDP(alpha) = log(A_alpha) / (alpha - 1),
 *   A_alpha = E_{z ~ N(0, sigma^2)} [ (1 - q + q exp((2z - 1) / (2 sigma^2)))^alpha ]
 *
 * computed as Google's dp_accounting does (rdp_privacy_accountant.py:
 * `_compute_log_a_int`, `_compute_log_a_frac`, `_compute_rdp_poisson_subsampled_gaussian`;
 * Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian
 * Mechanism", section 3.3). Everything stays in log space: at sigma = 0.3 and
 * alpha = 1024 single terms reach exp(10^6).
 */
import { logErfc } from './erfc.ts';
import { logAdd, signedLogAdd, type SignedLog } from './log-math.ts';

/**
 * How the fractional-order series treats the generalised binomial coefficients
 * C(alpha, i), which turn negative for i > alpha + 1:
 * - `absolute` (default): sums their absolute values, an upper bound on A_alpha;
 *   what dp_accounting does today.
 * - `signed`: the exact series, what Opacus and TF Privacy's `rdp_accountant.py`
 *   sum; slightly smaller. Kept to check against their published values.
 */
export type FractionalSeries = 'absolute' | 'signed';

/** dp_accounting's `_MAX_STEPS_LOG_A_FRAC`: a fractional order whose series has not converged by then is excluded. */
const MAX_FRACTIONAL_SERIES_TERMS = 1000;

const LOG_HALF = Math.log(0.5);

/**
 * log(A_alpha) for integer alpha >= 2 and 0 < q < 1: the finite binomial sum
 * A = sum_i C(alpha, i) (1 - q)^(alpha - i) q^i exp((i^2 - i) / (2 sigma^2)).
 *
 * dp_accounting adds the terms as they stand. Since the binomial weights sum to
 * 1, A - 1 = sum_{i >= 2} C(alpha, i) (1 - q)^(alpha - i) q^i expm1((i^2 - i) / (2 sigma^2)),
 * a sum of positive terms; taking log(A) = log1p(A - 1) from it keeps full
 * relative precision when A is within 1e-16 of 1 (q = 1e-6, sigma = 100),
 * where the direct sum rounds to 0 or below. Elsewhere the two agree to rounding.
 */
export function logAInteger(q: number, sigma: number, alpha: number): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigmaSq = 2 * sigma * sigma;
  let logExcess = -Infinity; // log(A - 1)
  let logCoef = Math.log(alpha) + Math.log(alpha - 1) - Math.LN2; // log C(alpha, 2)
  for (let i = 2; i <= alpha; i++) {
    const term = logCoef + i * logQ + (alpha - i) * log1mQ + logExpm1((i * i - i) / twoSigmaSq);
    logExcess = logAdd(logExcess, term);
    logCoef += Math.log(alpha - i) - Math.log(i + 1);
  }
  return logAdd(0, logExcess); // log(1 + (A - 1))
}

/** log(exp(x) - 1) for x > 0, without overflow for large x. */
function logExpm1(x: number): number {
  return x > 50 ? x + Math.log1p(-Math.exp(-x)) : Math.log(Math.expm1(x));
}

/**
 * log(A_alpha) for fractional alpha > 1 and 0 < q < 1: the integral split at
 * z0 = sigma^2 log(1/q - 1) + 1/2 and each half expanded in a binomial series,
 * summed until both terms decrease and lie 30 nats below the running total.
 * Returns Infinity, excluding the order, when that has not happened after
 * MAX_FRACTIONAL_SERIES_TERMS terms (or, for the signed series, when rounding
 * leaves a non-positive total).
 */
export function logAFractional(q: number, sigma: number, alpha: number, series: FractionalSeries = 'absolute'): number {
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const twoSigmaSq = 2 * sigma * sigma;
  const sqrt2Sigma = Math.SQRT2 * sigma;
  // log(1/q - 1) written as log((1 - q) / q) to keep precision as q -> 1.
  const z0 = sigma * sigma * (log1mQ - logQ) + 0.5;
  let a0: SignedLog = { positive: true, logAbs: -Infinity };
  let a1: SignedLog = { positive: true, logAbs: -Infinity };
  let lastS0 = -Infinity;
  let lastS1 = -Infinity;
  let logCoef = 0; // log |C(alpha, i)|
  let coefPositive = true;
  for (let i = 0; i < MAX_FRACTIONAL_SERIES_TERMS; i++) {
    const j = alpha - i;
    // log(erfc/2) first: it is often exactly 0 (erfc = 2), and adding log(1/2) to the small
    // binomial part before adding log(erfc) back would round that part away.
    const logE0 = LOG_HALF + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = LOG_HALF + logErfc((z0 - j) / sqrt2Sigma);
    const s0 = logCoef + i * logQ + j * log1mQ + (i * i - i) / twoSigmaSq + logE0;
    const s1 = logCoef + j * logQ + i * log1mQ + (j * j - j) / twoSigmaSq + logE1;
    const positive = series === 'absolute' || coefPositive;
    a0 = signedLogAdd(a0, { positive, logAbs: s0 });
    a1 = signedLogAdd(a1, { positive, logAbs: s1 });
    const total = signedLogAdd(a0, a1);
    if (s0 < lastS0 && s1 < lastS1 && Math.max(s0, s1) < total.logAbs - 30) {
      return total.positive ? total.logAbs : Infinity;
    }
    lastS0 = s0;
    lastS1 = s1;
    logCoef += Math.log(Math.abs(alpha - i)) - Math.log(i + 1);
    if (alpha - i < 0) coefPositive = !coefPositive;
  }
  return Infinity;
}

/**
 * RDP at `order` of ONE step of the Poisson-subsampled Gaussian mechanism with
 * sampling rate `q` and noise multiplier `sigma`. Arguments are not validated
 * here; callers check them (see validate.ts). Can be Infinity.
 */
export function rdpOfSubsampledGaussian(
  q: number,
  sigma: number,
  order: number,
  series: FractionalSeries = 'absolute',
): number {
  if (q === 0) return 0;
  if (order === Infinity || sigma === 0) return Infinity;
  if (q === 1) return order / (2 * sigma * sigma);
  if (Number.isInteger(order)) return logAInteger(q, sigma, order) / (order - 1);
  const logA = logAFractional(q, sigma, order, series);
  // Rounding can leave a series that should be a hair above 0 at or below it (A within 1e-16
  // of 1). A non-positive RDP would read as epsilon 0, so use the next integer order
  // instead: RDP is non-decreasing in the order, so that is a valid upper bound.
  if (logA <= 0) return logAInteger(q, sigma, Math.ceil(order)) / (Math.ceil(order) - 1);
  return logA / (order - 1);
}
