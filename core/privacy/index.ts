/** Differential-privacy accounting: the public surface of core/privacy. */
export { computeEpsilon, computeRdp, RdpAccountant, type AccountantOptions, type SubsampledGaussianEvent } from './rdp-accountant.ts';
export { deltaFromRdp, epsilonFromRdp, type DeltaAtOrder, type EpsilonAtOrder } from './conversion.ts';
export { DEFAULT_RDP_ORDERS } from './orders.ts';
export type { FractionalSeries } from './subsampled-gaussian.ts';
export {
  MAX_NOISE_MULTIPLIER,
  noiseForTargetEpsilon,
  type NoiseSearchInput,
  type NoiseSearchResult,
} from './noise-search.ts';
