/**
 * The update codec of a simulated run, set up as the networked path sets it up:
 *
 * - `plain`: the plaintext descriptor the coordinator records for `--no-encryption` runs;
 * - `bfv`: a fresh consortium key (generateConsortiumKey under consortiumKeyContext(), as
 *   the key holder's ceremony makes it), the run's parameters fixed by the coordinator's
 *   own finalCodec with K = the sites and W = the largest example count, one
 *   BfvUpdateEncoder per site (clamping as run-worker.ts does), the key-free
 *   BfvChunkAdder for the sums, and one site's encoder decrypting the aggregate.
 *
 * Every WebAssembly object is released by dispose().
 */
import { CohortError, SecureAggErrors } from '../../core/errors/index.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { createChunkAdder, createPlainEncoder, type ChunkAdder, type UpdateEncoder } from '../../core/update-codec/index.ts';
import { codecRequestFor, finalCodec, type RecordedCodec } from '../../core/update-codec/codec-plan.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

export type SimulationCodecKind = 'plain' | 'bfv';

/** One round's encode, add and decode, for every site of a simulated run. */
export interface SimulationCodec {
  /** The descriptor (with its headroom under bfv) the run record would hold; no key material. */
  readonly descriptor: RecordedCodec;
  /** Encodes each site's vector (site i with encoder i), sums the chunks as the coordinator does, decodes the sum. */
  aggregate(vectors: readonly Float64Array[]): Float64Array;
  dispose(): void;
}

/** Builds the codec for `sites` sites holding `exampleCounts` training rows each. */
export async function createSimulationCodec(kind: SimulationCodecKind, spec: ModelSpec, exampleCounts: readonly number[]): Promise<SimulationCodec> {
  const accepted = exampleCounts.map((n) => ({ num_examples: n }));
  if (kind === 'plain') {
    const descriptor = finalCodec(spec, codecRequestFor(spec, 'plain', undefined), accepted);
    const encoder = createPlainEncoder(descriptor.length);
    return codecOver(descriptor, exampleCounts.map(() => encoder), createChunkAdder(descriptor), [encoder]);
  }
  // The secret key stays in this function's closure, as it stays inside the hospitals.
  const key = await generateConsortiumKey(await consortiumKeyContext());
  const descriptor = finalCodec(spec, codecRequestFor(spec, 'bfv', key.params), accepted);
  if (descriptor.kind !== 'bfv') throw new Error('finalCodec returned a plaintext codec for an encrypted run');
  const encoders: BfvUpdateEncoder[] = [];
  try {
    for (let i = 0; i < exampleCounts.length; i++) encoders.push(await BfvUpdateEncoder.create(descriptor, key.secretKey, { clampOutOfRange: true }));
  } catch (e) {
    encoders.forEach((enc) => enc.dispose());
    throw e;
  } finally {
    key.secretKey.fill(0);
  }
  return codecOver(descriptor, encoders, createChunkAdder(descriptor), encoders);
}

function codecOver(descriptor: RecordedCodec, encoders: readonly UpdateEncoder[], adder: ChunkAdder, owned: readonly UpdateEncoder[]): SimulationCodec {
  const decoder = encoders[0];
  if (decoder === undefined) throw new Error('a simulated run needs at least one site');
  return {
    descriptor,
    aggregate(vectors) {
      const sums: Array<Uint8Array | undefined> = new Array(adder.chunkCount).fill(undefined);
      vectors.forEach((vector, site) => {
        let index = 0;
        for (const chunk of (encoders[site] ?? decoder).encode(vector)) {
          sums[index] = adder.add(sums[index], chunk, index);
          index++;
        }
      });
      const chunks = sums.map((s) => s ?? new Uint8Array());
      if (!(decoder instanceof BfvUpdateEncoder)) return decoder.decode(chunks);
      const decoded = decoder.decodeAggregate(chunks);
      // The same check a site makes against the coordinator's list of contributors.
      if (decoded.summands !== vectors.length) {
        throw new CohortError(SecureAggErrors.AGGREGATE_INCONSISTENT, `the aggregate sums ${decoded.summands} updates, ${vectors.length} sites contributed`, {
          details: { summands: decoded.summands, contributors: vectors.length },
        });
      }
      return decoded.sum;
    },
    dispose() {
      owned.forEach((enc) => enc.dispose());
      adder.dispose();
    },
  };
}
