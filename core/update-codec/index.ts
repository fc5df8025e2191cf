import { BfvChunkAdder } from '../secure-agg/bfv-chunk-adder.ts';
import { loadedSeal } from '../secure-agg/seal-library.ts';
import { PlainChunkAdder, PlainUpdateEncoder, plainDescriptor } from './plain-codec.ts';
import type { ChunkAdder, CodecDescriptor, UpdateEncoder } from './types.ts';

export type { ChunkAdder, CodecDescriptor, UpdateEncoder, PlainCodecDescriptor, BfvCodecDescriptor } from './types.ts';
export { plainDescriptor } from './plain-codec.ts';

/**
 * The coordinator's adder for a run's codec. Holds no key for any codec. The bfv adder needs
 * node-seal loaded (the coordinator awaits loadSeal() at start-up).
 */
export function createChunkAdder(descriptor: CodecDescriptor): ChunkAdder {
  switch (descriptor.kind) {
    case 'plain':
      return new PlainChunkAdder(descriptor);
    case 'bfv':
      // Key-free by construction: see core/secure-agg/bfv-chunk-adder.ts.
      return new BfvChunkAdder(loadedSeal(), descriptor);
  }
}

/** A site's encoder for a run's codec (plaintext; BFV encoders need the site's key). */
export function createPlainEncoder(length: number): UpdateEncoder {
  return new PlainUpdateEncoder(plainDescriptor(length));
}
