/**
 * Uniform random numbers in [0, 1) for stochastic rounding, from node:crypto. Production
 * has only the system source; the seeded source for reproducible tests lives under
 * test/core/secure-agg/ so no production path can reach it.
 */
import { randomFillSync } from 'node:crypto';

export interface UniformSource {
  /** Fills `out` with independent uniforms in [0, 1), 53 bits each. */
  fill(out: Float64Array): void;
}

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;

/** Turns 2 * out.length uniform 32-bit words into out.length uniforms of 53 bits each. */
export function uniformsFromWords(words: Uint32Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const hi = (words[2 * i] as number) >>> 5; // 27 bits
    const lo = (words[2 * i + 1] as number) >>> 6; // 26 bits
    out[i] = (hi * TWO_POW_26 + lo) / TWO_POW_53;
  }
}

/** The system CSPRNG (crypto.randomFillSync). */
export const cryptoUniformSource: UniformSource = {
  fill(out: Float64Array): void {
    const words = new Uint32Array(out.length * 2);
    randomFillSync(words);
    uniformsFromWords(words, out);
  },
};
