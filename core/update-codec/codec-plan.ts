/**
 * Which codec a run uses, in two steps. At submission the run records a request: the
 * plaintext descriptor (development only), or `bfv-pending` naming the consortium key. When
 * recruiting ends, the sites that accepted are known, and the encrypted run's parameters are
 * fixed: K = the accepted sites, W = the largest example count among them (1 under site-level
 * DP), the value bound from the spec's clipping, and the spec's precision; the consortium
 * key's N, q and t are checked to hold that sum without wrap-around. The descriptor, with its
 * headroom, replaces the request in the run record before any site trains.
 */
import { CohortError, RunErrors, SecureAggErrors } from '../errors/index.ts';
import type { HeKeyParameters } from '../secure-agg/key-ceremony.ts';
import { bfvDescriptor, runParametersForKeySync, type BfvHeadroom } from '../secure-agg/parameters.ts';
import { loadedSeal } from '../secure-agg/seal-library.ts';
import { plainDescriptor, type CodecDescriptor } from './index.ts';
import { bfvRunRequest, updateLayout } from './update-layout.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

/** An encrypted run before its sites are known. Sites read `key.keyId` to know which key it needs. */
export interface BfvCodecRequest {
  readonly kind: 'bfv-pending';
  readonly length: number;
  readonly key: HeKeyParameters;
}

export type RunCodec = CodecDescriptor | BfvCodecRequest;

/** A final BFV descriptor with the headroom its parameters leave, as the run record stores it. */
export type RecordedCodec = CodecDescriptor & { readonly headroom?: BfvHeadroom };

export const CODECS = ['bfv', 'plain'] as const;

/** The request recorded at submission. `bfv` needs the consortium key's public parameters. */
export function codecRequestFor(spec: ModelSpec, codec: string, key: HeKeyParameters | undefined): RunCodec {
  const { length } = updateLayout(spec);
  if (codec === 'plain') return plainDescriptor(length);
  if (codec === '' || codec === 'bfv') {
    if (key === undefined) {
      throw new CohortError(SecureAggErrors.NO_KEY, 'encrypted runs need the consortium HE key, and the key ceremony has not been run', { details: { codec: 'bfv' } });
    }
    return { kind: 'bfv-pending', length, key };
  }
  throw new CohortError(RunErrors.INVALID_REQUEST, `codec "${codec}" is not one of ${CODECS.join(', ')}`, { details: { field: 'codec' } });
}

/** Fixes the codec once recruiting is over. Throws SECURE_AGG_PARAMS when the run cannot fit the key. */
export function finalCodec(spec: ModelSpec, codec: RunCodec, accepted: readonly { num_examples: number }[]): RecordedCodec {
  if (codec.kind !== 'bfv-pending') return codec;
  const layout = updateLayout(spec);
  const sites = accepted.length;
  const largest = Math.max(1, ...accepted.map((s) => s.num_examples));
  const maxWeight = layout.unweighted ? 1 : Math.min(spec.aggregation.maxWeight, largest);
  const choice = runParametersForKeySync(loadedSeal(), codec.key, bfvRunRequest(spec, sites, maxWeight));
  return { ...bfvDescriptor(choice, codec.key.keyId, codec.key.paramsId), headroom: choice.headroom };
}
