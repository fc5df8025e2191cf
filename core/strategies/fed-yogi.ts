import { checkUnitInterval, fedOpt, type FedOptOptions } from './fed-opt.ts';
import type { Strategy } from './strategy.ts';

/**
 * FedYogi (Reddi et al. 2021, after Zaheer et al. 2018):
 * v_t = v_{t-1} - (1 - beta2) Delta_t^2 sign(v_{t-1} - Delta_t^2).
 * v grows towards Delta^2 at most additively, so one large update cannot wipe out the
 * memory of small ones the way Adam's exponential average does.
 */
export function fedYogi(options: FedOptOptions & { readonly beta2: number }): Strategy {
  const { beta2 } = options;
  checkUnitInterval('fedyogi', 'beta2', beta2);
  const oneMinusBeta2 = 1 - beta2;
  return fedOpt('fedyogi', options, (v, d2) => v - oneMinusBeta2 * d2 * Math.sign(v - d2));
}
