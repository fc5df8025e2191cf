import { fedOpt, type FedOptOptions } from './fed-opt.ts';
import type { Strategy } from './strategy.ts';

/** FedAdagrad (Reddi et al. 2021): v_t = v_{t-1} + Delta_t^2. */
export function fedAdagrad(options: FedOptOptions): Strategy {
  return fedOpt('fedadagrad', options, (v, d2) => v + d2);
}
