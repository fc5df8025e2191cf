import { describe, expect, it } from 'vitest';
import { computeEpsilon, computeRdp, DEFAULT_RDP_ORDERS, RdpAccountant } from '../../../core/privacy/index.ts';
import { PrivacyErrors } from '../../../core/errors/index.ts';
import { expectClose } from './helpers.ts';

describe('default orders', () => {
  it("are dp_accounting's DEFAULT_RDP_ORDERS: 1.1..10.9, 11..63, 128, 256, 512, 1024", () => {
    expect(DEFAULT_RDP_ORDERS).toHaveLength(99 + 53 + 4);
    expect(DEFAULT_RDP_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(DEFAULT_RDP_ORDERS[98]).toBe(10.9);
    expect(DEFAULT_RDP_ORDERS.slice(99, 101)).toEqual([11, 12]);
    expect(DEFAULT_RDP_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });
});

describe('RdpAccountant composition', () => {
  // dp_accounting rdp_privacy_accountant_test.py, test_rdp_composition and test_compute_rdp_gaussian:
  // a Gaussian (q = 1) at order 2.71828 composes additively, in any grouping.
  const order = [2.71828];

  it('adds RDP over steps: 6 steps = 6 x 1 step = 2 + 3 + 1 steps', () => {
    const one = new RdpAccountant({ orders: order }).compose({ q: 1, sigma: 3.14159, steps: 1 }).rdp[0]!;
    expectClose(one, 2.71828 / (2 * 3.14159 ** 2), 1e-15);
    const six = new RdpAccountant({ orders: order }).compose({ q: 1, sigma: 3.14159, steps: 6 }).rdp[0]!;
    const grouped = new RdpAccountant({ orders: order })
      .compose({ q: 1, sigma: 3.14159, steps: 2 })
      .compose({ q: 1, sigma: 3.14159, steps: 3 })
      .compose({ q: 1, sigma: 3.14159, steps: 1 }).rdp[0]!;
    expectClose(six, 6 * one, 1e-15);
    expectClose(grouped, 6 * one, 1e-15);
  });

  it('adds RDP over heterogeneous mechanisms', () => {
    // dp_accounting test_compute_rdp_multi_gaussian (sigmas 2.71828 and 6.28319 at order 3.14159), and
    // tensorflow/privacy rdp_accountant_test.py test_compute_heterogeneous_rdp_different_sampling_probabilities:
    // q = [0, 1], sigma = [10, 10], one step each, order 20 -> 0.1.
    const multi = new RdpAccountant({ orders: [3.14159] })
      .compose({ q: 1, sigma: 2.71828, steps: 1 })
      .compose({ q: 1, sigma: 6.28319, steps: 1 }).rdp[0]!;
    expectClose(multi, 3.14159 / (2 * 2.71828 ** 2) + 3.14159 / (2 * 6.28319 ** 2), 1e-15);
    const hetero = new RdpAccountant({ orders: [20] }).compose({ q: 0, sigma: 10, steps: 1 }).compose({ q: 1, sigma: 10, steps: 1 });
    expect(hetero.rdp).toEqual([0.1]);
  });

  it('equals the sum of computeRdp over subsampled events at every default order', () => {
    const a = { q: 0.01, sigma: 1.1, steps: 1000 };
    const b = { q: 0.05, sigma: 2.0, steps: 37 };
    const acc = new RdpAccountant().compose(a).compose(b);
    const ra = computeRdp(a);
    const rb = computeRdp(b);
    acc.rdp.forEach((r, i) => expect(r).toBe(ra[i]! + rb[i]!));
  });

  it('gives epsilon 0 and delta 0 for an empty sample, and Infinity without noise', () => {
    // dp_accounting test_zero_poisson_sample and test_epsilon_non_private_gaussian (order 3.14159).
    for (const sigma of [1, 0]) {
      const acc = new RdpAccountant({ orders: [3.14159] }).compose({ q: 0, sigma, steps: 1 });
      expect(acc.getEpsilon(1e-10).epsilon).toBe(0);
      expect(acc.getDelta(1e-10).delta).toBe(0);
    }
    expect(new RdpAccountant({ orders: [3.14159] }).compose({ q: 1, sigma: 0, steps: 1 }).getEpsilon(0.1).epsilon).toBe(Infinity);
  });

  it('treats 0 steps of a noiseless mechanism as nothing, not 0 x Infinity', () => {
    const acc = new RdpAccountant().compose({ q: 0.5, sigma: 0, steps: 0 });
    expect(acc.rdp.every((r) => r === 0)).toBe(true);
    expect(acc.getEpsilon(1e-5).epsilon).toBe(0);
  });

  it('returns a copy of its totals', () => {
    const acc = new RdpAccountant({ orders: [2] }).compose({ q: 1, sigma: 1, steps: 1 });
    acc.rdp[0] = 99;
    expect(acc.rdp).toEqual([1]);
  });
});

describe('epsilon as a function of steps and noise', () => {
  it('grows strictly with the number of steps', () => {
    let last = 0;
    for (const steps of [1, 10, 100, 1000, 10000, 100000]) {
      const { epsilon } = computeEpsilon({ q: 0.01, sigma: 1.0, steps, delta: 1e-5 });
      expect(epsilon).toBeGreaterThan(last);
      last = epsilon;
    }
  });

  it('falls strictly as the noise multiplier grows', () => {
    let last = Infinity;
    for (const sigma of [0.3, 0.5, 0.8, 1, 1.5, 3, 10]) {
      const { epsilon } = computeEpsilon({ q: 0.01, sigma, steps: 1000, delta: 1e-5 });
      expect(epsilon).toBeLessThan(last);
      last = epsilon;
    }
  });

  it('stays finite at the corners: q=1e-6 sigma=0.3 and q=1 sigma=100 over 1e7 steps', () => {
    // a, b: dp_accounting's algorithm (rdp_privacy_accountant.py ported line by line to Python, scipy 1.17.1)
    // gives these same doubles and orders. c: mpmath 1.3.0 at 60 digits (exact binomial sum at order 1024)
    // gives 0.0035019217027247; dp_accounting's direct sum gives 0.0035019217109 (see subsampled-gaussian.test.ts).
    const a = computeEpsilon({ q: 1e-6, sigma: 0.3, steps: 1e7, delta: 1e-5 });
    expectClose(a.epsilon, 9.678678478532738, 1e-9);
    expect(a.order).toBe(2.2);
    const b = computeEpsilon({ q: 1, sigma: 100, steps: 1e7, delta: 1e-5 });
    expectClose(b.epsilon, 654.8612600716533, 1e-12);
    expect(b.order).toBe(1.2);
    const c = computeEpsilon({ q: 1e-6, sigma: 100, steps: 1e7, delta: 1e-5 });
    expectClose(c.epsilon, 0.0035019217027, 1e-9);
    expect(c.order).toBe(1024);
  });
});

describe('argument validation', () => {
  const code = PrivacyErrors.INVALID_ARGUMENT.code;
  it.each([
    [{ q: 1.5, sigma: 1, steps: 1 }, 'q: expected a number in [0, 1], got 1.5'],
    [{ q: -0.1, sigma: 1, steps: 1 }, 'q: expected a number in [0, 1], got -0.1'],
    [{ q: NaN, sigma: 1, steps: 1 }, 'q: expected a number in [0, 1], got NaN'],
    [{ q: 0.1, sigma: -1, steps: 1 }, 'sigma: expected a finite number >= 0, got -1'],
    [{ q: 0.1, sigma: Infinity, steps: 1 }, 'sigma: expected a finite number >= 0, got Infinity'],
    [{ q: 0.1, sigma: 1, steps: 2.5 }, 'steps: expected a non-negative integer, got 2.5'],
    [{ q: 0.1, sigma: 1, steps: -3 }, 'steps: expected a non-negative integer, got -3'],
  ])('compose(%o) throws COHORT_E_PRIVACY_INVALID_ARGUMENT naming the parameter', (event, message) => {
    const acc = new RdpAccountant({ orders: [2] });
    expect(() => acc.compose(event)).toThrow(expect.objectContaining({ code, message }));
    expect(acc.rdp).toEqual([0]);
  });

  it('rejects delta outside (0, 1) and orders not above 1', () => {
    const acc = new RdpAccountant().compose({ q: 0.01, sigma: 1, steps: 10 });
    for (const delta of [0, 1, 2, -1e-5]) {
      expect(() => acc.getEpsilon(delta)).toThrow(expect.objectContaining({ code, message: `delta: expected a number in (0, 1), got ${delta}` }));
    }
    expect(() => new RdpAccountant({ orders: [2, 1] })).toThrow(expect.objectContaining({ code, message: 'orders[1]: expected a number > 1, got 1' }));
    expect(() => new RdpAccountant({ orders: [] })).toThrow(expect.objectContaining({ code }));
  });
});
