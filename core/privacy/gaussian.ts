/**
 * Gaussian noise for differential privacy, from a cryptographic uniform source:
 * the AES-256-CTR keystream of node:crypto under a key from randomBytes (a CSPRNG
 * stretched by a PRF, so draws are unpredictable to anyone without the key), turned
 * into 53-bit float64 uniforms and then into normals by Box-Muller.
 *
 * Why not Math.random: its state is recoverable from a few outputs, and anyone who
 * predicts the noise can subtract it. Floating-point Gaussians are not exactly the
 * ideal distribution (Mironov 2012 shows attacks on the low-order bits of naive
 * Laplace samples); here every noised value is rounded to the fixed-point encoding
 * of the secure aggregation before it leaves the site, which discards those bits.
 */
import { createCipheriv, createHash, randomBytes, type Cipher } from 'node:crypto';
import { checkNoiseMultiplier } from './validate.ts';
import { uniformFromWords } from '../crypto/uniform.ts';

/** A source of independent standard normal draws. */
export interface GaussianSource {
  /** One draw from N(0, 1). */
  standardNormal(): number;
  /** Fills `out` with independent draws from N(0, std^2) and returns it. */
  fillGaussian(out: Float64Array, std: number): Float64Array;
}

/** Keystream bytes fetched per refill: 8192 uniforms. */
const KEYSTREAM_CHUNK = 64 * 1024;

/** Box-Muller normals over an AES-256-CTR keystream. Construct with `secure()`; `seededForTests` only in tests. */
export class GaussianSampler implements GaussianSource {
  readonly #cipher: Cipher;
  readonly #zeros = Buffer.alloc(KEYSTREAM_CHUNK);
  #words: Uint32Array = new Uint32Array(0);
  #next = 0;
  /** Box-Muller yields normals in pairs; the second waits here. */
  #spare: number | undefined;

  private constructor(key: Buffer, iv: Buffer) {
    this.#cipher = createCipheriv('aes-256-ctr', key, iv);
  }

  /** The production sampler: a fresh 256-bit key and IV from node:crypto randomBytes. */
  static secure(): GaussianSampler {
    return new GaussianSampler(randomBytes(32), randomBytes(16));
  }

  /**
   * A reproducible sampler for tests ONLY: the key is SHA-256 of the seed, so anyone
   * who knows the seed knows every draw. Never use it for noise that leaves a site.
   */
  static seededForTests(seed: string): GaussianSampler {
    const key = createHash('sha256').update(`cohort/gaussian-test-seed/${seed}`).digest();
    return new GaussianSampler(key, Buffer.alloc(16));
  }

  /** A uniform draw from [0, 1) with 53 random bits (every float64 multiple of 2^-53). */
  uniform(): number {
    if (this.#next + 2 > this.#words.length) this.#refill();
    this.#next += 2;
    return uniformFromWords(this.#words[this.#next - 2]!, this.#words[this.#next - 1]!);
  }

  standardNormal(): number {
    if (this.#spare !== undefined) {
      const z = this.#spare;
      this.#spare = undefined;
      return z;
    }
    // 1 - u lies in (0, 1], so the log is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT when std is negative or not finite. */
  fillGaussian(out: Float64Array, std: number): Float64Array {
    checkNoiseMultiplier(std, 'std');
    for (let i = 0; i < out.length; i++) out[i] = std * this.standardNormal();
    return out;
  }

  #refill(): void {
    const bytes = this.#cipher.update(this.#zeros);
    // A fresh copy is 4-byte aligned; the keystream buffer may not be.
    const aligned = new Uint8Array(bytes.length);
    aligned.set(bytes);
    this.#words = new Uint32Array(aligned.buffer);
    this.#next = 0;
  }
}
