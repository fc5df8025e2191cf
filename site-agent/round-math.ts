/**
 * The per-round arithmetic every site runs, with no I/O, shared by the site agent
 * (run-worker.ts) and the in-process simulator (simulation/simulate.ts) so that benchmarks
 * measure the code the hospitals run:
 *
 * - the update vector a site encodes (update-layout.ts): with site-level DP, the update
 *   clipped to S_t plus this site's share of the noise, drawn once per round, and the
 *   noised "not clipped" count under adaptive clipping; without it, the example-weighted
 *   update clipped to aggregation.maxUpdateNorm;
 * - the server step on the decoded sum: the strategy's step on the weighted mean, and the
 *   next adaptive clip norm, which every site computes identically.
 */
import { nextClipNorm, noisedUnclippedShare } from '../core/privacy/adaptive-clipping.ts';
import type { GaussianSource } from '../core/privacy/gaussian.ts';
import { privatizeUpdate, siteNoiseStd, updateNoiseMultiplier } from '../core/privacy/site-dp.ts';
import { clipToNorm } from '../core/secure-agg/quantize.ts';
import { meanFromWeightedSum, type ServerState, type Strategy } from '../core/strategies/index.ts';
import type { CodecDescriptor } from '../core/update-codec/index.ts';
import { updateLayout } from '../core/update-codec/update-layout.ts';
import type { ModelSpec } from '../models/spec-schema.ts';

/** Where the adaptive clip norm S_t lives in a run's server state (beside the strategy's). */
export const CLIP_NORM_STATE = 'cohort.siteClipNorm';

/** The weights and server state after a round. */
export interface RoundState {
  readonly weights: Float32Array;
  readonly serverState: ServerState;
}

/** Round 0: the strategy's initial state, plus S_0 under adaptive clipping. */
export function initialServerState(spec: ModelSpec, strategy: Strategy, weights: Float32Array): ServerState {
  const site = spec.privacy?.site;
  const clip: ServerState = site?.adaptive ? { [CLIP_NORM_STATE]: Float32Array.of(site.clipNorm) } : {};
  return { ...strategy.initialState(weights), ...clip };
}

/** The site-level clip norm for the next round: fixed, or adaptive clipping's S_t. NaN without site-level DP. */
export function siteClipNorm(spec: ModelSpec, serverState: ServerState): number {
  const site = spec.privacy?.site;
  if (!site) return Number.NaN;
  return site.adaptive ? (serverState[CLIP_NORM_STATE]?.[0] ?? site.clipNorm) : site.clipNorm;
}

export interface UpdateVectorInput {
  readonly spec: ModelSpec;
  readonly global: Float32Array;
  readonly trained: Float32Array;
  /** The site's training examples (its weight without site-level DP). */
  readonly numExamples: number;
  readonly codec: CodecDescriptor;
  readonly serverState: ServerState;
  /** Site-level noise; GaussianSampler.secure() in production. Drawn from once per call. */
  readonly rng: GaussianSource;
}

/** [update..., count share?, weight]: what one site encodes for one round. */
export function siteUpdateVector(input: UpdateVectorInput): Float64Array {
  const { spec, global, trained } = input;
  const layout = updateLayout(spec);
  const delta = new Float64Array(global.length);
  for (let i = 0; i < delta.length; i++) delta[i] = (trained[i] ?? 0) - (global[i] ?? 0);
  const out = new Float64Array(layout.length);
  const site = spec.privacy?.site;
  if (site) {
    const S = siteClipNorm(spec, input.serverState);
    // The noise is split over minSites shares: a round closes only with at least that many
    // updates (and the sites check the count), so the sum carries at least (z S)^2.
    const k = spec.minSites;
    const p = privatizeUpdate(delta, { clipNorm: S, noiseStd: siteNoiseStd(updateNoiseMultiplier(site), S, k), rng: input.rng });
    out.set(p.clipped, 0);
    if (site.adaptive) {
      out[layout.countSlot] = noisedUnclippedShare({ norm: p.norm, clipNorm: S, countNoiseMultiplier: site.adaptive.countNoiseMultiplier, sites: k, rng: input.rng });
    }
    out[layout.weightSlot] = 1;
    return out;
  }
  const weight = input.codec.kind === 'bfv' ? Math.min(input.numExamples, input.codec.maxWeight) : input.numExamples;
  const clipped = clipToNorm(delta, spec.aggregation.maxUpdateNorm);
  // Float32 deltas, as the weights are float32: the same values whatever the codec.
  for (let i = 0; i < layout.parameters; i++) out[i] = Math.fround(clipped[i] ?? 0) * weight;
  out[layout.weightSlot] = weight;
  return out;
}

/**
 * The server step on a decoded aggregate: the strategy's step on the weighted mean update,
 * and S_{t+1} from the noised count under adaptive clipping. Deterministic: every site
 * computes the same bits.
 */
export function applyDecodedAggregate(spec: ModelSpec, strategy: Strategy, state: RoundState, summed: Float64Array, round: number): RoundState {
  const { countSlot, weightSlot, parameters } = updateLayout(spec);
  const values = new Float64Array(parameters + 1);
  values.set(summed.subarray(0, parameters), 0);
  values[parameters] = summed[weightSlot] ?? 0;
  const { meanDelta, totalWeight } = meanFromWeightedSum(values);
  const { [CLIP_NORM_STATE]: clipState, ...strategyState } = state.serverState;
  const step = strategy.applyAggregate(state.weights, meanDelta, strategyState, round);
  const adaptive = spec.privacy?.site?.adaptive;
  let clip: ServerState = {};
  if (adaptive && clipState) {
    const next = nextClipNorm({ clipNorm: clipState[0] as number, noisedUnclippedSum: summed[countSlot] ?? 0, sites: Math.round(totalWeight), adaptive });
    clip = { [CLIP_NORM_STATE]: Float32Array.of(next.clipNorm) };
  }
  return { weights: step.weights, serverState: { ...step.state, ...clip } };
}
