import { describe, expect, it } from 'vitest';
import { deltaFromRdp, epsilonFromRdp } from '../../../core/privacy/conversion.ts';
import { computeRdp, computeEpsilon } from '../../../core/privacy/rdp-accountant.ts';
import { erfc } from '../../../core/privacy/erfc.ts';
import { isCohortError, PrivacyErrors } from '../../../core/errors/index.ts';
import { expectClose } from './helpers.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, k) => from + k);

describe('RDP -> (epsilon, delta): published values', () => {
  it('pure DP (constant RDP 1.1 at orders 2..32) gives epsilon 1.32783806176 at order 32, and back', () => {
    // dp_accounting rdp_privacy_accountant_test.py, test_compute_epsilon_delta_pure_dp
    // (also tensorflow/privacy rdp_accountant_test.py, test_get_privacy_spent_check_target_delta / _eps).
    const orders = range(2, 33);
    const rdp = orders.map(() => 1.1);
    const e = epsilonFromRdp(orders, rdp, 1e-5);
    expectClose(e.epsilon, 1.32783806176, 1e-10);
    expect(e.order).toBe(32);
    const d = deltaFromRdp(orders, rdp, 1.32783806176);
    expectClose(d.delta, 1e-5, 1e-9);
    expect(d.order).toBe(32);
  });

  it('the Gaussian with sigma 4.530877117 is (1, 1e-6)-DP over fine orders 1.000..99.999', () => {
    // dp_accounting rdp_privacy_accountant_test.py, test_compute_epsilon_delta_gaussian
    // (assertAlmostEqual: 7 places).
    const orders = range(1000, 100000).map((i) => 0.001 * i);
    const rdp = orders.map((a) => a / (2 * 4.530877117 ** 2));
    expectClose(epsilonFromRdp(orders, rdp, 1e-6).epsilon, 1, 0, 5e-8);
    expectClose(deltaFromRdp(orders, rdp, 1).delta, 1e-6, 0, 5e-8);
  });

  it.each([
    // tensorflow/privacy compute_dp_sgd_privacy_test.py, test_compute_dp_sgd_privacy (Test0..Test2):
    // (n, batch size, noise multiplier, epochs, delta) -> epsilon, order, with dp_accounting's RdpAccountant
    // over the orders of compute_dp_sgd_privacy_lib.py and steps = ceil(epochs * n / batch size).
    [60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19],
    [100000, 100, 1.0, 30, 1e-7, 1.4154988495444842, 13],
    [100000000, 1024, 0.1, 10, 1e-7, 5907982.3113978775, 1.25],
  ])('DP-SGD n=%s batch=%s sigma=%s epochs=%s delta=%s: epsilon %s at order %s', (n, b, sigma, epochs, delta, eps, order) => {
    const orders = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5, ...range(5, 64), 128, 256, 512];
    const r = computeEpsilon({ q: b / n, sigma, steps: Math.ceil((epochs * n) / b), delta }, { orders });
    expectClose(r.epsilon, eps, 1e-9);
    expect(r.order).toBe(order);
  });

  it('Opacus RDPAccountant: sigma 1.5, q 0.04, 2250 steps gives epsilon 7.32911117143 at delta 1e-5', () => {
    // pytorch/opacus opacus/tests/accountants_test.py, test_rdp_accountant (assertAlmostEqual: 7 places),
    // with Opacus's DEFAULT_ALPHAS (1.1..10.9, 12..63) and its signed fractional series.
    const orders = [...range(1, 100).map((x) => 1 + x / 10), ...range(12, 64)];
    const opacus = computeEpsilon({ q: 0.04, sigma: 1.5, steps: 2250, delta: 1e-5 }, { orders, fractionalSeries: 'signed' });
    expectClose(opacus.epsilon, 7.32911117143, 0, 5e-8);
    expect(opacus.order).toBe(3.9);
    // dp_accounting's absolute series is an upper bound: a little larger, by 3e-5 relative.
    const ours = computeEpsilon({ q: 0.04, sigma: 1.5, steps: 2250, delta: 1e-5 }, { orders });
    expect(ours.epsilon).toBeGreaterThan(opacus.epsilon);
    expectClose(ours.epsilon, 7.32911117143, 5e-5);
  });
});

