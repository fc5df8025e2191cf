import { checkUnitInterval, fedOpt, type FedOptOptions } from './fed-opt.ts';
import type { Strategy } from './strategy.ts';

/** FedAdam (Reddi et al. 2021): v_t = beta2 v_{t-1} + (1 - beta2) Delta_t^2. */
export function fedAdam(options: FedOptOptions & { readonly beta2: number }): Strategy {
  const { beta2 } = options;
  checkUnitInterval('fedadam', 'beta2', beta2);
  const oneMinusBeta2 = 1 - beta2;
  return fedOpt('fedadam', options, (v, d2) => beta2 * v + oneMinusBeta2 * d2);
}
