import { describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../core/errors/index.ts';
import { clipToNorm, l2Norm, quantizeWeightedUpdate, stochasticRound } from '../../../core/secure-agg/quantize.ts';
import { seededUniformSource } from './bfv-fixtures.ts';

describe('clipToNorm', () => {
  it('scales a vector over the bound down to the bound, keeping its direction', () => {
    const v = Float64Array.of(3, 4); // norm 5
    const clipped = clipToNorm(v, 1);
    expect(l2Norm(clipped)).toBeLessThanOrEqual(1);
    expect(clipped[0]).toBeCloseTo(0.6, 12);
    expect(clipped[1]).toBeCloseTo(0.8, 12);
    expect(Array.from(v)).toEqual([3, 4]); // input untouched
  });

  it('keeps the bound after float32 rounding', () => {
    const v = new Float32Array(10_000);
    for (let i = 0; i < v.length; i++) v[i] = Math.sin(i) * 3;
    const clipped = clipToNorm(v, 0.7);
    expect(clipped).toBeInstanceOf(Float32Array);
    expect(l2Norm(clipped)).toBeLessThanOrEqual(0.7);
    expect(l2Norm(clipped)).toBeGreaterThan(0.7 * (1 - 1e-5));
  });

  it('returns an equal copy of a vector already within the bound', () => {
    const v = Float32Array.of(0.1, -0.2);
    const clipped = clipToNorm(v, 1);
    expect(clipped).not.toBe(v);
    expect(Array.from(clipped)).toEqual(Array.from(v));
  });

  it('refuses a non-positive bound and non-finite entries', () => {
    expect(() => clipToNorm(Float64Array.of(1), 0)).toThrow(RangeError);
    expect(() => clipToNorm(Float64Array.of(1, Number.NaN), 1)).toThrow('non-finite value at index 1');
  });
});

describe('stochasticRound', () => {
  it('rounds up exactly when the uniform draw is below the fraction', () => {
    expect(stochasticRound(2.25, 0.2499)).toBe(3);
    expect(stochasticRound(2.25, 0.25)).toBe(2);
    expect(stochasticRound(-2.75, 0.2)).toBe(-2);
    expect(stochasticRound(-2.75, 0.3)).toBe(-3);
    expect(stochasticRound(7, 0)).toBe(7); // integers never move
  });

  it.each([0.3, -2.75, 1_000_000.5, -0.001])('is unbiased for %d over 200k seeded draws', (x) => {
    const draws = 200_000;
    const u = new Float64Array(draws);
    seededUniformSource(`unbiased ${x}`).fill(u);
    let sum = 0;
    let worst = 0;
    for (let i = 0; i < draws; i++) {
      const err = stochasticRound(x, u[i] as number) - x;
      worst = Math.max(worst, Math.abs(err));
      sum += err;
    }
    expect(worst).toBeLessThan(1);
    const frac = x - Math.floor(x);
    const sigma = Math.sqrt((frac * (1 - frac)) / draws); // std of the mean error
    expect(Math.abs(sum / draws)).toBeLessThan(4 * sigma);
  });
});

describe('seededUniformSource', () => {
  it('is reproducible and stays in [0, 1)', () => {
    const a = new Float64Array(1000);
    const b = new Float64Array(1000);
    seededUniformSource('s').fill(a);
    seededUniformSource('s').fill(b);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / a.length));
  });
});

describe('quantizeWeightedUpdate', () => {
  const options = { scale: 1024, maxAbsValue: 1, maxWeight: 100, clampOutOfRange: false, random: seededUniformSource('q') };

  it('quantizes each weighted value within one step and keeps the weight exact', () => {
    const v = Float64Array.of(12.3456, -49.99, 0, 50, 50); // w = 50, |delta| <= 1
    const q = quantizeWeightedUpdate(v, options);
    for (let i = 0; i < 4; i++) {
      expect(Number.isInteger(q[i])).toBe(true);
      expect(Math.abs((q[i] as number) / 1024 - (v[i] as number))).toBeLessThan(1 / 1024);
    }
    expect(q[4]).toBe(50);
  });

  it('refuses a coordinate beyond weight * maxAbsValue, naming its index', () => {
    const v = Float64Array.of(0, 10.5, 10); // w = 10, delta_1 = 1.05
    expect(() => quantizeWeightedUpdate(v, options)).toThrowError(expect.objectContaining({ code: SecureAggErrors.VALUE_RANGE.code, details: { index: 1, maxAbsValue: 1 } }));
  });

  it('clamps a coordinate beyond the bound when asked', () => {
    const q = quantizeWeightedUpdate(Float64Array.of(-10.5, 10), { ...options, clampOutOfRange: true });
    expect(q[0]).toBe(-10 * 1024);
  });

  it('absorbs float rounding just over the bound', () => {
    const q = quantizeWeightedUpdate(Float64Array.of(3 * (1 + 1e-12), 3), options);
    expect(q[0]).toBe(3 * 1024);
  });

  it('refuses a weight that is not an integer in 0..maxWeight', () => {
    for (const w of [2.5, -1, 101]) {
      expect(() => quantizeWeightedUpdate(Float64Array.of(0, w), options)).toThrowError(
        expect.objectContaining({ code: SecureAggErrors.VALUE_RANGE.code, details: { index: 1, maxWeight: 100 } }),
      );
    }
  });

  it('refuses a non-finite coordinate', () => {
    expect(() => quantizeWeightedUpdate(Float64Array.of(Number.NaN, 1), options)).toThrowError(expect.objectContaining({ code: SecureAggErrors.VALUE_RANGE.code }));
  });
});
