import { describe, expect, it } from 'vitest';
import {
  adaptiveUpdateNoiseMultiplier,
  countNoiseStd,
  MIN_CLIP_NORM,
  nextClipNorm,
  noisedUnclippedShare,
  unclippedIndicator,
} from '../../../core/privacy/adaptive-clipping.ts';
import { GaussianSampler, type GaussianSource } from '../../../core/privacy/gaussian.ts';

const ADAPTIVE = { targetQuantile: 0.5, learningRate: 0.2, maxClipNorm: 10 };

/** A noise source whose every standard normal is `z`. */
const constantNormal = (z: number): GaussianSource => ({ standardNormal: () => z, fillGaussian: (out, std) => out.fill(std * z) });

describe('adaptiveUpdateNoiseMultiplier', () => {
  it('is (z^-2 - (2 sigma_b)^-2)^(-1/2) on known numbers', () => {
    // z = 1, sigma_b = 1: (1 - 1/4)^(-1/2) = 2 / sqrt(3).
    expect(adaptiveUpdateNoiseMultiplier(1, 1)).toBeCloseTo(1.1547005383792515, 15);
    // Andrew et al.'s setting sigma_b = m / 20 with m = 100 clients: z = 1, sigma_b = 5 -> (1 - 1/100)^(-1/2).
    expect(adaptiveUpdateNoiseMultiplier(1, 5)).toBeCloseTo(1.0050378152592121, 15);
    // z = 0.6, sigma_b = 0.5: (1/0.36 - 1)^(-1/2) = 0.75.
    expect(adaptiveUpdateNoiseMultiplier(0.6, 0.5)).toBeCloseTo(0.75, 15);
  });

  it('keeps the privacy of z: update and count multipliers compose back to z', () => {
    const zDelta = adaptiveUpdateNoiseMultiplier(1.7, 2.3);
    expect((zDelta ** -2 + (2 * 2.3) ** -2) ** -0.5).toBeCloseTo(1.7, 14);
  });

  it.each([
    [0.5, 0.25],
    [1, 0.4],
    [1, 0],
  ])('refuses z = %d with sigma_b = %d (sigma_b <= z / 2) with COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL', (z, sigmaB) => {
    expect(() => adaptiveUpdateNoiseMultiplier(z, sigmaB)).toThrow(
      expect.objectContaining({
        code: 'COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL',
        message:
          `privacy.site.adaptive.countNoiseMultiplier: ${sigmaB} leaves no privacy for the update at ` +
          `privacy.site.noiseMultiplier ${z}; expected a value above ${z / 2} (half the noise multiplier)`,
      }),
    );
  });
});

describe('the site share of the clipped count', () => {
  it('counts an update as unclipped when its norm is at most S', () => {
    expect(unclippedIndicator(1, 1)).toBe(1);
    expect(unclippedIndicator(0.2, 1)).toBe(1);
    expect(unclippedIndicator(1.0000001, 1)).toBe(0);
  });

  it('adds N(0, sigma_b^2 / K) to b_k', () => {
    expect(countNoiseStd(2, 4)).toBe(1);
    expect(noisedUnclippedShare({ norm: 0.5, clipNorm: 1, countNoiseMultiplier: 2, sites: 4, rng: constantNormal(0.25) })).toBe(1.25);
    expect(noisedUnclippedShare({ norm: 3, clipNorm: 1, countNoiseMultiplier: 2, sites: 4, rng: constantNormal(-0.5) })).toBe(-0.5);
  });

  it('sums over K sites to the true count plus noise of variance sigma_b^2', () => {
    const rng = GaussianSampler.seededForTests('count');
    const K = 4;
    const sigmaB = 1.5;
    const norms = [0.5, 2, 0.9, 3]; // two unclipped at S = 1
    let sumSq = 0;
    const rounds = 20_000;
    for (let r = 0; r < rounds; r++) {
      const total = norms.reduce((s, norm) => s + noisedUnclippedShare({ norm, clipNorm: 1, countNoiseMultiplier: sigmaB, sites: K, rng }), 0);
      sumSq += (total - 2) ** 2;
    }
    // Relative standard error sqrt(2 / 20000) = 0.01; one site missing its share would give 0.75.
    expect(Math.abs(sumSq / rounds / sigmaB ** 2 - 1)).toBeLessThan(0.045);
  });
});

describe('nextClipNorm', () => {
  it('applies S * exp(-eta * (b~ - gamma)) to the decrypted sum', () => {
    // 3 of 4 unclipped: b~ = 0.75 above gamma = 0.5, so S shrinks by exp(-0.2 * 0.25).
    expect(nextClipNorm({ clipNorm: 1, noisedUnclippedSum: 3, sites: 4, adaptive: ADAPTIVE })).toEqual({
      unclippedFraction: 0.75,
      clipNorm: Math.exp(-0.05),
    });
    expect(Math.exp(-0.05)).toBeCloseTo(0.951229424500714, 15);
    // 1 of 4 unclipped: S grows by exp(0.05).
    expect(nextClipNorm({ clipNorm: 2, noisedUnclippedSum: 1, sites: 4, adaptive: ADAPTIVE }).clipNorm).toBeCloseTo(2 * 1.0512710963760241, 14);
  });

  it('clamps to [MIN_CLIP_NORM, maxClipNorm]', () => {
    expect(nextClipNorm({ clipNorm: 9, noisedUnclippedSum: -40, sites: 4, adaptive: ADAPTIVE }).clipNorm).toBe(10);
    expect(nextClipNorm({ clipNorm: 1e-11, noisedUnclippedSum: 400, sites: 4, adaptive: ADAPTIVE }).clipNorm).toBe(MIN_CLIP_NORM);
  });

  it('is deterministic: every site computes the same S from the same sum', () => {
    const a = nextClipNorm({ clipNorm: 0.37, noisedUnclippedSum: 2.718, sites: 7, adaptive: ADAPTIVE });
    const b = nextClipNorm({ clipNorm: 0.37, noisedUnclippedSum: 2.718, sites: 7, adaptive: ADAPTIVE });
    expect(a).toEqual(b);
  });

  it('refuses a target quantile outside [0, 1] naming the spec field', () => {
    expect(() => nextClipNorm({ clipNorm: 1, noisedUnclippedSum: 1, sites: 2, adaptive: { ...ADAPTIVE, targetQuantile: 1.5 } })).toThrow(
      expect.objectContaining({
        code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT',
        message: 'privacy.site.adaptive.targetQuantile: expected a number in [0, 1], got 1.5',
      }),
    );
  });
});
