import { fedAvg } from './fed-avg.ts';
import type { Strategy } from './strategy.ts';

/**
 * FedProx (Li et al. 2020): the server step is FedAvg's; the sites add
 * (mu/2) ||w - w_global||^2 to their local loss, which the FitConfig carries.
 */
export function fedProx(mu: number): Strategy {
  if (!(mu >= 0)) throw new RangeError(`FedProx mu must be >= 0, got ${mu}`);
  const base = fedAvg();
  return { ...base, name: 'fedprox', configureFit: (round) => ({ round, proximalMu: mu }) };
}
