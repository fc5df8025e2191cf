/**
 * Uniform random numbers in [0, 1) for stochastic rounding, from node:crypto. The seeded
 * source exists for reproducible tests and benchmarks only: rounding noise an observer can
 * predict leaks nothing about the key, but production sites use the system source.
 */
import { createCipheriv, createHash, randomFillSync } from 'node:crypto';

export interface UniformSource {
  /** Fills `out` with independent uniforms in [0, 1), 53 bits each. */
  fill(out: Float64Array): void;
}

const TWO_POW_26 = 67_108_864;
const TWO_POW_53 = 9_007_199_254_740_992;

function fillFromWords(words: Uint32Array, out: Float64Array): void {
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
    fillFromWords(words, out);
  },
};

/** A reproducible source: the AES-256-CTR keystream under key SHA-256(seed). Tests only. */
export function seededUniformSource(seed: string): UniformSource {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return {
    fill(out: Float64Array): void {
      const stream = cipher.update(Buffer.alloc(out.length * 8));
      const words = new Uint32Array(stream.buffer, stream.byteOffset, out.length * 2);
      fillFromWords(words.slice(), out);
    },
  };
}
