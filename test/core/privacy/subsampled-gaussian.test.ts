import { describe, expect, it } from 'vitest';
import {
  logAFractional,
  logAInteger,
  rdpOfSubsampledGaussian,
} from '../../../core/privacy/subsampled-gaussian.ts';
import { computeRdp } from '../../../core/privacy/rdp-accountant.ts';
import { DEFAULT_RDP_ORDERS } from '../../../core/privacy/orders.ts';
import { expectClose } from './helpers.ts';

describe('RDP of the Poisson-subsampled Gaussian: published values', () => {
  it('matches dp_accounting for q=0.01, sigma=2.5, 50 steps at orders 1.5..inf', () => {
    // google/differential-privacy python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py,
    // test_compute_rdp_poisson_sampled_gaussian (published to 9 digits, asserted there with rtol 1e-4).
    const rdp = computeRdp({ q: 0.01, sigma: 2.5, steps: 50 }, { orders: [1.5, 2.5, 5, 50, 100, Infinity] });
    const published = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    published.forEach((p, i) => expectClose(rdp[i]!, p, 1e-8));
    expect(rdp[5]).toBe(Infinity);
  });

  it('matches TF Privacy rdp_accountant with the signed fractional series (Opacus, TF Privacy)', () => {
    // tensorflow/privacy tensorflow_privacy/privacy/analysis/rdp_accountant_test.py, test_compute_rdp_sequence:
    // compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, inf]), assertSequenceAlmostEqual(delta=1e-5).
    // Their series keeps the sign of C(alpha, i); dp_accounting's absolute series gives 6.7058e-4 at 1.5.
    const rdp = computeRdp(
      { q: 0.01, sigma: 2.5, steps: 50 },
      { orders: [1.5, 2.5, 5, 50, 100, Infinity], fractionalSeries: 'signed' },
    );
    [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307].forEach((p, i) => expectClose(rdp[i]!, p, 0, 1e-5));
    expect(rdp[5]).toBe(Infinity);
    // tensorflow/privacy .../rdp_privacy_accountant_test.py, test_compute_rdp_poisson_sampled_gaussian (rtol 1e-4).
    [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2].forEach((p, i) => expectClose(rdp[i]!, p, 1e-4));
  });

  it('matches TF Privacy compute_rdp(0.1, 2, 10, 5) = 0.07737', () => {
    // tensorflow/privacy .../rdp_accountant_test.py, test_compute_rdp_scalar (places=5).
    const [rdp] = computeRdp({ q: 0.1, sigma: 2, steps: 10 }, { orders: [5] });
    expectClose(rdp!, 0.07737, 0, 5e-6);
  });

  it('is 0 without sampling and alpha / (2 sigma^2) without subsampling', () => {
    // tensorflow/privacy .../rdp_accountant_test.py, test_compute_rdp_no_data and test_compute_rdp_no_sampling.
    expect(computeRdp({ q: 0, sigma: 10, steps: 1 }, { orders: [20] })).toEqual([0]);
    expect(computeRdp({ q: 1, sigma: 10, steps: 1 }, { orders: [20] })).toEqual([0.1]);
  });

  it('equals alpha / (2 sigma^2) exactly at q = 1, fractional orders included', () => {
    for (const sigma of [0.3, 1, 2.71828, 100]) {
      for (const alpha of [1.1, 2, 3.14159, 20.5, 1024]) {
        expect(rdpOfSubsampledGaussian(1, sigma, alpha)).toBe(alpha / (2 * sigma * sigma));
      }
    }
  });

  it('is Infinity without noise or at order Infinity, and 0 at q = 0 whatever the noise', () => {
    expect(rdpOfSubsampledGaussian(0.1, 0, 2)).toBe(Infinity);
    expect(rdpOfSubsampledGaussian(0.1, 1, Infinity)).toBe(Infinity);
    expect(rdpOfSubsampledGaussian(0, 0, 2)).toBe(0);
    expect(rdpOfSubsampledGaussian(0, 1, Infinity)).toBe(0);
  });
});

describe('log(A_alpha) against multi-precision references', () => {
  // Parameters: dp_accounting rdp_privacy_accountant_test.py (and tensorflow/privacy rdp_accountant_test.py),
  // test_compute_log_a_equals_mp, which compares with mpmath and asserts rtol 1e-4, atol 1e-8.
  // References computed here with mpmath 1.3.0 at 50 digits: integer orders by the exact binomial sum,
  // fractional orders by mpmath.quad of E[(1 - q + q exp((2z - 1) / (2 sigma^2)))^alpha], z ~ N(0, sigma^2),
  // split at z0 and around the peak at z = alpha.
  const CASES: ReadonlyArray<readonly [q: number, sigma: number, order: number, logA: number]> = [
    [1e-7, 0.1, 1.01, 4.003412322526399e-8],
    [1e-6, 0.1, 256, 3260463.2292971606],
    [1e-5, 0.1, 256.1, 3263607.0397884212],
    [1e-6, 1, 27, 8.769511304848498e-10],
    [1e-4, 1, 1.5, 6.4426869538366495e-9],
    [1e-3, 1, 2, 0.0000017182803522145153],
    [0.01, 10, 20, 0.00019129699912842963],
    [0.1, 100, 20.5, 0.00019991818458068295],
    [0.99, 0.1, 256, 3263997.427114021],
    [0.999, 100, 256.1, 3.260108037973113],
  ];

  it.each(CASES)('q=%s sigma=%s order=%s within rtol 1e-4, atol 1e-8 (their tolerance)', (q, sigma, order, logA) => {
    const mine = Number.isInteger(order) ? logAInteger(q, sigma, order) : logAFractional(q, sigma, order);
    expectClose(mine, logA, 1e-4, 1e-8);
  });

  it('is exact to 1e-9 relative at integer orders and never below the reference at fractional ones', () => {
    for (const [q, sigma, order, logA] of CASES) {
      if (Number.isInteger(order)) {
        expectClose(logAInteger(q, sigma, order), logA, 1e-9);
      } else {
        // The absolute-value series is an upper bound on A_alpha.
        expect(logAFractional(q, sigma, order)).toBeGreaterThanOrEqual(logA * (1 - 1e-12));
        expectClose(logAFractional(q, sigma, order, 'signed'), logA, 1e-6, 1e-15);
      }
    }
  });
});

