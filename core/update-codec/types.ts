/**
 * The update path, split so that encryption slots in without the coordinator changing.
 *
 * A site turns its weighted update into one vector `v = [w * delta_1, ..., w * delta_n, w]`
 * (w = its example count, the weight travels with the update and is summed with it),
 * encodes `v` into a sequence of bounded chunks, and streams them up. The coordinator
 * only adds chunk i of each site into running sum i (a {@link ChunkAdder}, which holds no
 * key) and streams the summed chunks back. Sites decode the sum and divide by its last
 * element. The codec is named by a {@link CodecDescriptor} that is stored in the run
 * record, so both sides agree on chunk count and sizes before any byte moves.
 */

export type CodecDescriptor = PlainCodecDescriptor | BfvCodecDescriptor;

/** Plaintext float64 chunks: for development and the `--no-encryption` path. */
export interface PlainCodecDescriptor {
  readonly kind: 'plain';
  /** Number of values in the summed vector (parameters + 1 for the weight). */
  readonly length: number;
  /** Values per chunk; the last chunk may hold fewer. */
  readonly valuesPerChunk: number;
}

/** BFV ciphertext chunks (see core/secure-agg). Parameters are public. */
export interface BfvCodecDescriptor {
  readonly kind: 'bfv';
  readonly length: number;
  /** Plaintext slots per ciphertext (the polynomial modulus degree N). */
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly plainModulus: string;
  /** Fixed-point scale: a value x is encoded as round(x * scale). */
  readonly scale: number;
  /** Ciphertexts per chunk. */
  readonly ciphertextsPerChunk: number;
  /** Maximum number of summands the parameters were chosen for (no wrap-around). */
  readonly maxSummands: number;
  /** Bound on |delta_i| of the unweighted update; sites refuse (or clamp) values beyond it. */
  readonly maxAbsValue: number;
  /** Bound on the weight w (an integer example count) carried in the last value. */
  readonly maxWeight: number;
  /** Random id of the run's key (hex, 16 bytes); public, it names the key without revealing it. */
  readonly keyId: string;
  /** SHA-256 of the public parameters (and key id), to refuse ciphertexts under others. */
  readonly paramsId: string;
}

/** Coordinator side: adds chunks without any key. Pure and synchronous. */
export interface ChunkAdder {
  readonly descriptor: CodecDescriptor;
  /** Number of chunks every site must send. */
  readonly chunkCount: number;
  /** Throws a CohortError (UPDATE_* code) if the chunk cannot be a valid chunk `index`. */
  validate(chunk: Uint8Array, index: number): void;
  /** Returns acc + chunk; `acc` undefined means this is the first summand. */
  add(acc: Uint8Array | undefined, chunk: Uint8Array, index: number): Uint8Array;
  /** Releases any WebAssembly memory held. */
  dispose(): void;
}

/** Site side: encodes a weighted update and decodes a summed aggregate. */
export interface UpdateEncoder {
  readonly descriptor: CodecDescriptor;
  readonly chunkCount: number;
  /** Encodes v (length === descriptor.length) into chunkCount chunks, lazily. */
  encode(vector: Float64Array): Iterable<Uint8Array>;
  /** Decodes the summed chunks back into the summed vector. */
  decode(chunks: readonly Uint8Array[]): Float64Array;
  dispose(): void;
}
