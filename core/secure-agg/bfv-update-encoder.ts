/**
 * The sites' half of secure aggregation: quantize, batch and encrypt a weighted update
 * under the run's secret key; decrypt and check a summed aggregate.
 */
import { CohortError, SecureAggErrors, UpdateErrors } from '../errors/index.ts';
import type { BfvCodecDescriptor, UpdateEncoder } from '../update-codec/types.ts';
import { checkChunkHeader, readChunk, writeChunk } from './chunk-format.ts';
import { loadSecretKey } from './keys.ts';
import type { SlotMask } from './masking/site-masker.ts';
import { ciphertextsInChunk, layoutOf, type BfvLayout } from './layout.ts';
import { quantizeWeightedUpdate } from './quantize.ts';
import { createRunContext, loadCiphertext, type BfvContext } from './seal-context.ts';
import { deleteAll, loadSeal, type SealLibrary, type SealPlainText } from './seal-library.ts';
import { cryptoUniformSource, type UniformSource } from './uniform-source.ts';

export interface BfvUpdateEncoderOptions {
  /** Source of rounding randomness; the system CSPRNG unless a test seeds one. */
  readonly random?: UniformSource;
  /** Clamp coordinates beyond maxAbsValue (e.g. after DP noise) instead of refusing them. */
  readonly clampOutOfRange?: boolean;
}

/** A decrypted aggregate and what its check slots proved. */
export interface DecodedAggregate {
  /** [sum w*delta_1 .. sum w*delta_n, sum w]. */
  readonly sum: Float64Array;
  /** Number of site updates summed, as the encrypted check slots say. */
  readonly summands: number;
  /** Smallest invariant noise budget left in any ciphertext, in bits (> 0 when correct). */
  readonly minNoiseBudgetBits: number;
}

/** Which 32-bit half of a 64-bit lane holds the low bits on this platform. */
const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

type Seal = {
  readonly encryptor: ReturnType<SealLibrary['Encryptor']>;
  readonly decryptor: ReturnType<SealLibrary['Decryptor']>;
  readonly batch: ReturnType<SealLibrary['BatchEncoder']>;
  readonly bfv: BfvContext;
};

/** Encodes a site's weighted update and decodes the summed aggregate, with the run's key. */
export class BfvUpdateEncoder implements UpdateEncoder {
  readonly chunkCount: number;
  private readonly layout: BfvLayout;
  private readonly random: UniformSource;
  private readonly clampOutOfRange: boolean;
  private objects: Seal | undefined;

  /** Loads SEAL and builds the encoder from a secret key envelope (see keys.ts). */
  static async create(descriptor: BfvCodecDescriptor, secretKey: Uint8Array, options: BfvUpdateEncoderOptions = {}): Promise<BfvUpdateEncoder> {
    return new BfvUpdateEncoder(await loadSeal(), descriptor, secretKey, options);
  }

  constructor(
    private readonly seal: SealLibrary,
    readonly descriptor: BfvCodecDescriptor,
    secretKey: Uint8Array,
    options: BfvUpdateEncoderOptions = {},
  ) {
    this.layout = layoutOf(descriptor);
    this.chunkCount = this.layout.chunkCount;
    this.random = options.random ?? cryptoUniformSource;
    this.clampOutOfRange = options.clampOutOfRange ?? false;
    const bfv = createRunContext(seal, descriptor);
    let key: ReturnType<typeof loadSecretKey> | undefined;
    let generator: ReturnType<SealLibrary['KeyGenerator']> | undefined;
    let publicKey: ReturnType<SealLibrary['PublicKey']> | undefined;
    try {
      key = loadSecretKey(seal, bfv.context, descriptor, secretKey);
      // node-seal's Encryptor wants a public key even for symmetric encryption; derive one
      // locally and drop it (it is never used nor sent).
      generator = seal.KeyGenerator(bfv.context, key);
      publicKey = generator.createPublicKey();
      this.objects = {
        encryptor: seal.Encryptor(bfv.context, publicKey, key),
        decryptor: seal.Decryptor(bfv.context, key),
        batch: seal.BatchEncoder(bfv.context),
        bfv,
      };
    } catch (e) {
      deleteAll(bfv.context, bfv.parms);
      throw e;
    } finally {
      deleteAll(publicKey, generator, key);
    }
  }

