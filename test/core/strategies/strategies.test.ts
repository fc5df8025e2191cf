import { describe, expect, it } from 'vitest';
import { meanFromWeightedSum, strategyFromSpec, updateVectorFrom } from '../../../core/strategies/index.ts';

describe('update vectors and their sum', () => {
  it('builds [w * (trained - global)..., w]', () => {
    expect([...updateVectorFrom(Float32Array.from([1, 1]), Float32Array.from([2, 0.5]), 4)]).toEqual([4, -2, 4]);
  });

  it('turns the summed vectors of two sites into their example-weighted mean update', () => {
    const a = updateVectorFrom(Float32Array.from([0, 0]), Float32Array.from([1, 2]), 1);
    const b = updateVectorFrom(Float32Array.from([0, 0]), Float32Array.from([3, 6]), 3);
    const sum = a.map((v, i) => v + (b[i] ?? 0));
    const { meanDelta, totalWeight } = meanFromWeightedSum(sum);
    expect(totalWeight).toBe(4);
    expect([...meanDelta]).toEqual([2.5, 5]);
  });

  it('refuses an aggregate whose weight is not positive', () => {
    expect(() => meanFromWeightedSum(Float64Array.from([1, 0]))).toThrow('aggregate weight must be positive, got 0');
  });
});

describe('strategies', () => {
  it('FedAvg adds the mean update and asks for no proximal term', () => {
    const s = strategyFromSpec({ name: 'fedavg' });
    expect(s.configureFit(3)).toEqual({ round: 3, proximalMu: 0 });
    expect([...s.applyAggregate(Float32Array.from([1, 2]), Float32Array.from([0.5, -1]), {}, 1).weights]).toEqual([1.5, 1]);
  });

  it('FedProx sends its mu to the sites and steps like FedAvg', () => {
    const s = strategyFromSpec({ name: 'fedprox', mu: 0.01 });
    expect(s.name).toBe('fedprox');
    expect(s.configureFit(2)).toEqual({ round: 2, proximalMu: 0.01 });
    expect([...s.applyAggregate(Float32Array.from([1]), Float32Array.from([2]), {}, 1).weights]).toEqual([3]);
  });
});
