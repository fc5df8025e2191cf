/**
 * The BFV update codec for `bench:he`: the consortium key and a run's parameters for a model-sized update, sites
 * encrypting their updates (wire bytes, encode + encrypt time), the adder alone summing a
 * round, and a site decrypting the sum.
 *
 * `npx tsx scripts/bench/he-codec.ts` prints, as JSON, the bytes of one seeded, zstd-compressed
 * ciphertext per coefficient-modulus size (measureCiphertextBytesByQBits), the measurement
 * behind MAX_DATA_PRIME_BITS.
 */
import { pathToFileURL } from 'node:url';
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { bfvDescriptor, consortiumKeyContext, runParametersForKey, type BfvParameterChoice, type BfvParameterRequest } from '../../core/secure-agg/parameters.ts';
import { createBfvContext } from '../../core/secure-agg/seal-context.ts';
import { deleteAll, loadSeal } from '../../core/secure-agg/seal-library.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { AggregationSchema } from '../../models/spec-schema.ts';
import { syntheticUpdateVector } from './he-fixtures.ts';
import { median, round1, timed, type Timing } from './he-stats.ts';

/** A run's codec as one site holds it: parameters, key and encoder (caller disposes). */
export interface BenchBfvCodec {
  readonly choice: BfvParameterChoice;
  readonly descriptor: BfvCodecDescriptor;
  readonly encoder: BfvUpdateEncoder;
  /** The run-parameter request, as core/update-codec/codec-plan.ts would make it. */
  readonly request: BfvParameterRequest;
}

/**
 * The codec of an encrypted run as real runs get it: the consortium key's fixed parameters
 * (consortiumKeyContext, generateConsortiumKey), and the run's scale from the spec's default
 * aggregation bounds (no site-level DP: |delta| <= maxUpdateNorm, precisionBits, weight capped
 * at the largest site's example count), for up to `maxSummands` sites.
 */
export async function prepareBfvCodec(params: number, maxSummands: number, largestWeight: number): Promise<BenchBfvCodec> {
  const aggregation = AggregationSchema.parse({});
  const key = await generateConsortiumKey(await consortiumKeyContext());
  const request: BfvParameterRequest = {
    length: params + 1,
    maxSummands,
    maxAbsValue: aggregation.maxUpdateNorm,
    maxWeight: Math.min(aggregation.maxWeight, largestWeight),
    precisionBits: aggregation.precisionBits,
  };
  const choice = await runParametersForKey(key.params, request);
  const descriptor = bfvDescriptor(choice, key.params.keyId, key.params.paramsId);
  const encoder = await BfvUpdateEncoder.create(descriptor, key.secretKey);
  return { choice, descriptor, encoder, request };
}

/** Encrypted uploads of `count` distinct synthetic sites and the time each took. */
export interface EncryptedUploads {
  readonly uploads: Uint8Array[][];
  readonly vectors: Float64Array[];
  readonly timings: Timing[];
}

/** Encodes + encrypts the updates of sites 0..count-1 (fully materialized, as a site does before sending). */
export function encryptUploads(encoder: BfvUpdateEncoder, params: number, count: number, onEach?: (i: number, t: Timing) => void): EncryptedUploads {
  const uploads: Uint8Array[][] = [];
  const vectors: Float64Array[] = [];
  const timings: Timing[] = [];
  for (let s = 0; s < count; s++) {
    const v = syntheticUpdateVector(params, s);
    const step = timed(() => [...encoder.encode(v)]);
    uploads.push(step.value);
    vectors.push(v);
    timings.push(step);
    onEach?.(s, step);
  }
  return { uploads, vectors, timings };
}

/** Total chunk bytes of one upload: what a site puts on the wire. */
export const uploadBytes = (chunks: readonly Uint8Array[]): number => chunks.reduce((n, c) => n + c.byteLength, 0);

/** The adder alone (no store, no engine) summing `sites` uploads, taken round-robin from `uploads`. */
export async function measureAdderOnly(
  descriptor: BfvCodecDescriptor,
  uploads: readonly Uint8Array[][],
  sites: number,
  repetitions: number,
): Promise<{ msMedian: number; cpuMsMedian: number; aggregate: Uint8Array[] }> {
  const adder = await BfvChunkAdder.create(descriptor);
  try {
    const runs: Timing[] = [];
    let aggregate: Uint8Array[] = [];
    for (let r = 0; r < repetitions; r++) {
      const step = timed(() => {
        const sums: (Uint8Array | undefined)[] = new Array(adder.chunkCount).fill(undefined);
        for (let s = 0; s < sites; s++) {
          const chunks = uploads[(s + r) % uploads.length] as Uint8Array[];
          chunks.forEach((chunk, i) => (sums[i] = adder.add(sums[i], chunk, i)));
        }
        return sums as Uint8Array[];
      });
      runs.push(step);
      aggregate = step.value;
    }
    return { msMedian: round1(median(runs.map((x) => x.ms))), cpuMsMedian: round1(median(runs.map((x) => x.cpuMs))), aggregate };
  } finally {
    adder.dispose();
  }
}

/** Bytes of one fresh ciphertext as a site sends it, for one size of q. */
export interface CiphertextBytes {
  readonly qBits: number;
  readonly bytes: number;
  /** bytes / float32 bytes of the N - 1 values it carries. */
  readonly float32Ratio: number;
}

/**
 * Encrypts one full plaintext (N = 4096, 30-bit t) symmetrically in seeded form and
 * serializes it with zstd, for each data-prime size in `qBits`.
 */
export async function measureCiphertextBytesByQBits(qBits: readonly number[] = [54, 56, 58, 60]): Promise<CiphertextBytes[]> {
  const seal = await loadSeal();
  const n = 4096;
  const t = seal.PlainModulus.Batching(n, 30);
  const plainModulus = t.value.toString();
  t.delete();
  const slots = BigInt64Array.from({ length: n }, (_, i) => BigInt(((i * 7919) % 100_000) - 50_000));
  return qBits.map((bits) => {
    const { parms, context } = createBfvContext(seal, { polyModulusDegree: n, coeffModulusBits: [bits], plainModulus });
    const generator = seal.KeyGenerator(context);
    const secretKey = generator.secretKey();
    const publicKey = generator.createPublicKey(); // node-seal's Encryptor wants one; unused
    const encryptor = seal.Encryptor(context, publicKey, secretKey);
    const batch = seal.BatchEncoder(context);
    const plain = seal.PlainText();
    batch.encode(slots, plain);
    const seeded = encryptor.encryptSymmetricSerializable(plain);
    try {
      const bytes = seeded.saveArray(seal.ComprModeType.zstd).byteLength;
      return { qBits: bits, bytes, float32Ratio: Math.round((bytes / (4 * (n - 1))) * 1000) / 1000 };
    } finally {
      deleteAll(seeded, plain, batch, encryptor, publicKey, secretKey, generator, context, parms);
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await measureCiphertextBytesByQBits(), null, 2)}\n`);
}
