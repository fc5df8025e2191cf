/**
 * Measures the BFV update codec on a model-sized update: wire bytes against float32, site
 * encode + encrypt time, coordinator add time for a round, site decode time. Medians over
 * a few repetitions; `npm run bench:he` calls measureHeCodec.
 *
 * `npx tsx scripts/bench/he-codec.ts` prints, as JSON, the bytes of one seeded, zstd-compressed
 * ciphertext per coefficient-modulus size (measureCiphertextBytesByQBits), the measurement
 * behind MAX_DATA_PRIME_BITS.
 */
import { pathToFileURL } from 'node:url';
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { generateKeyPair } from '../../core/secure-agg/keys.ts';
import { chooseBfvParameters, type BfvParameterRequest } from '../../core/secure-agg/parameters.ts';
import { createBfvContext } from '../../core/secure-agg/seal-context.ts';
import { deleteAll, loadSeal } from '../../core/secure-agg/seal-library.ts';
import { weightedUpdateVector } from '../../core/strategies/aggregate.ts';

export interface HeCodecOptions {
  /** Model parameters (the encoded vector has one more value, the weight). */
  readonly params: number;
  /** Sites summed per round. */
  readonly sites: number;
  readonly repetitions?: number;
  /** Parameter request fields other than length; defaults: 100 summands, 1e6 examples, |delta| <= 1, 12 bits. */
  readonly request?: Partial<Omit<BfvParameterRequest, 'length'>>;
}

export interface HeCodecResult {
  readonly params: number;
  readonly sites: number;
  readonly repetitions: number;
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly plainModulusBits: number;
  readonly headroom: { readonly valueBits: number; readonly noiseBits: number };
  readonly ciphertexts: number;
  readonly chunks: number;
  readonly wireBytesPerSite: number;
  readonly float32Bytes: number;
  /** wireBytesPerSite / float32Bytes. */
  readonly wireRatio: number;
  /** Bytes of the summed aggregate each site downloads. */
  readonly aggregateBytes: number;
  /** Wall-clock milliseconds, median over repetitions. */
  readonly encodeMsPerSiteMedian: number;
  /** Adder only: all chunks of all sites, one round. */
  readonly aggregateMsMedian: number;
  readonly decodeMsMedian: number;
  /** CPU milliseconds (user + system) of the same steps: stable on a shared machine. */
  readonly encodeCpuMsPerSiteMedian: number;
  readonly aggregateCpuMsMedian: number;
  readonly decodeCpuMsMedian: number;
}

/** Wall and CPU milliseconds of a synchronous step. */
function timed<T>(step: () => T): { value: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = step();
  const ms = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  return { value, ms, cpuMs: (used.user + used.system) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function syntheticUpdate(params: number, seed: number): Float32Array {
  const delta = new Float32Array(params);
  for (let i = 0; i < params; i++) delta[i] = Math.sin(i * 0.618 + seed) * 1e-3;
  return delta;
}

/** Runs the measurement. Encodes `repetitions` distinct uploads and cycles them over the sites. */
export async function measureHeCodec(options: HeCodecOptions): Promise<HeCodecResult> {
  const repetitions = options.repetitions ?? 3;
  const choice = await chooseBfvParameters({
    maxSummands: 100,
    maxAbsValue: 1,
    maxWeight: 1_000_000,
    precisionBits: 12,
    ...options.request,
    length: options.params + 1,
  });
  const key = await generateKeyPair(choice);
  const encoder = await BfvUpdateEncoder.create(key.descriptor, key.secretKey);
  const adder = await BfvChunkAdder.create(key.descriptor);
  try {
    const uploads: Uint8Array[][] = [];
    const encode: { ms: number; cpuMs: number }[] = [];
    for (let r = 0; r < repetitions; r++) {
      const v = weightedUpdateVector(syntheticUpdate(options.params, r), 1000 + r);
      const step = timed(() => [...encoder.encode(v)]);
      uploads.push(step.value);
      encode.push(step);
    }
    const aggregation: { ms: number; cpuMs: number }[] = [];
    const decode: { ms: number; cpuMs: number }[] = [];
    let aggregate: Uint8Array[] = [];
    for (let r = 0; r < repetitions; r++) {
      const step = timed(() => {
        const sums: (Uint8Array | undefined)[] = new Array(adder.chunkCount).fill(undefined);
        for (let s = 0; s < options.sites; s++) {
          const chunks = uploads[(s + r) % uploads.length] as Uint8Array[];
          chunks.forEach((chunk, i) => (sums[i] = adder.add(sums[i], chunk, i)));
        }
        return sums as Uint8Array[];
      });
      aggregation.push(step);
      aggregate = step.value;
      decode.push(timed(() => encoder.decode(aggregate)));
    }
    const wireBytesPerSite = median(uploads.map((u) => u.reduce((n, c) => n + c.byteLength, 0)));
    const float32Bytes = 4 * options.params;
    return {
      params: options.params,
      sites: options.sites,
      repetitions,
      polyModulusDegree: choice.polyModulusDegree,
      coeffModulusBits: choice.coeffModulusBits,
      plainModulusBits: choice.plainModulusBits,
      headroom: choice.headroom,
      ciphertexts: choice.ciphertextCount,
      chunks: choice.chunkCount,
      wireBytesPerSite,
      float32Bytes,
      wireRatio: Math.round((wireBytesPerSite / float32Bytes) * 1000) / 1000,
      aggregateBytes: aggregate.reduce((n, c) => n + c.byteLength, 0),
      encodeMsPerSiteMedian: round1(median(encode.map((x) => x.ms))),
      aggregateMsMedian: round1(median(aggregation.map((x) => x.ms))),
      decodeMsMedian: round1(median(decode.map((x) => x.ms))),
      encodeCpuMsPerSiteMedian: round1(median(encode.map((x) => x.cpuMs))),
      aggregateCpuMsMedian: round1(median(aggregation.map((x) => x.cpuMs))),
      decodeCpuMsMedian: round1(median(decode.map((x) => x.cpuMs))),
    };
  } finally {
    encoder.dispose();
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
