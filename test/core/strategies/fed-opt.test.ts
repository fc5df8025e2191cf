/**
 * FedAdam, FedYogi and FedAdagrad (Reddi et al. 2021, Algorithm 2) on short round
 * sequences. The expected numbers were derived outside this code: the "by hand" cases
 * with exact fractions (parameters chosen so that every sqrt is rational), the others
 * with an independent Python implementation of the same formulas (float64 per element,
 * float32 storage; reference/server_optimizers.py), never by calling Cohort.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fedAdagrad, fedAdam, fedYogi, type ServerState, type Strategy } from '../../../core/strategies/index.ts';

const f32 = (values: readonly number[]): Float32Array => Float32Array.from(values);

interface Step {
  x: Float32Array;
  state: ServerState;
}

/** Runs the server step over `deltas` from `x0` and returns every round's weights and state. */
function run(strategy: Strategy, x0: readonly number[], deltas: ReadonlyArray<readonly number[]>): Step[] {
  let x = f32(x0);
  let state = strategy.initialState(x);
  return deltas.map((d, i) => {
    const step = strategy.applyAggregate(x, f32(d), state, i + 1);
    x = step.weights;
    state = step.state;
    return { x, state };
  });
}

/** The reference sequence: 4 weights (one never updated, one with a large then small updates), 3 rounds. */
const X0 = [0.5, -0.25, 0, 1];
const DELTAS = [
  [0.1, -0.02, 0, 0.5],
  [0.05, 0.03, 0, 0.01],
  [-0.08, 0.01, 0, 0.01],
];

describe('FedAdam', () => {
  it('follows m, v and x by hand over three rounds (beta1 1/2, beta2 3/4, tau 2: v stays 4)', () => {
    // v_{-1} = tau^2 = 4; Delta = 2, 2, -2 keeps v_t = 3/4 * 4 + 1/4 * 4 = 4, so sqrt(v) + tau = 4.
    // m: 1/2*0 + 1/2*2 = 1, 1/2*1 + 1/2*2 = 3/2, 1/2*3/2 - 1/2*2 = -1/4; x += m / 4.
    const steps = run(fedAdam({ serverLearningRate: 1, beta1: 0.5, beta2: 0.75, tau: 2 }), [0], [[2], [2], [-2]]);

    expect(steps.map((s) => s.x[0])).toEqual([0.25, 0.625, 0.5625]);
    expect(steps.map((s) => s.state.m![0])).toEqual([1, 1.5, -0.25]);
    expect(steps.map((s) => s.state.v![0])).toEqual([4, 4, 4]);
  });

  it('matches the independent reference with Flower\'s defaults (eta 0.1, 0.9, 0.99, tau 1e-9)', () => {
    const steps = run(fedAdam({ serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 }), X0, DELTAS);

    // Round 1 moves every updated weight by about eta * sign(Delta): m = 0.1 Delta, sqrt(v) ~ 0.1 |Delta|.
    expect(steps[0]!.x).toEqual(f32([0.59999996, -0.34999993, 0, 1.1]));
    expect(steps[1]!.x).toEqual(f32([0.7257237, -0.3166666, 0, 1.1924448]));
    expect(steps[2]!.x).toEqual(f32([0.7593838, -0.26073647, 0, 1.2780666]));
    expect(steps[2]!.state.m).toEqual(f32([0.0045999996, 0.00208, 0, 0.0424]));
    expect(steps[2]!.state.v).toEqual(f32([0.00018676, 1.3830399e-5, 9.702991e-19, 0.00245224]));
  });
});

