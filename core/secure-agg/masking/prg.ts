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
  private readonly hiMask: number;
  private readonly loMask: number;

  constructor(
    readonly t: number,
    readonly slots: number,
  ) {
    this.bits = t.toString(2).length;
    this.hiMask = this.bits > 32 ? 2 ** (this.bits - 32) - 1 : 0;
    this.loMask = this.bits >= 32 ? 0xffffffff : 2 ** this.bits - 1;
  }

  /**
   * Adds `sign` (+1 or -1) times block `block` of `seed` to `acc` mod t; `acc` holds
   * residues in [0, t) and keeps them there.
   */
  addBlock(seed: Uint8Array, block: number, sign: 1 | -1, acc: Float64Array): void {
    if (seed.byteLength !== 32) throw new RangeError(`mask seed must be 32 bytes, got ${seed.byteLength}`);
    if (acc.length !== this.slots) throw new RangeError(`mask block has ${this.slots} slots, got ${acc.length}`);
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(BLOCK_MAGIC, 0);
    iv.writeUInt32BE(block >>> 0, 4);
    const cipher = createCipheriv('aes-256-ctr', seed, iv);
    const t = this.t;
    const wide = this.bits > 32;
    // Expected draws per value < 2; read a little more than that at a time.
    const batchWords = (wide ? 2 : 1) * Math.ceil(this.slots * 1.25) + 16;
    const zeros = Buffer.alloc(batchWords * 4);
    let words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
    let at = 0;
    const refill = (): void => {
      let bytes: Uint8Array = cipher.update(zeros);
      if (bytes.byteOffset % 4 !== 0) bytes = new Uint8Array(bytes);
      words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
      at = 0;
    };
    for (let i = 0; i < this.slots; ) {
      if (at + 2 > words.length) refill();
      let v: number;
      if (wide) {
        v = ((words[at] as number) & this.hiMask) * TWO32 + (words[at + 1] as number);
        at += 2;
      } else {
        v = ((words[at] as number) & this.loMask) >>> 0;
        at += 1;
      }
      if (v >= t) continue;
      const a = acc[i] as number;
      if (sign === 1) {
        const s = a + v;
        acc[i] = s >= t ? s - t : s;
      } else {
        const s = a - v;
        acc[i] = s < 0 ? s + t : s;
      }
      i++;
    }
    cipher.final();
  }
}
