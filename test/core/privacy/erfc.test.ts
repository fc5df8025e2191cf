import { describe, expect, it } from 'vitest';
import { erfc, logErfc } from '../../../core/privacy/erfc.ts';
import { expectClose } from './helpers.ts';

// Reference values computed with mpmath 1.3.0 at 40 significant digits
// (mpmath.erfc, mpmath.log), written as the nearest doubles.
const REFERENCE: ReadonlyArray<readonly [x: number, erfc: number, logErfc: number]> = [
  [-3, 1.9999779095030015, 0.6931361352504468],
  [-1, 1.8427007929497148, 0.6112323176780705],
  [0, 1, 0],
  [0.1, 0.887537083981715, -0.11930497373739561],
  [0.46875, 0.507386526782062, -0.6784821856143961], // edge of Cody's first interval
  [0.5, 0.4795001221869535, -0.7350111298370844],
  [1, 0.15729920705028513, -1.8496055099332482],
  [2, 0.004677734981047266, -5.364941264616638],
  [3, 0.00002209049699858544, -10.720363041981113],
  [4, 1.541725790028002e-8, -17.987778312103007], // edge of Cody's second interval
  [5, 1.537459794428035e-12, -27.200889545537436],
  [10, 2.088487583762545e-45, -102.87988902484489],
];

// Far tail, where erfc underflows and its logarithm does not: mpmath 1.3.0 at 40 digits
// (mpmath.log(mpmath.erfc(x))), written as the nearest doubles.
const LOG_TAIL: ReadonlyArray<readonly [x: number, logErfc: number]> = [
  [27, -732.8688865078974],
  [30, -903.9741171106439],
  [100, -10005.177585122665],
  [1000, -1000007.4801207219],
  [-30, 0.6931471805599453],
];

describe('erfc', () => {
  it.each(REFERENCE)('erfc(%s) matches the 40-digit reference to 2e-15 relative', (x, expected) => {
    expectClose(erfc(x), expected, 2e-15);
  });

  it('is 0 beyond the double range and 2 far to the left', () => {
    expect(erfc(40)).toBe(0);
    expect(erfc(-40)).toBe(2);
  });

  it('satisfies erfc(-x) = 2 - erfc(x) across the interval boundaries', () => {
    for (const x of [0.2, 0.46875, 0.47, 1.5, 3.99, 4.01, 6]) {
      expectClose(erfc(-x), 2 - erfc(x), 1e-15);
    }
  });
});

describe('logErfc', () => {
  it.each(REFERENCE.filter(([x]) => x !== 0))('log(erfc(%s)) matches the reference to 2e-15 relative', (x, _e, expected) => {
    expectClose(logErfc(x), expected, 2e-15);
  });

  it('is exactly 0 at 0', () => {
    expect(logErfc(0) === 0).toBe(true);
  });

  it.each(LOG_TAIL)('log(erfc(%s)) stays finite and accurate in the tail', (x, expected) => {
    expectClose(logErfc(x), expected, 1e-15);
  });

  it('is -Infinity at +Infinity and log 2 at -Infinity', () => {
    expect(logErfc(Infinity)).toBe(-Infinity);
    expect(logErfc(-Infinity)).toBe(Math.LN2);
  });

  it('is strictly decreasing across the interval boundaries', () => {
    const xs = [-5, -4, -0.5, -0.46875, 0, 0.46875, 0.46876, 3.9999, 4, 4.0001, 50, 2000];
    const ys = xs.map(logErfc);
    for (let i = 1; i < ys.length; i++) expect(ys[i]!).toBeLessThan(ys[i - 1]!);
  });
});
