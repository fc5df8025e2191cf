/**
 * Poisson sampling for DP-SGD: every example joins a step's batch independently with
 * probability q, so the batch size itself is random (expected q*n, possibly 0). The
 * privacy accountant's subsampled-Gaussian bound assumes exactly this; shuffled
 * fixed-size batches would make the reported epsilon wrong.
 *
 * Production draws from node:crypto, so nobody who knows the site's seed can tell which
 * records a step used; tests inject a seeded source (`mulberry32` from
 * models/seeded-random.ts) to make a run reproducible.
 */
import { randomFillSync } from 'node:crypto';
import { uniformFromWords } from '../../core/crypto/uniform.ts';
import type { Rng } from '../../models/seeded-random.ts';

/** A source of uniform doubles in [0, 1); the same shape as models/seeded-random.ts's `Rng`. */
export type UniformSource = Rng;

/** Uniform doubles drawn per refill of this many 32-bit words (two per double). */
const CRYPTO_BLOCK_WORDS = 8192;

/**
 * A uniform source backed by node:crypto's CSPRNG. Each double has 53 random bits
 * (the full precision of a double in [0, 1)), so rates as small as 1e-9 are honoured.
 * Bytes are fetched in blocks because one `randomFillSync` per example would dominate
 * the sampling time.
 */
export function cryptoUniform(): UniformSource {
  const words = new Uint32Array(CRYPTO_BLOCK_WORDS);
  let next = CRYPTO_BLOCK_WORDS;
  return () => {
    if (next >= CRYPTO_BLOCK_WORDS) {
      randomFillSync(words);
      next = 0;
    }
    next += 2;
    return uniformFromWords(words[next - 2]!, words[next - 1]!);
  };
}

/** A 32-bit seed from a uniform source: from node:crypto in production, from the test's source in tests. */
export function seedFrom(random: UniformSource): number {
  return Math.floor(random() * 4294967296) >>> 0;
}

/**
 * The row indices of one Poisson-sampled batch, in increasing order: row i is taken when
 * a fresh uniform draw is below `rate`. One draw per row, so the rows are independent of
 * each other and of earlier steps. May be empty.
 */
export function poissonSample(rows: number, rate: number, random: UniformSource): Int32Array {
  const taken = new Int32Array(rows);
  let count = 0;
  for (let row = 0; row < rows; row++) {
    if (random() < rate) taken[count++] = row;
  }
  return taken.slice(0, count);
}
