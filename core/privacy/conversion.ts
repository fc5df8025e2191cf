/**
 * Conversion from RDP curves to (epsilon, delta)-DP, as dp_accounting's
 * `compute_epsilon` / `compute_delta` (rdp_privacy_accountant.py):
 *
 *   epsilon = min_a [ RDP(a) + log((a - 1) / a) - (log delta + log a) / (a - 1) ]
 *
 * the improved conversion of Canonne, Kamath, Steinke 2020 (Prop. 12) and Balle
 * et al. 2020 (Thm. 21), also used by Opacus. Orders a <= 1.01 are skipped, the
 * bound being numerically unstable there; an order whose RDP is so small that
 * delta^2 + expm1(-RDP) > 0 gives epsilon 0 by the KL-divergence bound
 * delta <= sqrt(1 - exp(-KL)).
 */
import { checkDelta, checkEpsilon, checkOrders } from './validate.ts';
import { CohortError, PrivacyErrors } from '../errors/index.ts';

/** An epsilon and the RDP order that attains it. */
export interface EpsilonAtOrder {
  readonly epsilon: number;
  readonly order: number;
}

/** A delta and the RDP order that attains it. */
export interface DeltaAtOrder {
  readonly delta: number;
  readonly order: number;
}

/** Orders above this are used for the RDP bound; below it the formula loses precision. */
const MIN_CONVERSION_ORDER = 1.01;

function checkPair(orders: readonly number[], rdp: readonly number[]): void {
  checkOrders(orders, 'orders', true);
  if (rdp.length !== orders.length) {
    throw new CohortError(PrivacyErrors.INVALID_ARGUMENT, `rdp: expected ${orders.length} values (one per order), got ${rdp.length}`, {
      details: { parameter: 'rdp', expected: `${orders.length} values` },
    });
  }
}

/** Index of the first smallest value; NaN counts as +Infinity (never chosen over a number). */
function argMin(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    const b = values[best]!;
    if (v < b || (Number.isNaN(b) && !Number.isNaN(v))) best = i;
  }
  return best;
}

/** The smallest epsilon over `orders` for a total RDP curve `rdp` at `delta`, with its order. */
export function epsilonFromRdp(orders: readonly number[], rdp: readonly number[], delta: number): EpsilonAtOrder {
  checkPair(orders, rdp);
  checkDelta(delta);
  const eps = orders.map((a, i) => {
    const r = rdp[i]!;
    // A negative RDP can only come from rounding at extreme parameters; dp_accounting maps it to 0 too.
    if (r < 0) return 0;
    if (delta * delta + Math.expm1(-r) > 0) return 0;
    if (a > MIN_CONVERSION_ORDER) return r + Math.log1p(-1 / a) - Math.log(delta * a) / (a - 1);
    return Infinity;
  });
  const k = argMin(eps);
  return { epsilon: Math.max(0, eps[k]!), order: orders[k]! };
}

/** The smallest delta over `orders` for a total RDP curve `rdp` at `epsilon`, with its order. */
export function deltaFromRdp(orders: readonly number[], rdp: readonly number[], epsilon: number): DeltaAtOrder {
  checkPair(orders, rdp);
  checkEpsilon(epsilon);
  const logDeltas = orders.map((a, i) => {
    const r = rdp[i]!;
    // KL bound delta <= sqrt(1 - exp(-RDP)), valid at every order; take the smaller of the two bounds.
    let logDelta = r <= 0 ? -Infinity : 0.5 * Math.log1p(-Math.exp(-r));
    if (a > MIN_CONVERSION_ORDER) {
      logDelta = Math.min(logDelta, (a - 1) * (r - epsilon + Math.log1p(-1 / a)) - Math.log(a));
    }
    return logDelta;
  });
  const k = argMin(logDeltas);
  return { delta: Math.min(Math.exp(logDeltas[k]!), 1), order: orders[k]! };
}
