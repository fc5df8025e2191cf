/** The server-optimizer strategies in the spec: defaults, and out-of-range values refused by path. */
import { describe, expect, it } from 'vitest';
import type { SpecIssue } from '../../models/validate-spec.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { strategyFromSpec } from '../../core/strategies/index.ts';
import { caught, example, numericSpec } from './helpers.ts';

const withStrategy = (strategy: unknown): unknown => ({ ...numericSpec(2), strategy });
const issuesOf = (strategy: unknown): SpecIssue[] => {
  const e = caught(() => parseSpec(withStrategy(strategy)));
  expect(e.code).toBe('COHORT_E_SPEC_INVALID');
  return e.details.issues as SpecIssue[];
};

describe('server-optimizer strategies in the spec', () => {
  it.each([
    ['fedadam', { name: 'fedadam', serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 }],
    ['fedyogi', { name: 'fedyogi', serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 }],
    ['fedadagrad', { name: 'fedadagrad', serverLearningRate: 0.1, beta1: 0, tau: 1e-9 }],
    ['fedavgm', { name: 'fedavgm', serverLearningRate: 1, momentum: 0.9 }],
  ])('fills in Flower\'s defaults for %s', (name, expected) => {
    const spec = parseSpec(withStrategy({ name }));

    expect(spec.strategy).toEqual(expected);
    expect(strategyFromSpec(spec.strategy).name).toBe(name);
  });

  it('keeps the values a spec sets', () => {
    const spec = parseSpec(withStrategy({ name: 'fedyogi', serverLearningRate: 0.05, beta1: 0, beta2: 0.5, tau: 0.01 }));

    expect(spec.strategy).toEqual({ name: 'fedyogi', serverLearningRate: 0.05, beta1: 0, beta2: 0.5, tau: 0.01 });
  });

  it('names every out-of-range FedAdam value at its path', () => {
    expect(issuesOf({ name: 'fedadam', serverLearningRate: 20, beta1: 1, beta2: -0.5, tau: 0 })).toEqual([
      { path: 'spec.strategy.serverLearningRate', message: 'expected number to be <=10' },
      { path: 'spec.strategy.beta1', message: 'expected number to be <1' },
      { path: 'spec.strategy.beta2', message: 'expected number to be >=0' },
      { path: 'spec.strategy.tau', message: 'expected number to be >0' },
    ]);
  });

  it.each([
    ['beta2 for fedadagrad, which has no second decay', { name: 'fedadagrad', beta2: 0.9 }, { path: 'spec.strategy.beta2', message: 'unknown field' }],
    ['momentum 1 for fedavgm', { name: 'fedavgm', momentum: 1 }, { path: 'spec.strategy.momentum', message: 'expected number to be <1' }],
    ['a zero server learning rate', { name: 'fedavgm', serverLearningRate: 0 }, { path: 'spec.strategy.serverLearningRate', message: 'expected number to be >0' }],
    ['a string tau', { name: 'fedyogi', tau: '1e-3' }, { path: 'spec.strategy.tau', message: 'expected number, received string' }],
    ['mu on fedadam', { name: 'fedadam', mu: 0.1 }, { path: 'spec.strategy.mu', message: 'unknown field' }],
    [
      'an unknown strategy name',
      { name: 'fedsgd' },
      { path: 'spec.strategy.name', message: 'expected "fedavg" | "fedprox" | "fedadam" | "fedyogi" | "fedadagrad" | "fedavgm"' },
    ],
  ])('refuses %s', (_scenario, strategy, issue) => {
    expect(issuesOf(strategy)).toEqual([issue]);
  });

  it('reads the FedAdam example', () => {
    const spec = example('heart-fedadam.yaml');

    expect(spec.strategy.name).toBe('fedadam');
    expect(strategyFromSpec(spec.strategy).configureFit(1)).toEqual({ round: 1, proximalMu: 0 });
  });
});
