import { checkPositive, checkUnitInterval, stateArray } from './fed-opt.ts';
import type { Strategy } from './strategy.ts';
import { fedAvg } from './fed-avg.ts';

export interface FedAvgMOptions {
  /** eta; 1 with momentum 0 is FedAvg. */
  readonly serverLearningRate: number;
  /** beta, the server momentum. */
  readonly momentum: number;
}

/**
 * FedAvgM (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data Distribution
 * for Federated Visual Classification"): momentum on the server,
 * v_t = beta v_{t-1} + Delta_t, x_{t+1} = x_t + eta v_t, with v_{-1} = 0. State:
 * `momentum`, one float32 per weight. Same determinism rules as fed-opt.ts.
 */
export function fedAvgM(options: FedAvgMOptions): Strategy {
  const { serverLearningRate: eta, momentum: beta } = options;
  checkPositive('fedavgm', 'serverLearningRate', eta);
  checkUnitInterval('fedavgm', 'momentum', beta);
  // FedAvg's local training and metric aggregation; only the server step differs.
  return {
    ...fedAvg(),
    name: 'fedavgm',
    initialState: (weights) => ({ momentum: new Float32Array(weights.length) }),
    applyAggregate(weights, meanDelta, state) {
      const n = weights.length;
      if (meanDelta.length !== n) throw new RangeError(`weights ${n} != delta ${meanDelta.length}`);
      const prev = stateArray(state, 'momentum', n, 'fedavgm');
      const momentum = new Float32Array(n);
      const next = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        momentum[i] = beta * prev[i]! + meanDelta[i]!;
        next[i] = weights[i]! + eta * momentum[i]!;
      }
      return { weights: next, state: { momentum } };
    },
  };
}
