import type { StrategySpec } from '../../models/spec-schema.ts';
import { fedAdagrad } from './fed-adagrad.ts';
import { fedAdam } from './fed-adam.ts';
import { fedAvg } from './fed-avg.ts';
import { fedAvgM } from './fed-avgm.ts';
import { fedProx } from './fed-prox.ts';
import { fedYogi } from './fed-yogi.ts';
import type { Strategy } from './strategy.ts';

export type { Strategy, FitConfig, ServerState, ServerStepResult, SiteEvaluation } from './strategy.ts';
export type { FedOptOptions } from './fed-opt.ts';
export type { FedAvgMOptions } from './fed-avgm.ts';
export { meanFromWeightedSum, updateVectorFrom, weightedUpdateVector } from './aggregate.ts';
export { fedAvg, fedProx, fedAdam, fedYogi, fedAdagrad, fedAvgM };

/** The one place that maps a spec's strategy to its implementation. */
export function strategyFromSpec(spec: StrategySpec): Strategy {
  switch (spec.name) {
    case 'fedavg':
      return fedAvg();
    case 'fedprox':
      return fedProx(spec.mu);
    case 'fedadam':
      return fedAdam(spec);
    case 'fedyogi':
      return fedYogi(spec);
    case 'fedadagrad':
      return fedAdagrad(spec);
    case 'fedavgm':
      return fedAvgM(spec);
  }
}