describe('FedYogi', () => {
  it('follows v through both signs of v - Delta^2 by hand (beta1 0, beta2 3/4, tau 1)', () => {
    // Round 1: Delta = -15/4, Delta^2 = 225/16 > v = 1, so v = 1 + 1/4 * 225/16 = 289/64, sqrt 17/8;
    //   x = 0 + (-15/4) / (17/8 + 1) = -6/5.
    // Round 2: Delta = -2, Delta^2 = 4 < 289/64, so v = 289/64 - 1/4 * 4 = 225/64, sqrt 15/8;
    //   x = -6/5 (stored as float32) + (-2) / (15/8 + 1) = -6/5 - 16/23.
    const steps = run(fedYogi({ serverLearningRate: 1, beta1: 0, beta2: 0.75, tau: 1 }), [0], [[-15 / 4], [-2]]);

    expect(steps.map((s) => s.state.v![0])).toEqual([289 / 64, 225 / 64]);
    expect(steps.map((s) => s.x[0])).toEqual([Math.fround(-6 / 5), Math.fround(Math.fround(-6 / 5) - 16 / 23)]);
  });

  it('matches the independent reference with Flower\'s defaults (eta 0.01, 0.9, 0.99, tau 1e-3)', () => {
    const steps = run(fedYogi({ serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 }), X0, DELTAS);

    expect(steps.map((s) => s.x)).toEqual([
      f32([0.5090499, -0.25618035, 0, 1.009802]),
      f32([0.52050185, -0.2536496, 0, 1.0188216]),
      f32([0.52361333, -0.24938115, 0, 1.0271369]),
    ]);
    // The last weight's v falls after round 1 (Delta^2 = 1e-4 < v): 0.002501 - 0.01 * 1e-4 = 0.0025.
    expect(steps.map((s) => s.state.v![3])).toEqual([Math.fround(0.002501), Math.fround(0.0025), Math.fround(0.002499)]);
    // A weight that never moves keeps v = tau^2.
    expect(steps[2]!.state.v![2]).toBe(Math.fround(1e-6));
  });
});

describe('FedAdagrad', () => {
  it('follows a Pythagorean sequence by hand (beta1 0, tau 3: sqrt(v) = 5, 13, 85)', () => {
    // v = 9 + 16 = 25, + 144 = 169, + 7056 = 7225; x = 1 + 4/8 = 1.5, + 12/16 = 2.25, - 84/88.
    const steps = run(fedAdagrad({ serverLearningRate: 1, beta1: 0, tau: 3 }), [1, -2], [[4, 0], [12, 0], [-84, 0]]);

    expect(steps.map((s) => [...s.x])).toEqual([[1.5, -2], [2.25, -2], [Math.fround(2.25 - 84 / 88), -2]]);
    expect(steps.map((s) => [...s.state.v!])).toEqual([[25, 9], [169, 9], [7225, 9]]);
  });

  it('matches the independent reference with momentum (eta 0.1, beta1 0.5, tau 1e-3)', () => {
    const steps = run(fedAdagrad({ serverLearningRate: 0.1, beta1: 0.5, tau: 1e-3 }), X0, DELTAS);

    expect(steps.map((s) => s.x)).toEqual([
      f32([0.5495025, -0.29756245, 0, 1.0499]),
      f32([0.59382564, -0.270586, 0, 1.075843]),
      f32([0.5829938, -0.24456464, 0, 1.0898094]),
    ]);
    expect(steps[2]!.state.m).toEqual(f32([-0.014999999, 0.01, 0, 0.07]));
  });
});

/** Deterministic inputs that a Python reference can reproduce exactly (integer arithmetic, one division). */
const N = 1000;
const bigX0 = Array.from({ length: N }, (_, i) => (((i * 31) % 17) - 8) / 16);
const bigDeltas = Array.from({ length: 5 }, (_, r) => Array.from({ length: N }, (_, i) => ((((i * 7919 + (r + 1) * 104729) % 2001) - 1000) / 1000) * 0.01));
const sha256 = (x: Float32Array): string => createHash('sha256').update(Buffer.from(x.buffer, x.byteOffset, x.byteLength)).digest('hex');

