import { describe, expect, it } from 'vitest';
import { seededTestMask } from '../../../site-agent/data/split.ts';

const count = (mask: boolean[]): number => mask.filter(Boolean).length;

describe('seededTestMask', () => {
  it('holds out round(n * testFraction) rows', () => {
    expect(count(seededTestMask(10, 0.3, 42))).toBe(3);
    expect(count(seededTestMask(303, 0.34, 42))).toBe(103);
  });

  it('is a function of the seed alone', () => {
    expect(seededTestMask(50, 0.3, 7)).toEqual(seededTestMask(50, 0.3, 7));
    expect(seededTestMask(50, 0.3, 7)).not.toEqual(seededTestMask(50, 0.3, 8));
  });

  it('keeps at least one row on each side from two rows up', () => {
    expect(count(seededTestMask(2, 0.05, 1))).toBe(1);
    expect(count(seededTestMask(3, 0.5, 1))).toBe(2);
    expect(seededTestMask(1, 0.3, 1)).toEqual([false]);
  });
});