  /**
   * Quantizes and checks the whole vector now (throwing SECURE_AGG_VALUE_RANGE before any
   * byte is produced), then encrypts chunk by chunk as the caller pulls them.
   */
  encode(vector: Float64Array): Iterable<Uint8Array> {
    return this.encrypt(this.quantize(vector));
  }

  /**
   * As {@link encode}, with `mask` added mod t to every slot of every ciphertext (values,
   * weight, check slot and padding) before encryption: the pairwise masking of
   * ./masking/site-masker.ts. Quantizes and range-checks the whole vector first.
   */
  encodeMasked(vector: Float64Array, mask: SlotMask): Iterable<Uint8Array> {
    if (String(mask.t) !== this.descriptor.plainModulus) {
      throw new TypeError(`mask works mod ${mask.t}, the codec's plain modulus is ${this.descriptor.plainModulus}`);
    }
    return this.encrypt(this.quantize(vector), mask);
  }

  private quantize(vector: Float64Array): Float64Array {
    if (vector.length !== this.descriptor.length) {
      throw new TypeError(`vector has ${vector.length} values, the codec expects ${this.descriptor.length}`);
    }
    return quantizeWeightedUpdate(vector, {
      scale: this.descriptor.scale,
      maxAbsValue: this.descriptor.maxAbsValue,
      maxWeight: this.descriptor.maxWeight,
      clampOutOfRange: this.clampOutOfRange,
      random: this.random,
    });
  }

  private *encrypt(quantized: Float64Array, mask?: SlotMask): Generator<Uint8Array> {
    const { encryptor, batch } = this.live();
    const n = this.descriptor.polyModulusDegree;
    const per = this.layout.valuesPerCiphertext;
    const slots = new BigInt64Array(n);
    const row = new Float64Array(mask === undefined ? 0 : n);
    // Masked slots are residues in [0, t), written little-endian into 64-bit lanes.
    const unsigned = new BigUint64Array(mask === undefined ? 0 : n);
    const words = new Uint32Array(unsigned.buffer);
    const plain = this.seal.PlainText();
    try {
      for (let index = 0; index < this.chunkCount; index++) {
        const count = ciphertextsInChunk(this.layout, index);
        const ciphertexts: Uint8Array[] = [];
        for (let c = 0; c < count; c++) {
          const start = (index * this.layout.ciphertextsPerChunk + c) * per;
          const end = Math.min(start + per, quantized.length);
          if (mask === undefined) {
            slots.fill(0n);
            for (let i = start; i < end; i++) slots[i - start] = BigInt(quantized[i] as number);
            slots[n - 1] = 1n; // check slot
          } else {
            const t = mask.t;
            row.fill(0);
            for (let i = start; i < end; i++) {
              const q = quantized[i] as number;
              row[i - start] = q < 0 ? q + t : q;
            }
            row[n - 1] = 1; // check slot
            mask.addBlock(index * this.layout.ciphertextsPerChunk + c, row);
            // Residues below 2^52 go in as two 32-bit halves: no BigInt per slot.
            for (let i = 0; i < n; i++) {
              const r = row[i] as number;
              const lo = r >>> 0;
              words[2 * i + LOW_WORD] = lo;
              words[2 * i + 1 - LOW_WORD] = (r - lo) / 4294967296;
            }
          }
          batch.encode(mask === undefined ? slots : unsigned, plain);
          const serializable = encryptor.encryptSymmetricSerializable(plain);
          try {
            ciphertexts.push(serializable.saveArray(this.seal.ComprModeType.zstd));
          } finally {
            serializable.delete();
          }
        }
        yield writeChunk({ ciphertextCount: count, index, summands: 1, paramsId: this.descriptor.paramsId }, ciphertexts);
      }
    } finally {
      plain.delete();
    }
  }

  decode(chunks: readonly Uint8Array[]): Float64Array {
    return this.decodeAggregate(chunks).sum;
  }

