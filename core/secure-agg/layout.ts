/**
 * Where each value of the summed vector lives: which ciphertext, which slot, which chunk.
 * Shared by the coordinator's adder and the sites' encoder so both agree byte for byte.
 */
import type { BfvCodecDescriptor } from '../update-codec/types.ts';

/**
 * The last slot of every ciphertext holds a check value (1 per site), so the decrypted
 * sum must hold the number of summands there. A wrong key decrypts to uniform garbage,
 * which matches with probability about 1/t per ciphertext.
 */
export const CHECK_SLOTS_PER_CIPHERTEXT = 1;

/** Chunks stay under 1 MiB, a quarter of gRPC's default 4 MiB receive limit. */
export const MAX_CHUNK_BYTES = 1 << 20;

/** Fixed chunk header: magic, version, reserved, count, index, summands, paramsId. */
export const CHUNK_HEADER_BYTES = 48;

/** Bytes of the length prefix in front of each ciphertext inside a chunk. */
export const CIPHERTEXT_PREFIX_BYTES = 4;

/** Values carried by one ciphertext of N slots. */
export function valuesPerCiphertext(polyModulusDegree: number): number {
  return polyModulusDegree - CHECK_SLOTS_PER_CIPHERTEXT;
}

/**
 * Primes a fresh ciphertext carries. With one prime there is no key-switching prime; with
 * more, SEAL keeps the last one for key switching only and ciphertexts never carry it.
 */
export function dataPrimeCount(coeffModulusBits: readonly number[]): number {
  return coeffModulusBits.length > 1 ? coeffModulusBits.length - 1 : 1;
}

/**
 * Upper bound on a serialized ciphertext of two polynomials (a sum; a fresh seeded one is
 * half of that): 8 bytes per coefficient, plus zstd's worst-case expansion and SEAL's
 * header, rounded up generously.
 */
export function maxCiphertextBytes(polyModulusDegree: number, primes: number): number {
  const raw = 2 * polyModulusDegree * primes * 8;
  return raw + Math.ceil(raw / 128) + 1024;
}

/** How many ciphertexts fit into one chunk under {@link MAX_CHUNK_BYTES}, sums included. */
export function ciphertextsPerChunkFor(polyModulusDegree: number, primes: number): number {
  const perCiphertext = CIPHERTEXT_PREFIX_BYTES + maxCiphertextBytes(polyModulusDegree, primes);
  return Math.max(1, Math.floor((MAX_CHUNK_BYTES - CHUNK_HEADER_BYTES) / perCiphertext));
}

/** Ciphertexts needed for `length` values. */
export function ciphertextCountFor(length: number, polyModulusDegree: number): number {
  return Math.ceil(length / valuesPerCiphertext(polyModulusDegree));
}

/** The derived shape of a BFV codec. */
export interface BfvLayout {
  readonly valuesPerCiphertext: number;
  readonly ciphertextCount: number;
  readonly ciphertextsPerChunk: number;
  readonly chunkCount: number;
  /** Largest chunk either side may send (site chunk or summed chunk). */
  readonly maxChunkBytes: number;
}

export function layoutOf(d: BfvCodecDescriptor): BfvLayout {
  const ciphertextCount = ciphertextCountFor(d.length, d.polyModulusDegree);
  const primes = dataPrimeCount(d.coeffModulusBits);
  return {
    valuesPerCiphertext: valuesPerCiphertext(d.polyModulusDegree),
    ciphertextCount,
    ciphertextsPerChunk: d.ciphertextsPerChunk,
    chunkCount: Math.ceil(ciphertextCount / d.ciphertextsPerChunk),
    maxChunkBytes:
      CHUNK_HEADER_BYTES +
      d.ciphertextsPerChunk * (CIPHERTEXT_PREFIX_BYTES + maxCiphertextBytes(d.polyModulusDegree, primes)),
  };
}

/** Ciphertexts in chunk `index`; the last chunk may hold fewer. */
export function ciphertextsInChunk(layout: BfvLayout, index: number): number {
  return Math.min(layout.ciphertextsPerChunk, layout.ciphertextCount - index * layout.ciphertextsPerChunk);
}
