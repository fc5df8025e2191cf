/**
 * The byte format of one BFV chunk, so a coordinator can refuse a chunk made for another
 * run, key or position before touching SEAL:
 *
 *   offset size
 *   0      4    magic "CBFV"
 *   4      1    codec version (1)
 *   5      1    reserved, 0
 *   6      2    ciphertext count (u16 LE)
 *   8      4    chunk index (u32 LE)
 *   12     4    summands: how many site updates this chunk sums (u32 LE)
 *   16     32   paramsId (SHA-256 of the parameters and key id)
 *   48     ...  per ciphertext: u32 LE byte length, then SEAL's zstd-compressed serialization
 *
 * The header is not authenticated; it only routes and refuses. Integrity of the sum is
 * checked at the sites by the encrypted check slots (see layout.ts).
 */
import { CohortError, SecureAggErrors, UpdateErrors } from '../errors/index.ts';
import { CHUNK_HEADER_BYTES, CIPHERTEXT_PREFIX_BYTES } from './layout.ts';

const MAGIC = [0x43, 0x42, 0x46, 0x56] as const; // "CBFV"
export const CHUNK_FORMAT_VERSION = 1;

export interface ChunkHeader {
  readonly ciphertextCount: number;
  readonly index: number;
  readonly summands: number;
  /** Hex SHA-256. */
  readonly paramsId: string;
}

export interface ParsedChunk {
  readonly header: ChunkHeader;
  /** Views into the chunk's bytes, one per ciphertext. */
  readonly ciphertexts: readonly Uint8Array[];
}

/** Serializes a chunk. */
export function writeChunk(header: ChunkHeader, ciphertexts: readonly Uint8Array[]): Uint8Array {
  if (ciphertexts.length !== header.ciphertextCount) {
    throw new RangeError(`header says ${header.ciphertextCount} ciphertexts, got ${ciphertexts.length}`);
  }
  const total = ciphertexts.reduce((n, c) => n + CIPHERTEXT_PREFIX_BYTES + c.byteLength, CHUNK_HEADER_BYTES);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = CHUNK_FORMAT_VERSION;
  view.setUint16(6, header.ciphertextCount, true);
  view.setUint32(8, header.index, true);
  view.setUint32(12, header.summands, true);
  out.set(Buffer.from(header.paramsId, 'hex'), 16);
  let at = CHUNK_HEADER_BYTES;
  for (const c of ciphertexts) {
    view.setUint32(at, c.byteLength, true);
    out.set(c, at + CIPHERTEXT_PREFIX_BYTES);
    at += CIPHERTEXT_PREFIX_BYTES + c.byteLength;
  }
  return out;
}

function malformed(where: string, message: string): CohortError {
  return new CohortError(UpdateErrors.CHUNK_MALFORMED, `${where}: ${message}`, { details: { where } });
}

/**
 * Parses a chunk's framing (not its ciphertexts). `where` names the chunk in messages.
 * Throws UPDATE_CHUNK_MALFORMED on anything that is not a well-formed chunk.
 */
export function readChunk(chunk: Uint8Array, where: string): ParsedChunk {
  if (chunk.byteLength < CHUNK_HEADER_BYTES) {
    throw malformed(where, `${chunk.byteLength} bytes is shorter than the ${CHUNK_HEADER_BYTES}-byte chunk header`);
  }
  if (MAGIC.some((b, i) => chunk[i] !== b)) throw malformed(where, 'does not start with the BFV chunk magic "CBFV"');
  if (chunk[4] !== CHUNK_FORMAT_VERSION) {
    throw malformed(where, `codec version ${chunk[4]}, expected ${CHUNK_FORMAT_VERSION}`);
  }
  if (chunk[5] !== 0) throw malformed(where, 'reserved header byte 5 is not 0');
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const header: ChunkHeader = {
    ciphertextCount: view.getUint16(6, true),
    index: view.getUint32(8, true),
    summands: view.getUint32(12, true),
    paramsId: Buffer.from(chunk.subarray(16, 48)).toString('hex'),
  };
  const ciphertexts: Uint8Array[] = [];
  let at = CHUNK_HEADER_BYTES;
  for (let i = 0; i < header.ciphertextCount; i++) {
    if (at + CIPHERTEXT_PREFIX_BYTES > chunk.byteLength) throw malformed(where, `truncated before ciphertext ${i}`);
    const length = view.getUint32(at, true);
    at += CIPHERTEXT_PREFIX_BYTES;
    if (length === 0 || at + length > chunk.byteLength) {
      throw malformed(where, `ciphertext ${i} claims ${length} bytes, ${chunk.byteLength - at} remain`);
    }
    ciphertexts.push(chunk.subarray(at, at + length));
    at += length;
  }
  if (at !== chunk.byteLength) throw malformed(where, `${chunk.byteLength - at} bytes follow the last ciphertext`);
  return { header, ciphertexts };
}

/** What a chunk at a given position must say about itself. */
export interface ChunkExpectation {
  readonly index: number;
  readonly paramsId: string;
  readonly ciphertextCount: number;
  readonly maxSummands: number;
}

/** Refuses a chunk whose header does not match its position, run parameters or key. */
export function checkChunkHeader(header: ChunkHeader, expected: ChunkExpectation, where: string): void {
  if (header.paramsId !== expected.paramsId) {
    throw new CohortError(
      SecureAggErrors.PARAMS_MISMATCH,
      `${where}: encrypted under paramsId ${header.paramsId.slice(0, 16)}..., the run uses ${expected.paramsId.slice(0, 16)}...`,
      { details: { where, paramsId: header.paramsId, expected: expected.paramsId } },
    );
  }
  if (header.index !== expected.index) {
    throw new CohortError(UpdateErrors.CHUNK_INDEX, `${where}: header names chunk ${header.index}, it was sent as chunk ${expected.index}`, {
      details: { where, index: header.index, expected: expected.index },
    });
  }
  if (header.ciphertextCount !== expected.ciphertextCount) {
    throw malformed(where, `holds ${header.ciphertextCount} ciphertexts, chunk ${expected.index} must hold ${expected.ciphertextCount}`);
  }
  if (header.summands < 1) throw malformed(where, 'sums 0 updates');
  if (header.summands > expected.maxSummands) {
    throw new CohortError(
      SecureAggErrors.TOO_MANY_SUMMANDS,
      `${where}: sums ${header.summands} updates, the parameters allow ${expected.maxSummands}`,
      { details: { where, summands: header.summands, maxSummands: expected.maxSummands } },
    );
  }
}

/**
 * Refuses an uploaded chunk that claims to sum other than one update. The coordinator sums
 * uploads itself; a site's upload saying 2 would make the round's sum claim one summand too
 * many, and every site would then refuse to decode it.
 */
export function checkSingleUpdate(header: ChunkHeader, where: string): void {
  if (header.summands !== 1) {
    throw new CohortError(UpdateErrors.NOT_SINGLE, `${where}: says it sums ${header.summands} updates; an upload carries exactly one`, {
      details: { where, summands: header.summands },
    });
  }
}
