/** Differential-privacy accounting: the public surface of core/privacy. */
export { computeEpsilon, computeRdp, RdpAccountant, type AccountantOptions, type SubsampledGaussianEvent } from './rdp-accountant.ts';
export { deltaFromRdp, epsilonFromRdp, MIN_CONVERSION_ORDER, type DeltaAtOrder, type EpsilonAtOrder } from './conversion.ts';
export { DEFAULT_RDP_ORDERS } from './orders.ts';
export {
  MAX_FRACTIONAL_SERIES_TERMS,
  rdpOfSubsampledGaussian,
  type FractionalSeries,
} from './subsampled-gaussian.ts';
export {
  MAX_NOISE_MULTIPLIER,
  NOISE_RELATIVE_TOLERANCE,
  noiseForTargetEpsilon,
  type NoiseSearchInput,
  type NoiseSearchResult,
} from './noise-search.ts';
export { erfc, logErfc } from './erfc.ts';
