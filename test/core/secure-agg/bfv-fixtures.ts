/**
 * Shared helpers for the secure-aggregation tests: keys, encoders, summing through the
 * adder, and the seeded rounding source (test only: production code cannot import it).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { BfvChunkAdder } from '../../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../../core/secure-agg/bfv-update-encoder.ts';
import { generateKeyPair, type BfvKeyMaterial } from '../../../core/secure-agg/keys.ts';
import { chooseBfvParameters, type BfvParameterRequest } from '../../../core/secure-agg/parameters.ts';
import { uniformsFromWords, type UniformSource } from '../../../core/secure-agg/uniform-source.ts';

/** A reproducible source: the AES-256-CTR keystream under key SHA-256(seed). */
export function seededUniformSource(seed: string): UniformSource {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return {
    fill(out: Float64Array): void {
      const stream = cipher.update(Buffer.alloc(out.length * 8));
      uniformsFromWords(new Uint32Array(stream.buffer.slice(stream.byteOffset, stream.byteOffset + stream.byteLength)), out);
    },
  };
}

export interface Codec {
  readonly key: BfvKeyMaterial;
  readonly encoder: BfvUpdateEncoder;
  readonly adder: BfvChunkAdder;
  dispose(): void;
}

export async function makeCodec(request: BfvParameterRequest, seed = 'fixture'): Promise<Codec> {
  const key = await generateKeyPair(await chooseBfvParameters(request));
  const encoder = await BfvUpdateEncoder.create(key.descriptor, key.secretKey, { random: seededUniformSource(seed) });
  const adder = await BfvChunkAdder.create(key.descriptor);
  return {
    key,
    encoder,
    adder,
    dispose(): void {
      encoder.dispose();
      adder.dispose();
    },
  };
}

/** Sums each site's chunks index by index, as the coordinator does. */
export function sumThroughAdder(adder: BfvChunkAdder, sites: readonly (readonly Uint8Array[])[]): Uint8Array[] {
  const sums: (Uint8Array | undefined)[] = new Array(adder.chunkCount).fill(undefined);
  for (const chunks of sites) chunks.forEach((chunk, i) => (sums[i] = adder.add(sums[i], chunk, i)));
  return sums as Uint8Array[];
}

/** A deterministic pseudo-random vector in [-1, 1) (sin-hash; not for anything secret). */
export function pseudoRandom(length: number, seed: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    out[i] = 2 * (s - Math.floor(s)) - 1;
  }
  return out;
}
