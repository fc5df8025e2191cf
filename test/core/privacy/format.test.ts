import { describe, expect, it } from 'vitest';
import { formatPrivacy } from '../../../core/privacy/format.ts';

describe('formatPrivacy', () => {
  it('rounds up, never down, at the digits asked for', () => {
    expect(formatPrivacy(30.054005)).toBe('30.0541');
    expect(formatPrivacy(30.054005, 7)).toBe('30.05401');
    expect(formatPrivacy(1294.88)).toBe('1294.88');
    expect(formatPrivacy(0.00049999999)).toBe('0.0005');
    expect(formatPrivacy(1e-5)).toBe('0.00001');
    expect(formatPrivacy(6.599999)).toBe('6.6');
    expect(formatPrivacy(2)).toBe('2');
  });

  it('says unbounded for no guarantee, and 0 for nothing spent', () => {
    expect([formatPrivacy(Infinity), formatPrivacy(Number.NaN), formatPrivacy(0)]).toEqual(['unbounded', 'unbounded', '0']);
  });
});
