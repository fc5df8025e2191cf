import { describe, expect, it } from 'vitest';
import { GaussianSampler, type GaussianSource } from '../../../core/privacy/gaussian.ts';
import { privatizeUpdate, siteNoiseStd, updateNoiseMultiplier } from '../../../core/privacy/site-dp.ts';

/** A noise source that adds nothing: isolates the clipping. */
const NO_NOISE: GaussianSource = {
  standardNormal: () => 0,
  fillGaussian: (out) => out.fill(0),
};

/** Variance about zero of every coordinate of every draw (the noise has mean 0). */
function varianceAboutZero(draws: readonly Float64Array[]): number {
  let sum = 0;
  let n = 0;
  for (const d of draws) {
    for (const v of d) {
      sum += v * v;
      n++;
    }
  }
  return sum / n;
}

describe('privatizeUpdate', () => {
  it('scales an update longer than S down to norm S', () => {
    const r = privatizeUpdate(Float32Array.from([3, 4]), { clipNorm: 1, noiseStd: 0, rng: NO_NOISE });
    expect(r.norm).toBe(5);
    expect(r.wasClipped).toBe(true);
    expect(r.clipped[0]).toBeCloseTo(0.6, 15);
    expect(r.clipped[1]).toBeCloseTo(0.8, 15);
  });

  it('leaves an update of norm at most S unchanged (norm exactly S is not clipped)', () => {
    const r = privatizeUpdate(Float64Array.from([0.3, 0.4]), { clipNorm: 1, noiseStd: 0, rng: NO_NOISE });
    expect([...r.clipped]).toEqual([0.3, 0.4]);
    expect(r.wasClipped).toBe(false);
    const exact = privatizeUpdate(Float64Array.from([0, 2]), { clipNorm: 2, noiseStd: 0, rng: NO_NOISE });
    expect(exact.wasClipped).toBe(false);
    expect([...exact.clipped]).toEqual([0, 2]);
  });

  it('computes the norm without overflow for very large coordinates', () => {
    const r = privatizeUpdate(Float64Array.from([1e200, 1e200]), { clipNorm: Math.SQRT2, noiseStd: 0, rng: NO_NOISE });
    expect(r.norm).toBeCloseTo(Math.SQRT2 * 1e200, -186);
    expect(r.clipped[0]).toBeCloseTo(1, 14);
  });

  it('refuses an update holding NaN with COHORT_E_PRIVACY_UPDATE_NOT_FINITE, naming only the index', () => {
    expect(() => privatizeUpdate(Float32Array.from([1, NaN]), { clipNorm: 1, noiseStd: 0, rng: NO_NOISE })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_UPDATE_NOT_FINITE', message: 'update: coordinate 1 is not a finite number', details: { index: 1 } }),
    );
  });

  it('refuses a clip norm <= 0 with COHORT_E_PRIVACY_INVALID_ARGUMENT', () => {
    expect(() => privatizeUpdate(Float32Array.from([1]), { clipNorm: 0, noiseStd: 0, rng: NO_NOISE })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'clipNorm: expected a finite number > 0, got 0' }),
    );
  });

  it('adds noise once per call: the sum over K sites of privatized zero updates has variance (z S)^2', () => {
    // Arrange: K = 5 sites, z = 1.3, S = 0.7, 40 rounds of a 1000-parameter update (40k coordinates).
    const K = 5;
    const z = 1.3;
    const S = 0.7;
    const rng = GaussianSampler.seededForTests('site-sum');
    const std = siteNoiseStd(z, S, K);
    const sums = (noiseCallsPerSite: (site: number) => number): Float64Array[] =>
      Array.from({ length: 40 }, () => {
        const sum = new Float64Array(1000);
        for (let k = 0; k < K; k++) {
          for (let c = 0; c < noiseCallsPerSite(k); c++) {
            const { clipped } = privatizeUpdate(new Float32Array(1000), { clipNorm: S, noiseStd: std, rng });
            clipped.forEach((v, i) => (sum[i] = sum[i]! + v));
          }
        }
        return sum;
      });

    // Act / assert: relative standard error of the variance is sqrt(2 / 40000) = 0.0071; bound 3.5%.
    const expected = (z * S) ** 2;
    expect(Math.abs(varianceAboutZero(sums(() => 1)) / expected - 1)).toBeLessThan(0.035);
    // The same bound rejects one site that forgets its noise (4/5 of the variance) or adds it twice (6/5).
    expect(Math.abs(varianceAboutZero(sums((k) => (k === 0 ? 0 : 1))) / expected - 1)).toBeGreaterThan(0.035);
    expect(Math.abs(varianceAboutZero(sums((k) => (k === 0 ? 2 : 1))) / expected - 1)).toBeGreaterThan(0.035);
  });

  it('keeps the clipped update as the mean of the noised one', () => {
    const rng = GaussianSampler.seededForTests('mean');
    const draws = Array.from({ length: 20_000 }, () => privatizeUpdate(Float64Array.from([6, 8]), { clipNorm: 1, noiseStd: 0.5, rng }).clipped);
    const mean0 = draws.reduce((s, d) => s + d[0]!, 0) / draws.length;
    const mean1 = draws.reduce((s, d) => s + d[1]!, 0) / draws.length;
    // Standard error 0.5 / sqrt(20000) = 0.0035.
    expect(Math.abs(mean0 - 0.6)).toBeLessThan(0.015);
    expect(Math.abs(mean1 - 0.8)).toBeLessThan(0.015);
  });
});

describe('siteNoiseStd', () => {
  it('is z_delta * S / sqrt(K)', () => {
    expect(siteNoiseStd(1.2, 0.5, 4)).toBe(0.3);
    expect(siteNoiseStd(2, 3, 1)).toBe(6);
  });

  it('refuses a site count that is not a positive integer', () => {
    expect(() => siteNoiseStd(1, 1, 0)).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'sites: expected a positive integer, got 0' }));
  });
});

describe('updateNoiseMultiplier', () => {
  it('is z itself with fixed clipping', () => {
    expect(updateNoiseMultiplier({ noiseMultiplier: 0.9, clipNorm: 1 })).toBe(0.9);
  });

  it('is what the count leaves of z with adaptive clipping', () => {
    const adaptive = { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 1, maxClipNorm: 10 };
    // (1^-2 - 2^-2)^(-1/2) = (3/4)^(-1/2) = 2 / sqrt(3).
    expect(updateNoiseMultiplier({ noiseMultiplier: 1, clipNorm: 1, adaptive })).toBeCloseTo(2 / Math.sqrt(3), 15);
  });
});
