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
export { GaussianSampler, type GaussianSource } from './gaussian.ts';
export {
  privatizeUpdate,
  siteNoiseStd,
  updateNoiseMultiplier,
  type PrivatizedUpdate,
  type PrivatizeOptions,
  type SiteDpConfig,
} from './site-dp.ts';
export {
  adaptiveUpdateNoiseMultiplier,
  countNoiseStd,
  MIN_CLIP_NORM,
  nextClipNorm,
  noisedUnclippedShare,
  unclippedIndicator,
  type AdaptiveClippingConfig,
  type NextClipNorm,
} from './adaptive-clipping.ts';
export {
  defaultDelta,
  dpSgdSchedule,
  planPrivacy,
  planRunSpend,
  runDelta,
  runSpendAfter,
  spendAfter,
  stepsWithinBudget,
  sumSpends,
  type EpsilonDelta,
  type PlannedRunSpend,
  type PlanOptions,
  type PrivacyPlan,
  type RecordLevelFigures,
  type RecordDpConfig,
  type RunMechanisms,
  type RunPrivacySpec,
  type RunSpend,
  type StepsWithinBudgetInput,
} from './run-budget.ts';
export {
  participantsFactor,
  siteLevelFigures,
  siteLevelMultipliers,
  type ChargedObserver,
  type SiteExposure,
  type SiteLevelFigures,
  type SiteLevelInput,
  type SiteLevelMultipliers,
} from './site-adjacency.ts';