describe('RDP -> (epsilon, delta): properties from the reference test suites', () => {
  it('delta from RDP lies between the exact Gaussian delta and the standard bound', () => {
    // dp_accounting rdp_privacy_accountant_test.py, test_delta_bounds_gaussian: optimal Gaussian delta
    // (Balle & Wang 2018, Thm 8) <= RDP delta <= exp(-(eps - 0.5)^2 / 2).
    // Their orders start at 1.0 (the KL divergence), which computeRdp does not take (order must exceed 1);
    // at q = 1 RDP is alpha / (2 sigma^2) at every order, order 1 included.
    const orders = range(10, 505).map((x) => 0.1 * x);
    const rdp = orders.map((a) => a / 2);
    for (let x = 0; x < 500; x++) {
      const eps = 0.1 * x;
      const { delta } = deltaFromRdp(orders, rdp, eps);
      const exact = erfc((eps - 0.5) / Math.SQRT2) / 2 - (Math.exp(eps) * erfc((eps + 0.5) / Math.SQRT2)) / 2;
      expect(exact).toBeLessThanOrEqual(delta + 1e-300);
      const standard = eps >= 0.5 ? Math.exp(-0.5 * (eps - 0.5) ** 2) : 1;
      expect(delta).toBeLessThanOrEqual(standard + 1e-300);
    }
  });

  it('epsilon and delta are inverse to each other across q and sigma', () => {
    // dp_accounting rdp_privacy_accountant_test.py, test_epsilon_delta_consistency.
    const orders = range(2, 50);
    for (const q of [0, 0.01, 0.1, 0.8, 1]) {
      for (const sigma of [0, 0.1, 1, 10, 100]) {
        const rdp = computeRdp({ q, sigma, steps: 1 }, { orders });
        for (const delta of [0.99, 0.9, 0.1, 0.01, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const { epsilon } = epsilonFromRdp(orders, rdp, delta);
          if (epsilon === Infinity) {
            expect(deltaFromRdp(orders, rdp, 1e308).delta).toBe(1);
            continue;
          }
          const back = deltaFromRdp(orders, rdp, epsilon).delta;
          if (epsilon === 0) expect(back).toBeLessThanOrEqual(delta);
          else expectClose(back, delta, 0, 5e-8);
        }
      }
    }
  });

  it('gives epsilon 0 by the KL bound when RDP is below delta^2, and Infinity without noise', () => {
    expect(epsilonFromRdp([2, 3], [1e-12, 2e-12], 1e-5).epsilon).toBe(0);
    expect(epsilonFromRdp([2, 3], [Infinity, Infinity], 1e-5).epsilon).toBe(Infinity);
  });

  it('skips orders at or below 1.01, where the bound is unstable', () => {
    const r = epsilonFromRdp([1.005, 2], [0.001, 0.5], 1e-5);
    expect(r.order).toBe(2);
    expectClose(r.epsilon, 0.5 + Math.log1p(-1 / 2) - Math.log(1e-5 * 2), 1e-15);
  });

  it('rejects delta outside (0, 1), a negative epsilon and mismatched lengths', () => {
    for (const bad of [0, 1, -1, NaN]) {
      expect(() => epsilonFromRdp([2], [0.1], bad)).toThrow(
        expect.objectContaining({ code: PrivacyErrors.INVALID_ARGUMENT.code, message: expect.stringContaining('delta') }),
      );
    }
    expect(() => deltaFromRdp([2], [0.1], -0.5)).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT' }));
    try {
      epsilonFromRdp([2, 3], [0.1], 1e-5);
      expect.unreachable();
    } catch (e) {
      expect(isCohortError(e, PrivacyErrors.INVALID_ARGUMENT)).toBe(true);
      expect((e as Error).message).toBe('rdp: expected 2 values (one per order), got 1');
    }
  });
});
