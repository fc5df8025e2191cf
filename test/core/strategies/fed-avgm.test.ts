/** FedAvgM (Hsu et al. 2019): v = beta v + Delta, x += eta v. Expected values derived by hand or by reference/server_optimizers.py. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fedAvgM } from '../../../core/strategies/index.ts';

const f32 = (values: readonly number[]): Float32Array => Float32Array.from(values);

function run(eta: number, beta: number, x0: readonly number[], deltas: ReadonlyArray<readonly number[]>): Array<{ x: Float32Array; momentum: Float32Array }> {
  const s = fedAvgM({ serverLearningRate: eta, momentum: beta });
  let x = f32(x0);
  let state = s.initialState(x);
  return deltas.map((d, i) => {
    ({ weights: x, state } = s.applyAggregate(x, f32(d), state, i + 1));
    return { x, momentum: state.momentum! };
  });
}

describe('FedAvgM', () => {
  it('accumulates momentum by hand (eta 1/2, beta 1/2)', () => {
    // v: 1, 1/2 + 1 = 3/2, 3/4 - 2 = -5/4; x: 1/2, 1/2 + 3/4 = 5/4, 5/4 - 5/8 = 5/8.
    const steps = run(0.5, 0.5, [0], [[1], [1], [-2]]);

    expect(steps.map((s) => s.momentum[0])).toEqual([1, 1.5, -1.25]);
    expect(steps.map((s) => s.x[0])).toEqual([0.5, 1.25, 0.625]);
  });

  it('matches the independent reference with the defaults (eta 1, momentum 0.9)', () => {
    const steps = run(1, 0.9, [0.5, -0.25, 0, 1], [
      [0.1, -0.02, 0, 0.5],
      [0.05, 0.03, 0, 0.01],
      [-0.08, 0.01, 0, 0.01],
    ]);

    expect(steps.map((s) => s.x)).toEqual([f32([0.6, -0.27, 0, 1.5]), f32([0.74, -0.25800002, 0, 1.96]), f32([0.786, -0.23720002, 0, 2.384])]);
    expect(steps[2]!.momentum).toEqual(f32([0.046000004, 0.0208, 0, 0.424]));
  });

  it('with momentum 0 and eta 1 steps exactly like FedAvg', () => {
    const steps = run(1, 0, [1, 2], [[0.5, -1]]);

    expect([...steps[0]!.x]).toEqual([1.5, 1]);
  });

  it('gives the SHA-256 of an independent implementation after 5 rounds of 1000 weights', () => {
    const n = 1000;
    const x0 = Array.from({ length: n }, (_, i) => (((i * 31) % 17) - 8) / 16);
    const deltas = Array.from({ length: 5 }, (_, r) => Array.from({ length: n }, (_, i) => ((((i * 7919 + (r + 1) * 104729) % 2001) - 1000) / 1000) * 0.01));

    const x = run(1, 0.9, x0, deltas)[4]!.x;

    expect(createHash('sha256').update(Buffer.from(x.buffer)).digest('hex')).toBe('949e9a0a99cebbb4763b9cde93187a6dbe1e98804a1e1f45640a3fe1a23d68ba');
  });

  it('refuses momentum 1 and a missing state', () => {
    expect(() => fedAvgM({ serverLearningRate: 1, momentum: 1 })).toThrow('fedavgm momentum must be in [0, 1), got 1');
    expect(() => fedAvgM({ serverLearningRate: 1, momentum: 0.9 }).applyAggregate(f32([1]), f32([1]), {}, 1)).toThrow('fedavgm server state has no "momentum"');
  });
});