describe('determinism across machines', () => {
  it.each([
    ['fedadam', fedAdam({ serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 }), '35b78641849882a72785569247d9ca03f67df150d1e5c813d5b6aac9182b7a9f'],
    ['fedyogi', fedYogi({ serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 }), '72dac4a71bca9e6f087726a771dcd01c80f8c412fb1f14b30a117535a154906b'],
    ['fedadagrad', fedAdagrad({ serverLearningRate: 0.1, beta1: 0, tau: 1e-9 }), 'af491026770d51ef49798e7aff1ffae67b268469a1ec301e548e226d8fbc0baf'],
  ])('%s gives the SHA-256 of an independent float64 implementation after 5 rounds of 1000 weights', (_name, strategy, expected) => {
    const steps = run(strategy, bigX0, bigDeltas);

    expect(sha256(steps[4]!.x)).toBe(expected);
  });

  it('does not change its inputs, so two sites stepping from shared arrays agree', () => {
    const s = fedAdam({ serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 });
    const x = f32(X0);
    const d = f32(DELTAS[0]!);
    const state = s.initialState(x);

    const a = s.applyAggregate(x, d, state, 1);
    const b = s.applyAggregate(x, d, state, 1);

    expect(x).toEqual(f32(X0));
    expect(state.m).toEqual(new Float32Array(4));
    expect(sha256(a.weights)).toBe(sha256(b.weights));
  });
});

describe('server state', () => {
  it('starts with m = 0 and v = tau^2 (the paper\'s v_{-1})', () => {
    const state = fedYogi({ serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 }).initialState(new Float32Array(3));

    expect(Object.keys(state).sort()).toEqual(['m', 'v']);
    expect(state.m).toEqual(new Float32Array(3));
    expect(state.v).toEqual(f32([1e-6, 1e-6, 1e-6]));
  });

  it('resumes bit-identically from state persisted as bytes after round 2', () => {
    const s = fedAdam({ serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 });
    const straight = run(s, bigX0, bigDeltas);
    const first = run(s, bigX0, bigDeltas.slice(0, 2));
    const persisted = JSON.stringify(Object.fromEntries(Object.entries(first[1]!.state).map(([k, v]) => [k, Buffer.from(v.buffer).toString('base64')])));
    const restored: ServerState = Object.fromEntries(
      Object.entries(JSON.parse(persisted) as Record<string, string>).map(([k, b64]) => {
        const bytes = Buffer.from(b64, 'base64');
        return [k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))];
      }),
    );

    let x = first[1]!.x;
    let state = restored;
    for (let r = 2; r < 5; r++) ({ weights: x, state } = s.applyAggregate(x, f32(bigDeltas[r]!), state, r + 1));

    expect(sha256(x)).toBe(sha256(straight[4]!.x));
    expect(state.v).toEqual(straight[4]!.state.v);
  });

  it('refuses state of another length (a model that changed under the run)', () => {
    const s = fedAdagrad({ serverLearningRate: 0.1, beta1: 0, tau: 1e-9 });

    expect(() => s.applyAggregate(f32([1, 2]), f32([0, 0]), s.initialState(f32([1])), 1)).toThrow(
      'fedadagrad server state "m" has 1 values, the model 2',
    );
    expect(() => s.applyAggregate(f32([1]), f32([0]), {}, 1)).toThrow('fedadagrad server state has no "m"');
  });
});

describe('hyper-parameters', () => {
  it.each([
    ['beta1 = 1', () => fedAdam({ serverLearningRate: 0.1, beta1: 1, beta2: 0.99, tau: 1e-9 }), 'fedadam beta1 must be in [0, 1), got 1'],
    ['beta2 < 0', () => fedYogi({ serverLearningRate: 0.1, beta1: 0.9, beta2: -0.1, tau: 1e-9 }), 'fedyogi beta2 must be in [0, 1), got -0.1'],
    ['tau = 0', () => fedAdagrad({ serverLearningRate: 0.1, beta1: 0, tau: 0 }), 'fedadagrad tau must be a positive finite number, got 0'],
    ['eta NaN', () => fedAdam({ serverLearningRate: Number.NaN, beta1: 0.9, beta2: 0.99, tau: 1e-9 }), 'fedadam serverLearningRate must be a positive finite number, got NaN'],
  ])('refuses %s', (_scenario, make, message) => {
    expect(make).toThrow(message);
  });

  it('asks the sites for no proximal term', () => {
    expect(fedYogi({ serverLearningRate: 0.01, beta1: 0.9, beta2: 0.99, tau: 1e-3 }).configureFit(4)).toEqual({ round: 4, proximalMu: 0 });
  });
});
