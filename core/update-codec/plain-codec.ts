import { CohortError, UpdateErrors } from '../errors/index.ts';
import type { ChunkAdder, PlainCodecDescriptor, UpdateEncoder } from './types.ts';

/** 128 Ki float64 values = 1 MiB per chunk, well under gRPC's 4 MiB default receive limit. */
export const DEFAULT_PLAIN_VALUES_PER_CHUNK = 131_072;

export function plainDescriptor(length: number, valuesPerChunk = DEFAULT_PLAIN_VALUES_PER_CHUNK): PlainCodecDescriptor {
  if (!Number.isInteger(length) || length < 2) throw new TypeError(`length must be an integer >= 2, got ${length}`);
  return { kind: 'plain', length, valuesPerChunk };
}

function chunkLength(d: PlainCodecDescriptor, index: number): number {
  return Math.min(d.valuesPerChunk, d.length - index * d.valuesPerChunk);
}

function chunkCountOf(d: PlainCodecDescriptor): number {
  return Math.ceil(d.length / d.valuesPerChunk);
}

function asFloat64(chunk: Uint8Array): Float64Array {
  // Copy: the chunk's buffer may be unaligned or shared with gRPC's frame.
  const copy = new Uint8Array(chunk.byteLength);
  copy.set(chunk);
  return new Float64Array(copy.buffer);
}

/** Adds plaintext float64 chunks. For development only: the coordinator sees the values. */
export class PlainChunkAdder implements ChunkAdder {
  readonly chunkCount: number;
  constructor(readonly descriptor: PlainCodecDescriptor) {
    this.chunkCount = chunkCountOf(descriptor);
  }

  validate(chunk: Uint8Array, index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.chunkCount) {
      throw new CohortError(UpdateErrors.CHUNK_INDEX, `chunk index ${index} is outside 0..${this.chunkCount - 1}`, {
        details: { index, chunkCount: this.chunkCount },
      });
    }
    const expected = chunkLength(this.descriptor, index) * 8;
    if (chunk.byteLength !== expected) {
      throw new CohortError(UpdateErrors.CHUNK_SIZE, `chunk ${index} has ${chunk.byteLength} bytes, expected ${expected}`, {
        details: { index, bytes: chunk.byteLength, expected },
      });
    }
    const values = asFloat64(chunk);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new CohortError(UpdateErrors.CHUNK_MALFORMED, `chunk ${index} holds a non-finite value at offset ${i}`, {
          details: { index, offset: i },
        });
      }
    }
  }

  add(acc: Uint8Array | undefined, chunk: Uint8Array, index: number): Uint8Array {
    this.validate(chunk, index);
    const values = asFloat64(chunk);
    if (acc === undefined) return new Uint8Array(values.buffer);
    const sum = asFloat64(acc);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + (values[i] ?? 0);
    return new Uint8Array(sum.buffer);
  }

  dispose(): void {}
}

export class PlainUpdateEncoder implements UpdateEncoder {
  readonly chunkCount: number;
  constructor(readonly descriptor: PlainCodecDescriptor) {
    this.chunkCount = chunkCountOf(descriptor);
  }

  *encode(vector: Float64Array): Iterable<Uint8Array> {
    if (vector.length !== this.descriptor.length) {
      throw new TypeError(`vector has ${vector.length} values, the codec expects ${this.descriptor.length}`);
    }
    for (let i = 0; i < this.chunkCount; i++) {
      const start = i * this.descriptor.valuesPerChunk;
      const part = vector.slice(start, start + chunkLength(this.descriptor, i));
      yield new Uint8Array(part.buffer);
    }
  }

  decode(chunks: readonly Uint8Array[]): Float64Array {
    if (chunks.length !== this.chunkCount) {
      throw new CohortError(UpdateErrors.TRUNCATED, `aggregate has ${chunks.length} chunks, expected ${this.chunkCount}`);
    }
    const out = new Float64Array(this.descriptor.length);
    chunks.forEach((c, i) => out.set(asFloat64(c), i * this.descriptor.valuesPerChunk));
    return out;
  }

  dispose(): void {}
}
