import { CohortError, RunErrors } from '../errors/index.ts';
import { PlainChunkAdder, PlainUpdateEncoder, plainDescriptor } from './plain-codec.ts';
import type { ChunkAdder, CodecDescriptor, UpdateEncoder } from './types.ts';

export type { ChunkAdder, CodecDescriptor, UpdateEncoder, PlainCodecDescriptor, BfvCodecDescriptor } from './types.ts';
export { plainDescriptor } from './plain-codec.ts';

/** The coordinator's adder for a run's codec. Holds no key for any codec. */
export function createChunkAdder(descriptor: CodecDescriptor): ChunkAdder {
  switch (descriptor.kind) {
    case 'plain':
      return new PlainChunkAdder(descriptor);
    case 'bfv':
      // core/secure-agg has the adder; runs cannot select the bfv codec until the key ceremony exists.
      throw new CohortError(RunErrors.INVALID_REQUEST, 'the bfv codec is not available in runs yet (the key ceremony is not built)', { details: { codec: 'bfv' } });
  }
}

/** A site's encoder for a run's codec (plaintext; BFV encoders need the site's key). */
export function createPlainEncoder(length: number): UpdateEncoder {
  return new PlainUpdateEncoder(plainDescriptor(length));
}
