/**
 * Cohort's one seeded pseudo-random source. NOT cryptographic: it only makes results
 * reproducible from a seed (initial weights, batch order, the sites' train/test split,
 * synthetic data), independently of TensorFlow.js's global random state and of the
 * platform. The pinned outputs in test/models/seeded-random.test.ts guard the stream,
 * because changing it would change every site's split and the initial weights.
 * Only integer operations and IEEE-exact float operations are used, so the stream is
 * bit-identical on every machine.
 */

/** A source of uniform doubles in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit state generator with a full
 * 2^32 period, plenty for initial weights and shuffles.
 */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Mixes a base seed with further integers (round, epoch, layer...) into a new 32-bit
 * seed, so that derived streams do not overlap in an obvious way. Uses the
 * murmur3 finaliser on each step.
 */
export function deriveSeed(seed: number, ...parts: readonly number[]): number {
  let h = seed >>> 0;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A uniformly random permutation of 0..n-1 (Fisher-Yates, drawing from `rng`). */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i];
    out[i] = out[j];
    out[j] = tmp;
  }
  return out;
}
