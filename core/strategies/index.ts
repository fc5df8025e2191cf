import type { StrategySpec } from '../../models/spec-schema.ts';
import { fedAvg } from './fed-avg.ts';
import { fedProx } from './fed-prox.ts';
import type { Strategy } from './strategy.ts';

export type { Strategy, FitConfig, ServerState, SiteEvaluation, SiteFailure, AggregatedEvaluation } from './strategy.ts';
export { meanFromWeightedSum, updateVectorFrom, weightedUpdateVector, weightedEvaluation } from './aggregate.ts';

/** The one place that maps a spec's strategy to its implementation. */
export function strategyFromSpec(spec: StrategySpec): Strategy {
  switch (spec.name) {
    case 'fedavg':
      return fedAvg();
    case 'fedprox':
      return fedProx(spec.mu);
  }
}
