import { describe, expect, it } from 'vitest';
import { deriveSeed, mulberry32, shuffledIndices } from '../../models/seeded-random.ts';

describe('mulberry32', () => {
  it('matches the reference implementation\'s first output for seed 1', () => {
    // bryc's public-domain mulberry32 (github.com/bryc/code, PRNGs.md) returns this for seed 1.
    expect(mulberry32(1)()).toBe(0.6270739405881613);
  });

  it('repeats its stream for the same seed and differs for another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = [a(), a(), a()];

    expect([b(), b(), b()]).toEqual(first);
    expect(first).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    expect(c()).not.toBe(first[0]);
  });

  it('stays in [0, 1)', () => {
    const rng = mulberry32(7);
    const values = Array.from({ length: 10_000 }, rng);

    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
  });
});

describe('deriveSeed', () => {
  it('gives different 32-bit seeds for different parts and the same for the same parts', () => {
    expect(deriveSeed(42, 1)).toBe(1197473426);
    expect(deriveSeed(42, 2)).toBe(153059478);
    expect(deriveSeed(42, 1, 0)).toBe(957524692);
    expect(deriveSeed(42, 1)).toBe(deriveSeed(42, 1));
  });
});

describe('shuffledIndices', () => {
  it('returns a permutation of 0..n-1, the same for the same seed', () => {
    const p = shuffledIndices(100, mulberry32(5));

    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).toEqual(shuffledIndices(100, mulberry32(5)));
    expect(p).not.toEqual(shuffledIndices(100, mulberry32(6)));
  });

  it('does not change between versions (every site\'s train/test split depends on it)', () => {
    expect([...shuffledIndices(10, mulberry32(5))]).toEqual([5, 3, 7, 8, 2, 0, 4, 1, 9, 6]);
  });
});
