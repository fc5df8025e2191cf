import type { Strategy } from './strategy.ts';

/** FedAvg (McMahan et al. 2017): x_{t+1} = x_t + Delta_t, Delta_t weighted by example count. */
export function fedAvg(): Strategy {
  return {
    name: 'fedavg',
    configureFit: (round) => ({ round, proximalMu: 0 }),
    initialState: () => ({}),
    applyAggregate(weights, meanDelta, state) {
      if (weights.length !== meanDelta.length) throw new RangeError(`weights ${weights.length} != delta ${meanDelta.length}`);
      const next = new Float32Array(weights.length);
      for (let i = 0; i < next.length; i++) next[i] = (weights[i] ?? 0) + (meanDelta[i] ?? 0);
      return { weights: next, state };
    },
  };
}
