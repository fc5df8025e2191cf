/**
 * The coordinator's half of secure aggregation: adds BFV ciphertext chunks.
 *
 * It holds the public parameters and a SEAL evaluator, nothing else: no key of any kind
 * is generated, loaded or accepted here, so the coordinator can add updates but never
 * read one, nor the sum. It imports only the parameter and chunk-format modules; a test
 * reads this file and its imports to keep it that way.
 */
import { CohortError, SecureAggErrors, UpdateErrors } from '../errors/index.ts';
import type { BfvCodecDescriptor, ChunkAdder } from '../update-codec/types.ts';
import { checkChunkHeader, checkSingleUpdate, readChunk, writeChunk, type ParsedChunk } from './chunk-format.ts';
import { ciphertextsInChunk, layoutOf, type BfvLayout } from './layout.ts';
import { createRunContext, loadCiphertext, type BfvContext } from './seal-context.ts';
import { deleteAll, loadSeal, type SealCipherText, type SealEvaluator, type SealLibrary } from './seal-library.ts';

/** Adds chunks of the run's BFV ciphertexts without any key. */
export class BfvChunkAdder implements ChunkAdder {
  readonly chunkCount: number;
  private readonly layout: BfvLayout;
  private bfv: BfvContext | undefined;
  private evaluator: SealEvaluator | undefined;

  /** Loads SEAL and builds the adder. */
  static async create(descriptor: BfvCodecDescriptor): Promise<BfvChunkAdder> {
    return new BfvChunkAdder(await loadSeal(), descriptor);
  }

  /**
   * Builds the context from the descriptor's public parameters and refuses a descriptor
   * whose paramsId does not match them (SECURE_AGG_PARAMS_MISMATCH).
   */
  constructor(
    private readonly seal: SealLibrary,
    readonly descriptor: BfvCodecDescriptor,
  ) {
    this.layout = layoutOf(descriptor);
    this.chunkCount = this.layout.chunkCount;
    this.bfv = createRunContext(seal, descriptor);
    this.evaluator = seal.Evaluator(this.bfv.context);
  }

  /** Checks one site's chunk: its header (one update, the run's parameters and key, its position) and every ciphertext. */
  validate(chunk: Uint8Array, index: number): void {
    this.loadEach(this.parseUpload(chunk, index), `chunk ${index}`);
  }

  add(acc: Uint8Array | undefined, chunk: Uint8Array, index: number): Uint8Array {
    if (acc === undefined) {
      // The first summand is the sum: keep its compact seeded form once it proved valid.
      this.validate(chunk, index);
      return chunk.slice();
    }
    const incoming = this.parseUpload(chunk, index);
    const sum = this.parse(acc, index, `running sum of chunk ${index}`);
    const summands = sum.header.summands + incoming.header.summands;
    if (summands > this.descriptor.maxSummands) {
      throw new CohortError(
        SecureAggErrors.TOO_MANY_SUMMANDS,
        `chunk ${index}: adding ${incoming.header.summands} update(s) to a sum of ${sum.header.summands} exceeds maxSummands ${this.descriptor.maxSummands}`,
        { details: { index, summands, maxSummands: this.descriptor.maxSummands } },
      );
    }
    const evaluator = this.live().evaluator;
    const out: Uint8Array[] = [];
    for (let i = 0; i < incoming.ciphertexts.length; i++) {
      let a: SealCipherText | undefined;
      let b: SealCipherText | undefined;
      try {
        b = this.load(incoming.ciphertexts[i] as Uint8Array, `chunk ${index}, ciphertext ${i}`);
        a = this.load(sum.ciphertexts[i] as Uint8Array, `running sum of chunk ${index}, ciphertext ${i}`);
        try {
          evaluator.add(a, b, a);
        } catch (e) {
          const cause = this.seal.Exception.safe(e as number);
          // SEAL refuses a sum that would be transparent (e.g. a ciphertext plus its negation).
          throw new CohortError(UpdateErrors.CHUNK_MALFORMED, `chunk ${index}, ciphertext ${i} cannot be added to the running sum`, { details: { index }, cause });
        }
        // Sums stay uncompressed: a full ciphertext's coefficients are near-uniform mod q,
        // so zstd saves little but would cost most of the adder's time (compress here,
        // decompress on the next add).
        out.push(a.saveArray(this.seal.ComprModeType.none));
      } finally {
        deleteAll(a, b);
      }
    }
    return writeChunk({ ...sum.header, summands }, out);
  }

  dispose(): void {
    deleteAll(this.evaluator, this.bfv?.context, this.bfv?.parms);
    this.evaluator = undefined;
    this.bfv = undefined;
  }

  private live(): { bfv: BfvContext; evaluator: SealEvaluator } {
    if (this.bfv === undefined || this.evaluator === undefined) throw new Error('BfvChunkAdder used after dispose()');
    return { bfv: this.bfv, evaluator: this.evaluator };
  }

  private loadEach(parsed: ParsedChunk, where: string): void {
    for (const [i, bytes] of parsed.ciphertexts.entries()) this.load(bytes, `${where}, ciphertext ${i}`).delete();
  }

  /** A site's own chunk: one update, never a sum. */
  private parseUpload(chunk: Uint8Array, index: number): ParsedChunk {
    // Any count but one, zero included, is the sender's claim (checked before the header's other fields).
    return this.parse(chunk, index, `chunk ${index}`, true);
  }

  /** Checks index, size and header (for a site's upload: first that it sums one update); does not touch SEAL. */
  private parse(chunk: Uint8Array, index: number, where: string, single = false): ParsedChunk {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) {
      throw new CohortError(UpdateErrors.CHUNK_INDEX, `chunk index ${index} is outside 0..${this.chunkCount - 1}`, {
        details: { index, chunkCount: this.chunkCount },
      });
    }
    if (chunk.byteLength > this.layout.maxChunkBytes) {
      throw new CohortError(UpdateErrors.CHUNK_SIZE, `${where} has ${chunk.byteLength} bytes, at most ${this.layout.maxChunkBytes} allowed`, {
        details: { index, bytes: chunk.byteLength, max: this.layout.maxChunkBytes },
      });
    }
    const parsed = readChunk(chunk, where);
    if (single) checkSingleUpdate(parsed.header, where);
    checkChunkHeader(
      parsed.header,
      {
        index,
        paramsId: this.descriptor.paramsId,
        ciphertextCount: ciphertextsInChunk(this.layout, index),
        maxSummands: this.descriptor.maxSummands,
      },
      where,
    );
    return parsed;
  }

  private load(bytes: Uint8Array, where: string): SealCipherText {
    return loadCiphertext(this.seal, this.live().bfv.context, bytes, where);
  }
}