  /**
   * Decrypts a summed aggregate and checks it: every ciphertext's check slot must hold the
   * number of summands the chunk headers claim (else SECURE_AGG_WRONG_KEY), and every
   * ciphertext must have noise budget left (else SECURE_AGG_NOISE_EXHAUSTED). With
   * `expect.contributors` (the count of verified receipts, ./masking/receipts.ts) both the
   * headers and every check slot must hold exactly that count, else SECURE_AGG_SUM_UNVERIFIED.
   * What this catches: a sum with a mask left in that the coordinator cannot compute (an
   * honest survivor's self-mask, or a pairwise mask between two honest sites), a copy of an
   * honest upload, or a missing one. What it does not: a coordinator that knows a mask (its
   * colluder's, or a dropped site's rebuilt one) can add a ciphertext again and subtract that
   * mask and an extra 1 in the check slot with a plaintext, and the slot still reads |U| (see
   * docs/secure-aggregation.md, threat model: the check slot is not a MAC).
   */
  decodeAggregate(chunks: readonly Uint8Array[], expect: { readonly contributors?: number } = {}): DecodedAggregate {
    const contributors = expect.contributors;
    if (chunks.length !== this.chunkCount) {
      throw new CohortError(UpdateErrors.TRUNCATED, `aggregate has ${chunks.length} chunks, expected ${this.chunkCount}`, {
        details: { chunks: chunks.length, expected: this.chunkCount },
      });
    }
    const { decryptor, batch, bfv } = this.live();
    const d = this.descriptor;
    const per = this.layout.valuesPerCiphertext;
    const weightIndex = d.length - 1;
    const sum = new Float64Array(d.length);
    let summands: number | undefined;
    let minBudget = Number.POSITIVE_INFINITY;
    const plain: SealPlainText = this.seal.PlainText();
    try {
      for (const [index, chunk] of chunks.entries()) {
        const where = `aggregate chunk ${index}`;
        const { header, ciphertexts } = readChunk(chunk, where);
        checkChunkHeader(header, { index, paramsId: d.paramsId, ciphertextCount: ciphertextsInChunk(this.layout, index), maxSummands: d.maxSummands }, where);
        if (summands !== undefined && header.summands !== summands) {
          throw new CohortError(SecureAggErrors.AGGREGATE_INCONSISTENT, `${where} sums ${header.summands} updates, chunk 0 sums ${summands}`, {
            details: { index, summands: header.summands, expected: summands },
          });
        }
        summands = header.summands;
        if (contributors !== undefined && header.summands !== contributors) {
          throw new CohortError(SecureAggErrors.SUM_UNVERIFIED, `${where} claims ${header.summands} summands, the aggregate comes with ${contributors} verified receipts`, {
            details: { index, summands: header.summands, contributors },
          });
        }
        for (const [c, bytes] of ciphertexts.entries()) {
          const ct = loadCiphertext(this.seal, bfv.context, bytes, `${where}, ciphertext ${c}`);
          let budget: number;
          let values: BigInt64Array;
          try {
            budget = decryptor.invariantNoiseBudget(ct);
            decryptor.decrypt(ct, plain);
            values = batch.decodeBigInt(plain, true) as BigInt64Array;
          } finally {
            ct.delete();
          }
          if (contributors !== undefined && values[values.length - 1] !== BigInt(contributors)) {
            throw new CohortError(
              SecureAggErrors.SUM_UNVERIFIED,
              `${where}, ciphertext ${c}: check slot does not hold the ${contributors} contributions the receipts name; a mask is left in or a contribution is counted twice or missing`,
              { details: { index, ciphertext: c, contributors } },
            );
          }
          if (values[values.length - 1] !== BigInt(header.summands)) {
            throw new CohortError(
              SecureAggErrors.WRONG_KEY,
              `${where}, ciphertext ${c}: check slot does not hold the ${header.summands} summand(s) the header claims; it was encrypted under another key or corrupted`,
              { details: { index, ciphertext: c, summands: header.summands } },
            );
          }
          if (budget <= 0) {
            throw new CohortError(SecureAggErrors.NOISE_EXHAUSTED, `${where}, ciphertext ${c} has no noise budget left after ${header.summands} summands`, {
              details: { index, ciphertext: c, summands: header.summands },
            });
          }
          minBudget = Math.min(minBudget, budget);
          const start = (index * this.layout.ciphertextsPerChunk + c) * per;
          const end = Math.min(start + per, d.length);
          for (let i = start; i < end; i++) {
            const x = Number(values[i - start] as bigint);
            sum[i] = i === weightIndex ? x : x / d.scale;
          }
        }
      }
    } finally {
      plain.delete();
    }
    return { sum, summands: summands as number, minNoiseBudgetBits: minBudget };
  }

  dispose(): void {
    const o = this.objects;
    if (o === undefined) return;
    deleteAll(o.encryptor, o.decryptor, o.batch, o.bfv.context, o.bfv.parms);
    this.objects = undefined;
  }

  private live(): Seal {
    if (this.objects === undefined) throw new Error('BfvUpdateEncoder used after dispose()');
    return this.objects;
  }
}
