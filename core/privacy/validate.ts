/**
 * Argument checks shared by the accountant, the conversions and the noise search.
 * Each throws COHORT_E_PRIVACY_INVALID_ARGUMENT naming the parameter and its range.
 */
import { CohortError, PrivacyErrors } from '../errors/index.ts';

/** The coded refusal of an argument: its name, the range expected, the value given. */
export function invalid(name: string, expected: string, value: unknown): CohortError {
  return new CohortError(PrivacyErrors.INVALID_ARGUMENT, `${name}: expected ${expected}, got ${String(value)}`, {
    details: { parameter: name, expected },
  });
}

/** Sampling rate q of Poisson subsampling: a number in [0, 1]. */
export function checkSamplingRate(q: unknown, name = 'samplingRate'): number {
  if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw invalid(name, 'a number in [0, 1]', q);
  return q;
}

/** Noise multiplier sigma (noise standard deviation over sensitivity): finite and >= 0. */
export function checkNoiseMultiplier(sigma: unknown, name = 'noiseMultiplier'): number {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) {
    throw invalid(name, 'a finite number >= 0', sigma);
  }
  return sigma;
}

/** Number of steps: a non-negative safe integer. */
export function checkSteps(steps: unknown, name = 'steps'): number {
  if (typeof steps !== 'number' || !Number.isSafeInteger(steps) || steps < 0) {
    throw invalid(name, 'a non-negative integer', steps);
  }
  return steps;
}

/** Target delta: strictly between 0 and 1. */
export function checkDelta(delta: unknown, name = 'delta'): number {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw invalid(name, 'a number in (0, 1)', delta);
  return delta;
}

/** Target epsilon: finite and >= 0 (strictly > 0 when `positive`). */
export function checkEpsilon(epsilon: unknown, name = 'epsilon', positive = false): number {
  const ok = typeof epsilon === 'number' && Number.isFinite(epsilon) && (positive ? epsilon > 0 : epsilon >= 0);
  if (!ok) throw invalid(name, positive ? 'a finite number > 0' : 'a finite number >= 0', epsilon);
  return epsilon as number;
}

/**
 * RDP orders: a non-empty list of numbers > 1 (Infinity allowed). The conversions
 * also accept order 1 (the KL divergence), as dp_accounting does.
 */
export function checkOrders(orders: unknown, name = 'orders', allowOne = false): readonly number[] {
  const expected = allowOne ? 'a number >= 1' : 'a number > 1';
  if (!Array.isArray(orders) || orders.length === 0) throw invalid(name, `a non-empty array, each ${expected}`, orders);
  orders.forEach((a: unknown, i) => {
    if (typeof a !== 'number' || !(allowOne ? a >= 1 : a > 1)) throw invalid(`${name}[${i}]`, expected, a);
  });
  return orders as number[];
}

/** A finite number > 0 (clip norms, learning rates, caps). */
export function checkPositive(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0) throw invalid(name, 'a finite number > 0', x);
  return x;
}

/** A positive safe integer (records, sites, batch size, epochs). */
export function checkPositiveInteger(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) throw invalid(name, 'a positive integer', x);
  return x;
}
