/**
 * The Cox proportional hazards loss (the cox-ph family): the negative Breslow log partial
 * likelihood of a batch, over the batch's own risk sets (the site's rows when the batch is
 * all of them),
 *
 *   loss(beta) = -(1/n) sum_{i: E_i = 1} [ eta_i - log sum_{j: T_j >= T_i} exp(eta_j) ],   eta = x beta,
 *
 * n the batch's rows (FLamby's normalisation: the mean over rows, so a site's gradient
 * scales like the cross-entropy's and example-weighted FedAvg weighs it as usual). Tied times
 * follow Breslow: every patient whose time equals T_i is in i's risk set, and each tied
 * event has the same denominator.
 *
 * Computed in O(n log n): rows sorted by decreasing time, the risk-set sums are a running
 * sum of exp(eta - max eta), read at the end of each tied-time group.
 */
import * as tf from '@tensorflow/tfjs';

/** A batch laid out for the loss: rows by decreasing time, and for each position the end of its risk set. */
export interface RiskSetPlan {
  /** Row indices (into the site's matrix) by decreasing time; ties keep the batch's order. */
  readonly order: Int32Array;
  /** For position k of `order`, the last position whose time is >= time[order[k]] (the end of its tie group). */
  readonly riskEnd: Int32Array;
  /** The event indicator of each position. */
  readonly events: Float32Array;
}

/** Sorts a batch's rows for {@link coxPartialLikelihoodLoss}. */
export function riskSetPlan(time: ArrayLike<number>, event: ArrayLike<number>, rows: ArrayLike<number>): RiskSetPlan {
  const idx = Array.from(rows);
  const positions = idx.map((_, k) => k).sort((a, b) => (time[idx[b]!] as number) - (time[idx[a]!] as number) || a - b);
  const order = Int32Array.from(positions, (k) => idx[k]!);
  const n = order.length;
  const riskEnd = new Int32Array(n);
  for (let end = n - 1; end >= 0; ) {
    let start = end;
    while (start > 0 && time[order[start - 1]!] === time[order[end]!]) start--;
    riskEnd.fill(end, start, end + 1);
    end = start - 1;
  }
  return { order, riskEnd, events: Float32Array.from(order, (r) => (event[r] === 1 ? 1 : 0)) };
}

/**
 * The loss of risk scores `eta` laid out as `plan` says (eta[k] the score of plan.order[k]),
 * as a differentiable scalar. 0 for a batch without events.
 */
export function coxPartialLikelihoodLoss(eta: tf.Tensor1D, plan: RiskSetPlan): tf.Scalar {
  return tf.tidy(() => {
    const n = plan.order.length;
    // log sum exp over each risk set, shifted by the batch's max for stability (the shift cancels in value and gradient).
    const shift = tf.max(eta);
    const running = tf.cumsum(tf.exp(tf.sub(eta, shift)));
    const logRisk = tf.add(tf.log(tf.gather(running, tf.tensor1d(plan.riskEnd, 'int32'))), shift);
    const perEvent = tf.mul(tf.tensor1d(plan.events), tf.sub(eta, logRisk));
    return tf.div(tf.neg(tf.sum(perEvent)), n) as tf.Scalar;
  });
}
