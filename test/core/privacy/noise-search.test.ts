import { describe, expect, it } from 'vitest';
import { computeEpsilon, MAX_NOISE_MULTIPLIER, noiseForTargetEpsilon } from '../../../core/privacy/index.ts';
import { PrivacyErrors } from '../../../core/errors/index.ts';
import { expectClose } from './helpers.ts';

const OPACUS_ALPHAS = [...Array.from({ length: 99 }, (_, k) => 1 + (k + 1) / 10), ...Array.from({ length: 52 }, (_, k) => 12 + k)];

/**
 * Opacus's get_noise_multiplier (opacus/accountants/utils.py) as published: double sigma from 10 until
 * epsilon < target, then bisect sigma until target - epsilon(sigma_high) <= 0.01; return sigma_high.
 * Run on our epsilon with Opacus's orders and signed series, it must land on Opacus's published answers.
 */
function opacusNoiseMultiplier(targetEpsilon: number, delta: number, q: number, steps: number): number {
  const eps = (sigma: number) => computeEpsilon({ q, sigma, steps, delta }, { orders: OPACUS_ALPHAS, fractionalSeries: 'signed' }).epsilon;
  let low = 0;
  let high = 10;
  let epsHigh = Infinity;
  while (epsHigh > targetEpsilon) {
    high *= 2;
    epsHigh = eps(high);
  }
  while (targetEpsilon - epsHigh > 0.01) {
    const mid = (low + high) / 2;
    const e = eps(mid);
    if (e < targetEpsilon) {
      high = mid;
      epsHigh = e;
    } else {
      low = mid;
    }
  }
  return high;
}

describe('noiseForTargetEpsilon', () => {
  it.each([
    { targetEpsilon: 8, q: 0.04, steps: 2250, delta: 1e-5 },
    { targetEpsilon: 1, q: 0.01, steps: 10000, delta: 1e-6 },
    { targetEpsilon: 0.5, q: 1e-3, steps: 100, delta: 1e-5 },
    { targetEpsilon: 3, q: 1, steps: 1, delta: 1e-5 },
    { targetEpsilon: 50, q: 0.2, steps: 10, delta: 1e-5 },
  ])('for $targetEpsilon at q=$q over $steps steps: its sigma meets the target and sigma x (1 - 1e-3) does not', (input) => {
    const found = noiseForTargetEpsilon(input);
    const at = (sigma: number) => computeEpsilon({ q: input.q, sigma, steps: input.steps, delta: input.delta }).epsilon;
    expect(found.epsilon).toBeLessThanOrEqual(input.targetEpsilon);
    expect(at(found.noiseMultiplier)).toBe(found.epsilon);
    expect(at(found.noiseMultiplier * (1 - 1e-3))).toBeGreaterThan(input.targetEpsilon);
    // Tolerance: 1e-6 relative on sigma.
    expect(at(found.noiseMultiplier / (1 + 2e-6))).toBeGreaterThan(input.targetEpsilon);
  });

  it("agrees with Opacus's published noise multipliers 1.416 (90 epochs) and 1.3562 (2000 steps)", () => {
    // pytorch/opacus opacus/tests/accountants_test.py: test_get_noise_multiplier_rdp_epochs (epsilon 8,
    // delta 1e-5, q 0.04, 90 epochs -> 2250 steps; 1.416, 4 places) and test_get_noise_multiplier_rdp_steps
    // (2000 steps; 1.3562, 4 places).
    expectClose(opacusNoiseMultiplier(8, 1e-5, 0.04, 2250), 1.416, 0, 5e-5);
    expectClose(opacusNoiseMultiplier(8, 1e-5, 0.04, 2000), 1.3562, 0, 5e-5);
    // Ours searches to 1e-6 relative rather than to 0.01 in epsilon, so it finds a hair less noise.
    const ours = noiseForTargetEpsilon({ targetEpsilon: 8, q: 0.04, steps: 2250, delta: 1e-5 });
    expect(ours.noiseMultiplier).toBeLessThan(1.416015625);
    expect(ours.noiseMultiplier).toBeGreaterThan(1.41);
  });

  it('returns 0 when no noise is needed (q = 0 or no steps)', () => {
    expect(noiseForTargetEpsilon({ targetEpsilon: 1, q: 0, steps: 100, delta: 1e-5 }).noiseMultiplier).toBe(0);
    expect(noiseForTargetEpsilon({ targetEpsilon: 0, q: 0.5, steps: 0, delta: 1e-5 }).noiseMultiplier).toBe(0);
  });

  it('throws COHORT_E_PRIVACY_TARGET_UNREACHABLE when even sigma = 1e4 misses the target', () => {
    expect(MAX_NOISE_MULTIPLIER).toBe(1e4);
    expect(() => noiseForTargetEpsilon({ targetEpsilon: 0.1, q: 1, steps: 1e7, delta: 1e-5 })).toThrow(
      expect.objectContaining({ code: PrivacyErrors.TARGET_UNREACHABLE.code, grpc: PrivacyErrors.TARGET_UNREACHABLE.grpc }),
    );
    // Epsilon 0 needs RDP below about delta^2 at some order (the KL bound): one step at q=0.01 gets
    // there with enough noise, 1000 steps at q=0.5 do not (epsilon 0.0048 at sigma 1e4).
    expect(noiseForTargetEpsilon({ targetEpsilon: 0, q: 0.01, steps: 1, delta: 1e-5 }).epsilon).toBe(0);
    expect(() => noiseForTargetEpsilon({ targetEpsilon: 0, q: 0.5, steps: 1000, delta: 1e-5 })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_TARGET_UNREACHABLE' }),
    );
  });

  it('rejects bad arguments naming them', () => {
    const code = PrivacyErrors.INVALID_ARGUMENT.code;
    expect(() => noiseForTargetEpsilon({ targetEpsilon: -1, q: 0.1, steps: 1, delta: 1e-5 })).toThrow(
      expect.objectContaining({ code, message: 'targetEpsilon: expected a finite number >= 0, got -1' }),
    );
    expect(() => noiseForTargetEpsilon({ targetEpsilon: 1, q: 2, steps: 1, delta: 1e-5 })).toThrow(
      expect.objectContaining({ code, message: 'q: expected a number in [0, 1], got 2' }),
    );
    expect(() => noiseForTargetEpsilon({ targetEpsilon: 1, q: 0.1, steps: 1, delta: 1 })).toThrow(
      expect.objectContaining({ code, message: 'delta: expected a number in (0, 1), got 1' }),
    );
  });
});
