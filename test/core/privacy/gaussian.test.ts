import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GaussianSampler } from '../../../core/privacy/gaussian.ts';

/** Sample mean, variance, and standardised third and fourth moments. */
function moments(x: Float64Array): { mean: number; variance: number; skew: number; kurtosis: number } {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of x) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  return { mean, variance: m2, skew: m3 / n / m2 ** 1.5, kurtosis: m4 / n / (m2 * m2) };
}

describe('GaussianSampler', () => {
  it('draws Box-Muller normals from the AES-256-CTR keystream under SHA-256 of the seed', () => {
    // Recompute the first pair by hand from node:crypto: key = SHA-256("cohort/gaussian-test-seed/" + seed), zero IV.
    const key = createHash('sha256').update('cohort/gaussian-test-seed/kat').digest();
    const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(16));
    const words = [0, 4, 8, 12].map((o) => stream.readUInt32LE(o));
    const u = (a: number, b: number): number => ((a >>> 5) * 2 ** 26 + (b >>> 6)) / 2 ** 53;
    const u1 = u(words[0]!, words[1]!);
    const u2 = u(words[2]!, words[3]!);
    const r = Math.sqrt(-2 * Math.log(1 - u1));
    const sampler = GaussianSampler.seededForTests('kat');
    expect(sampler.standardNormal()).toBe(r * Math.cos(2 * Math.PI * u2));
    expect(sampler.standardNormal()).toBe(r * Math.sin(2 * Math.PI * u2));
  });

  it('repeats a seeded stream exactly and separates different seeds', () => {
    const a = GaussianSampler.seededForTests('seed-1').fillGaussian(new Float64Array(5), 1);
    const b = GaussianSampler.seededForTests('seed-1').fillGaussian(new Float64Array(5), 1);
    const c = GaussianSampler.seededForTests('seed-2').fillGaussian(new Float64Array(5), 1);
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
  });

  it('gives two secure samplers independent streams (fresh random keys)', () => {
    const a = GaussianSampler.secure().fillGaussian(new Float64Array(4), 1);
    const b = GaussianSampler.secure().fillGaussian(new Float64Array(4), 1);
    expect([...a]).not.toEqual([...b]);
  });

  it('has the moments of N(0, 1) over 400k seeded draws, across keystream refills', () => {
    // Standard errors at n = 400k: mean 0.0016, variance 0.0022, skew 0.0039, kurtosis 0.0077;
    // the bounds are about 4 standard errors, so a scale off by 1% (variance off by 2%) fails.
    const x = GaussianSampler.seededForTests('moments').fillGaussian(new Float64Array(400_000), 1);
    const m = moments(x);
    expect(Math.abs(m.mean)).toBeLessThan(0.0065);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.009);
    expect(Math.abs(m.skew)).toBeLessThan(0.016);
    expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.031);
    // Tails: P(|Z| > 1.959964) = 0.05, standard error 0.00034.
    const tail = x.filter((v) => Math.abs(v) > 1.959963984540054).length / x.length;
    expect(Math.abs(tail - 0.05)).toBeLessThan(0.0014);
  });

  it('scales by std: fillGaussian(out, 2.5) has variance 6.25', () => {
    const x = GaussianSampler.seededForTests('scale').fillGaussian(new Float64Array(200_000), 2.5);
    // Relative standard error of the variance: sqrt(2 / n) = 0.0032.
    expect(Math.abs(moments(x).variance / 6.25 - 1)).toBeLessThan(0.013);
  });

  it('draws uniforms in [0, 1) with mean 1/2 and variance 1/12', () => {
    const s = GaussianSampler.seededForTests('uniform');
    const x = new Float64Array(200_000).map(() => s.uniform());
    expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
    const m = moments(x);
    // Standard errors: mean 0.00065, variance 0.00015.
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.0026);
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(0.0006);
  });

  it('refuses a negative or non-finite std with COHORT_E_PRIVACY_INVALID_ARGUMENT', () => {
    const s = GaussianSampler.seededForTests('bad');
    expect(() => s.fillGaussian(new Float64Array(1), -1)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'std: expected a finite number >= 0, got -1' }),
    );
    expect(() => s.fillGaussian(new Float64Array(1), NaN)).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT' }));
  });
});