describe('fractional orders', () => {
  it('the exact (signed) series is non-decreasing in the order, and the absolute series bounds it from above', () => {
    for (const [q, sigma] of [
      [0.01, 1],
      [0.04, 1.5],
      [1e-4, 0.8],
      [0.3, 5],
    ] as const) {
      const exact = computeRdp({ q, sigma, steps: 1 }, { fractionalSeries: 'signed' });
      const bound = computeRdp({ q, sigma, steps: 1 });
      const finite = exact.filter(Number.isFinite);
      for (let i = 1; i < finite.length; i++) expect(finite[i]!).toBeGreaterThanOrEqual(finite[i - 1]! * (1 - 1e-12));
      // Not monotone itself: at q=0.3, sigma=5 the bound at order 1.1 (0.0233) exceeds RDP(2) (0.0037).
      bound.forEach((b, i) => expect(b).toBeGreaterThanOrEqual(exact[i]! * (1 - 1e-12)));
    }
  });

  it('lies between the neighbouring integer orders', () => {
    const at = (a: number) => rdpOfSubsampledGaussian(0.02, 1.1, a);
    for (const a of [2.5, 3.3, 7.9, 10.5]) {
      expect(at(a)).toBeGreaterThanOrEqual(at(Math.floor(a)));
      expect(at(a)).toBeLessThanOrEqual(at(Math.ceil(a)));
    }
  });

  it('excludes (returns Infinity for) an order whose series has not converged in 1000 terms, as dp_accounting', () => {
    // q=0.5, sigma=100: the terms decay too slowly at orders near 1.
    expect(logAFractional(0.5, 100, 1.1)).toBe(Infinity);
    expect(rdpOfSubsampledGaussian(0.5, 100, 1.1)).toBe(Infinity);
    // q=0.1, sigma=1 converges from 1.6 on: log A(1.6) = 0.009161072584451414 by dp_accounting's algorithm
    // run here in Python (scipy 1.17.1).
    expect(logAFractional(0.1, 1, 1.5)).toBe(Infinity);
    expectClose(logAFractional(0.1, 1, 1.6), 0.009161072584451414, 1e-12);
  });
});

describe('numerical stability at the corners of the supported range', () => {
  const corners = [
    { q: 1e-6, sigma: 0.3 },
    { q: 1e-6, sigma: 100 },
    { q: 1, sigma: 0.3 },
    { q: 1, sigma: 100 },
    { q: 0.999999, sigma: 0.3 },
    { q: 0.5, sigma: 0.3 },
  ];

  it.each(corners)('q=$q sigma=$sigma over 1e7 steps: no order NaN or negative, integer orders all finite', ({ q, sigma }) => {
    const rdp = computeRdp({ q, sigma, steps: 1e7 });
    expect(rdp).toHaveLength(DEFAULT_RDP_ORDERS.length);
    for (const r of rdp) {
      expect(Number.isNaN(r)).toBe(false);
      expect(r).toBeGreaterThan(0);
    }
    DEFAULT_RDP_ORDERS.forEach((a, i) => {
      if (Number.isInteger(a)) expect(Number.isFinite(rdp[i]!)).toBe(true);
    });
  });

  it('keeps full precision where A is within 1e-16 of 1 (q=1e-6, sigma=100, 1e7 steps)', () => {
    // References: mpmath 1.3.0 at 60 digits, exact binomial sum. Summing the terms directly, as
    // dp_accounting does, gives 5.120338e-7 at order 1024 (1.6e-5 relative error; dp_accounting's
    // _compute_log_a_int ported to Python, scipy 1.17.1) and can go negative.
    const rdp = computeRdp({ q: 1e-6, sigma: 100, steps: 1e7 }, { orders: [2, 3, 1024] });
    expectClose(rdp[0]!, 1.0000500016667082e-9, 1e-12);
    expectClose(rdp[1]!, 1.500075002650082e-9, 1e-12);
    expectClose(rdp[2]!, 5.120256531866868e-7, 1e-12);
  });

  it('keeps fractional orders accurate there too', () => {
    // log A(1.5) for q=1e-6, sigma=100: 3.762691275e-17, the same absolute series summed over 3000 terms
    // in mpmath 1.3.0 at 60 digits; the rounding left is 4e-6 relative.
    expectClose(logAFractional(1e-6, 100, 1.5), 3.762691275e-17, 1e-5);
  });
});
