import { describe, expect, it } from 'vitest';
import { isMissing, levelIndex, matchesLevel, parseDecimal } from '../../../site-agent/data/cell-values.ts';

describe('cell values', () => {
  it('treats empty, ?, NA, N/A and NaN (trimmed) as missing, and nothing else', () => {
    expect(['', '  ', '?', 'NA', ' N/A ', 'NaN'].map(isMissing)).toEqual([true, true, true, true, true, true]);
    expect(['0', 'na', 'none', '-'].map(isMissing)).toEqual([false, false, false, false]);
  });

  it('parses plain decimals only', () => {
    expect(['63', '-1.5', '+2', '.7', '1e3', ' 4.0 ', '0'].map(parseDecimal)).toEqual([63, -1.5, 2, 0.7, 1000, 4, 0]);
    expect(['', 'abc', '0x1f', 'Infinity', '1,5', '12a', '1e999'].map(parseDecimal)).toEqual([
      undefined, undefined, undefined, undefined, undefined, undefined, undefined,
    ]);
  });

  it('matches numeric levels by value and string levels exactly', () => {
    expect([matchesLevel('1', 1), matchesLevel('1.0', 1), matchesLevel('+1', 1), matchesLevel('2', 1)]).toEqual([true, true, true, false]);
    expect([matchesLevel('male', 'male'), matchesLevel('Male', 'male'), matchesLevel(' male ', 'male')]).toEqual([true, false, true]);
    expect(matchesLevel('1.0', '1')).toBe(true);
    expect(levelIndex('4.0', [1, 2, 3, 4])).toBe(3);
    expect(levelIndex('5', [1, 2, 3, 4])).toBe(-1);
  });
});
