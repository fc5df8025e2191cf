import { describe, expect, it } from 'vitest';
import { log1mExp, logAdd, signedLogAdd } from '../../../core/privacy/log-math.ts';
import { expectClose } from './helpers.ts';

describe('logAdd', () => {
  it('adds numbers held as logarithms', () => {
    expectClose(logAdd(Math.log(2), Math.log(3)), Math.log(5), 1e-15);
  });

  it('treats -Infinity as zero', () => {
    expect(logAdd(-Infinity, 7.5)).toBe(7.5);
    expect(logAdd(-Infinity, -Infinity)).toBe(-Infinity);
  });

  it('does not overflow where exp would', () => {
    expectClose(logAdd(1e6, 1e6), 1e6 + Math.LN2, 1e-15);
    expect(logAdd(1e6, 0)).toBe(1e6);
  });
});

describe('signedLogAdd', () => {
  it('subtracts when the signs differ, keeping the sign of the larger magnitude', () => {
    const r = signedLogAdd({ positive: true, logAbs: Math.log(2) }, { positive: false, logAbs: Math.log(5) });
    expect(r.positive).toBe(false);
    expectClose(r.logAbs, Math.log(3), 1e-15);
  });

  it('gives an exact zero for equal magnitudes of opposite sign', () => {
    const r = signedLogAdd({ positive: true, logAbs: 3 }, { positive: false, logAbs: 3 });
    expect(r.logAbs).toBe(-Infinity);
  });

  it('keeps precision for nearly cancelling terms', () => {
    // 1 - (1 - 1e-12) = 1e-12
    const r = signedLogAdd({ positive: true, logAbs: 0 }, { positive: false, logAbs: Math.log1p(-1e-12) });
    expectClose(r.logAbs, Math.log(1e-12), 1e-4);
  });
});

describe('log1mExp', () => {
  it('is accurate on both sides of -log 2', () => {
    expectClose(log1mExp(-1e-10), Math.log(1e-10), 1e-9);
    expectClose(log1mExp(-50), -Math.exp(-50), 1e-15);
  });
});
