/**
 * The adaptive server optimizers of Reddi et al., "Adaptive Federated Optimization"
 * (ICLR 2021), Algorithm 2, with Delta_t the example-weighted mean update the sites
 * decrypt:
 *
 *   m_t     = beta1 m_{t-1} + (1 - beta1) Delta_t
 *   v_t     = secondMoment(v_{t-1}, Delta_t^2)            (per variant)
 *   x_{t+1} = x_t + eta m_t / (sqrt(v_t) + tau)
 *
 * with m_{-1} = 0 and v_{-1} = tau^2 (the paper's initialisation, v_{-1} >= tau^2; Flower
 * starts v at 0 instead) and no bias correction (as the paper; recent Flower FedAdam
 * versions add one).
 *
 * Every site runs this step and the sites then compare the SHA-256 of the result, so it
 * must be bit-identical on every machine: each element is computed on its own in
 * float64 with only +, -, *, / and Math.sqrt (all correctly rounded by IEEE 754, unlike
 * Math.pow or Math.exp), and rounded once to float32 when stored. m_t and v_t are used
 * as stored, so a site that restarts from its persisted state continues exactly.
 */
import type { ServerState, Strategy } from './strategy.ts';
import { fedAvg } from './fed-avg.ts';

/** Hyper-parameters shared by FedAdam, FedYogi and FedAdagrad. */
export interface FedOptOptions {
  /** eta, the server learning rate. */
  readonly serverLearningRate: number;
  /** Decay of the first moment m; 0 makes m_t = Delta_t. */
  readonly beta1: number;
  /** tau, the adaptivity: larger values make the step closer to momentum SGD. */
  readonly tau: number;
}

/** v_t from v_{t-1} and Delta_t^2, one element, in float64. */
export type SecondMomentRule = (vPrev: number, deltaSquared: number) => number;

/** Reads a state array and checks its length; a mismatch means state from another model. */
export function stateArray(state: ServerState, key: string, length: number, strategy: string): Float32Array {
  const a = state[key];
  if (a === undefined) throw new RangeError(`${strategy} server state has no "${key}"`);
  if (a.length !== length) throw new RangeError(`${strategy} server state "${key}" has ${a.length} values, the model ${length}`);
  return a;
}

export function checkUnitInterval(strategy: string, name: string, value: number): void {
  if (!(value >= 0 && value < 1)) throw new RangeError(`${strategy} ${name} must be in [0, 1), got ${value}`);
}

export function checkPositive(strategy: string, name: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`${strategy} ${name} must be a positive finite number, got ${value}`);
}

/**
 * A FedOpt server optimizer with the given second-moment rule. State: `m` and `v`, one
 * float32 per weight.
 */
export function fedOpt(name: string, options: FedOptOptions, secondMoment: SecondMomentRule): Strategy {
  const { serverLearningRate: eta, beta1, tau } = options;
  checkPositive(name, 'serverLearningRate', eta);
  checkUnitInterval(name, 'beta1', beta1);
  checkPositive(name, 'tau', tau);
  const oneMinusBeta1 = 1 - beta1;
  // FedAvg's local training and metric aggregation; only the server step differs.
  return {
    ...fedAvg(),
    name,
    initialState: (weights) => ({ m: new Float32Array(weights.length), v: new Float32Array(weights.length).fill(tau * tau) }),
    applyAggregate(weights, meanDelta, state) {
      const n = weights.length;
      if (meanDelta.length !== n) throw new RangeError(`weights ${n} != delta ${meanDelta.length}`);
      const mPrev = stateArray(state, 'm', n, name);
      const vPrev = stateArray(state, 'v', n, name);
      const m = new Float32Array(n);
      const v = new Float32Array(n);
      const next = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const d = meanDelta[i]!;
        // A float32 times a float32 is exact in float64 (24 + 24 bits < 53).
        m[i] = beta1 * mPrev[i]! + oneMinusBeta1 * d;
        v[i] = secondMoment(vPrev[i]!, d * d);
        next[i] = weights[i]! + (eta * m[i]!) / (Math.sqrt(v[i]!) + tau);
      }
      return { weights: next, state: { m, v } };
    },
  };
}
