/**
 * Mask expansion: a 32-byte seed becomes a stream of integers uniform mod t, one block of N
 * slots per ciphertext, so sites and coordinator stream masks chunk by chunk like the
 * ciphertexts themselves (memory: one block, whatever the number of sites).
 *
 * Block c of seed s is the AES-256-CTR keystream under key s and initial counter block
 * "CMSK" || u32 BE c || 8 zero bytes: independent per block (distinct counter ranges,
 * a block never uses 2^64 counters), so any block is computed without the ones before it.
 * A value is drawn by rejection: b = bitLength(t) bits from two 32-bit words, kept when
 * below t, so it is exactly uniform (t is prime, so at most half the draws are rejected).
 *
 * Arithmetic stays in doubles: t < 2^52 (parameters.ts keeps q at most 58 bits and
 * t < q / 44), so a sum of two residues is exact.
 */
import { createCipheriv } from 'node:crypto';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';

/** Largest plaintext modulus masking supports: residues and their pairwise sums stay exact doubles. */
export const MAX_MASK_MODULUS = 2 ** 52;
const BLOCK_MAGIC = 0x434d534b; // "CMSK"
const TWO32 = 2 ** 32;

/** The plaintext modulus as a number, refused (SECURE_AGG_PARAMS) when masking cannot use it. */
export function maskModulus(plainModulus: string): number {
  const t = Number(plainModulus);
  if (!Number.isSafeInteger(t) || t < 3 || t >= MAX_MASK_MODULUS || BigInt(t) !== BigInt(plainModulus)) {
    throw new CohortError(SecureAggErrors.PARAMS, `plain modulus ${plainModulus} is not below 2^52, which pairwise masking needs`, { details: { plainModulus } });
  }
  return t;
}

/** Expands `seed` into masks mod t, one block of `slots` values per ciphertext index. */
export class MaskPrg {
  private readonly bits: number;
  private readonly wide: boolean;
  /** The plaintext AES-CTR encrypts to give its keystream, allocated once. */
  private readonly zeros: Buffer;
  private readonly hiMask: number;
  private readonly loMask: number;
  private readonly overdraw: number;

  constructor(
    readonly t: number,
    readonly slots: number,
  ) {
    this.bits = t.toString(2).length;
    this.wide = this.bits > 32;
    // Draws a pass takes: the expected number for `slots` accepted values (2^bits / t per value,
    // at most 2 since t > 2^(bits - 1)), 1% and 16 more.
    this.overdraw = (2 ** this.bits / t) * 1.01;
    this.zeros = Buffer.alloc((this.wide ? 8 : 4) * (Math.ceil(slots * this.overdraw) + 16));
    this.hiMask = this.bits > 32 ? 2 ** (this.bits - 32) - 1 : 0;
    this.loMask = this.bits >= 32 ? 0xffffffff : 2 ** this.bits - 1;
  }

  /**
   * How many blocks {@link accumulate} may add to a vector of residues before it must be
   * reduced: every partial sum stays an exact double (below 2^53 in magnitude).
   */
  get maxTermsBeforeReduce(): number {
    return Math.max(1, Math.floor(2 ** 53 / this.t) - 2);
  }

  /**
   * Adds `sign` (+1 or -1) times block `block` of `seed` to `acc` mod t; `acc` holds
   * residues in [0, t) and keeps them there.
   */
  addBlock(seed: Uint8Array, block: number, sign: 1 | -1, acc: Float64Array): void {
    this.accumulate(seed, block, sign, acc);
    this.reduce(acc);
  }

  /**
   * Adds `sign` times block `block` of `seed` to `acc` without reducing (no data-dependent
   * branch per value); call {@link reduce} at least every {@link maxTermsBeforeReduce} blocks.
   */
  accumulate(seed: Uint8Array, block: number, sign: 1 | -1, acc: Float64Array): void {
    if (seed.byteLength !== 32) throw new RangeError(`mask seed must be 32 bytes, got ${seed.byteLength}`);
    if (acc.length !== this.slots) throw new RangeError(`mask block has ${this.slots} slots, got ${acc.length}`);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(BLOCK_MAGIC, 0);
    iv.writeUInt32BE(block >>> 0, 4);
    const cipher = createCipheriv('aes-256-ctr', seed, iv);
    let i = 0;
    // Each pass draws from the next stretch of the keystream until the block is full, and uses
    // every draw of a pass before the next (so the values do not depend on the pass sizes); t is
    // close to its power of two in practice (SEAL picks the largest batching prime of its size),
    // so one pass of the expected number of draws and 1% more nearly always suffices.
    while (i < this.slots) {
      const wanted = this.slots - i;
      const bytes = Math.min(this.zeros.byteLength, (this.wide ? 8 : 4) * (Math.ceil(wanted * this.overdraw) + 16));
      const words = wordsOf(cipher.update(this.zeros.subarray(0, bytes)));
      i = this.wide ? this.fillWide(words, acc, i, sign) : this.fillNarrow(words, acc, i, sign);
    }
    cipher.final();
  }

  /**
   * Reduces every value of `acc` (an exact integer below 2^53 - t in magnitude, which
   * {@link maxTermsBeforeReduce} guarantees) to its residue in [0, t). A floored division rather than `%` (a libm call per value); the quotient may be
   * off by one where x / t rounds across an integer, which the two corrections fix, and
   * q * t stays exact because it is within t of x.
   */
  reduce(acc: Float64Array): void {
    const t = this.t;
    for (let i = 0; i < acc.length; i++) {
      const x = acc[i] as number;
      let r = x - Math.floor(x / t) * t;
      if (r < 0) r += t;
      else if (r >= t) r -= t;
      acc[i] = r;
    }
  }

  /** Draws of two words (high part masked, low word), for t above 2^32; returns the next slot. */
  private fillWide(words: Uint32Array, acc: Float64Array, from: number, sign: 1 | -1): number {
    const t = this.t;
    const hiMask = this.hiMask;
    const slots = this.slots;
    const end = words.length - 1;
    let i = from;
    for (let at = 0; at < end && i < slots; at += 2) {
      const v = ((words[at] as number) & hiMask) * TWO32 + (words[at + 1] as number);
      if (v >= t) continue;
      acc[i] = (acc[i] as number) + sign * v;
      i++;
    }
    return i;
  }

  /** Draws of one masked word, for t up to 2^32; returns the next slot. */
  private fillNarrow(words: Uint32Array, acc: Float64Array, from: number, sign: 1 | -1): number {
    const t = this.t;
    const loMask = this.loMask;
    const slots = this.slots;
    let i = from;
    for (let at = 0; at < words.length && i < slots; at++) {
      const v = ((words[at] as number) & loMask) >>> 0;
      if (v >= t) continue;
      acc[i] = (acc[i] as number) + sign * v;
      i++;
    }
    return i;
  }
}

/** The keystream bytes as 32-bit little-endian words (copied when not 4-byte aligned). */
function wordsOf(bytes: Uint8Array): Uint32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
}
