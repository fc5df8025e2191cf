/** Random 32-bit words to uniform doubles: the one conversion every sampler here uses. */

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;

/**
 * A uniform double in [0, 1) with 53 random bits (every multiple of 2^-53) from two
 * uniform 32-bit words: 27 bits of the first, 26 of the second.
 */
export function uniformFromWords(high: number, low: number): number {
  return ((high >>> 5) * TWO_POW_26 + (low >>> 6)) / TWO_POW_53;
}
