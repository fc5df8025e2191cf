import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../models/seeded-random.ts';
import { cryptoUniform, poissonSample, seedFrom } from '../../../site-agent/training/poisson-sampling.ts';

describe('poissonSample', () => {
  it('takes q*n rows per step on average, with the binomial spread of independent draws (fixed seed)', () => {
    const rows = 10_000;
    const rate = 0.01;
    const steps = 200;
    const random = mulberry32(7);

    const sizes = Array.from({ length: steps }, () => poissonSample(rows, rate, random).length);

    // Total ~ Binomial(2e6, 0.01): mean 20000, sd 140.7; 4 sd either side.
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(Math.abs(total - 20_000)).toBeLessThan(563);
    // Per-step variance n q (1 - q) = 99 (a fixed batch size would give 0); its standard error here is ~10.
    const mean = total / steps;
    const variance = sizes.reduce((s, v) => s + (v - mean) ** 2, 0) / (steps - 1);
    expect(variance).toBeGreaterThan(60);
    expect(variance).toBeLessThan(140);
  });

  it('gives every row the same inclusion rate (fixed seed)', () => {
    const rows = 100;
    const counts = new Int32Array(rows);
    const random = mulberry32(11);

    for (let step = 0; step < 2000; step++) for (const row of poissonSample(rows, 0.3, random)) counts[row]!++;

    // Each count ~ Binomial(2000, 0.3): mean 600, sd 20.5; 5 sd either side for 100 rows.
    expect(Math.min(...counts)).toBeGreaterThan(600 - 103);
    expect(Math.max(...counts)).toBeLessThan(600 + 103);
  });

  it('returns increasing row indices without repeats', () => {
    const batch = poissonSample(1000, 0.2, mulberry32(3));

    expect(batch.length).toBeGreaterThan(0);
    for (let i = 1; i < batch.length; i++) expect(batch[i]!).toBeGreaterThan(batch[i - 1]!);
    expect(batch[batch.length - 1]!).toBeLessThan(1000);
  });

  it('returns an empty batch when no row is drawn', () => {
    const batch = poissonSample(10, 1e-4, mulberry32(1));

    expect(batch).toEqual(new Int32Array(0));
  });

  it('takes every row at rate 1', () => {
    expect(Array.from(poissonSample(5, 1, mulberry32(1)))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('cryptoUniform', () => {
  it('draws uniform doubles in [0, 1) across block refills', () => {
    const random = cryptoUniform();
    const draws = Array.from({ length: 50_000 }, random);

    // Mean of 50,000 uniforms: sd 0.0013; variance 1/12 with sd 0.0004.
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const variance = draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length;
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    expect(new Set(draws).size).toBe(draws.length);
  });

  it('gives two sources different streams (it is not seeded)', () => {
    const a = cryptoUniform();
    const b = cryptoUniform();

    expect([a(), a(), a()]).not.toEqual([b(), b(), b()]);
  });
});

describe('seedFrom', () => {
  it('maps a uniform draw to a 32-bit unsigned seed', () => {
    expect(seedFrom(() => 0)).toBe(0);
    expect(seedFrom(() => 0.5)).toBe(2 ** 31);
    expect(seedFrom(() => 1 - 2 ** -53)).toBe(2 ** 32 - 1);
  });
});
