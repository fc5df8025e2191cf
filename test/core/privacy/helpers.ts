import { expect } from 'vitest';

/** Asserts |actual - expected| <= rel * |expected| (+ abs), with a message that shows both numbers. */
export function expectClose(actual: number, expected: number, rel: number, abs = 0): void {
  const tolerance = rel * Math.abs(expected) + abs;
  const diff = Math.abs(actual - expected);
  expect(diff <= tolerance, `expected ${actual} within ${tolerance} of ${expected} (diff ${diff})`).toBe(true);
}
