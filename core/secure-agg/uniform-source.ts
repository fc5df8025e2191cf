/**
 * Uniform random numbers in [0, 1) for stochastic rounding, from node:crypto. Production
 * has only the system source; the seeded source for reproducible tests lives under
 * test/core/secure-agg/ so no production path can reach it.
 */
import { randomFillSync } from 'node:crypto';
import { uniformFromWords } from '../crypto/uniform.ts';

export interface UniformSource {
  /** Fills `out` with independent uniforms in [0, 1), 53 bits each. */
  fill(out: Float64Array): void;
}

/** Turns 2 * out.length uniform 32-bit words into out.length uniforms of 53 bits each. */
export function uniformsFromWords(words: Uint32Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = uniformFromWords(words[2 * i] as number, words[2 * i + 1] as number);
}

/** The system CSPRNG (crypto.randomFillSync). */
export const cryptoUniformSource: UniformSource = {
  fill(out: Float64Array): void {
    const words = new Uint32Array(out.length * 2);
    randomFillSync(words);
    uniformsFromWords(words, out);
  },
};
