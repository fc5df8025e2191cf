/**
 * The model spec a data scientist submits: features, label, model family, loss,
 * local training settings, strategy, privacy, aggregation bounds, rounds. One strict zod schema; unknown keys are
 * refused with the path that names them. Cross-field rules (unique feature names, label
 * not a feature) live in models/validate-spec.ts, which reports them alongside the
 * schema's problems: zod would skip a refinement here whenever another field failed.
 */
import { z } from 'zod';

const Identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'expected an identifier (letters, digits, _ . -)');

export const NumericFeatureSchema = z
  .object({
    name: Identifier,
    type: z.literal('numeric'),
    /** standardize: subtract the site's training mean, divide by its std. */
    preprocess: z.enum(['standardize', 'none']).default('standardize'),
  })
  .strict();

export const CategoricalFeatureSchema = z
  .object({
    name: Identifier,
    type: z.literal('categorical'),
    /** The levels, in order. Every site one-hot encodes against this same list. */
    categories: z.array(z.union([z.string(), z.number()])).min(2),
    preprocess: z.literal('one-hot').default('one-hot'),
    /** Drop the first level (reference coding), as in FLamby's heart-disease setup. */
    dropFirst: z.boolean().default(false),
  })
  .strict();

/**
 * An image: height x width x channels pixel values, one design column each (row-major,
 * channels last). Normalisation is per image, so no statistic crosses records: `per-image`
 * subtracts the image's own mean and divides by its own std; `range` divides by maxValue;
 * `none` leaves the values. Only the cnn model family reads images (models/cnn.ts).
 */
export const ImageFeatureSchema = z
  .object({
    name: Identifier,
    type: z.literal('image'),
    height: z.number().int().min(4).max(256),
    width: z.number().int().min(4).max(256),
    channels: z.number().int().min(1).max(4).default(1),
    normalization: z.enum(['per-image', 'range', 'none']).default('per-image'),
    /** The divisor of `range` normalisation (255 for 8-bit, 4095 for 12-bit pixels). */
    maxValue: z.number().positive().max(2 ** 32).default(255),
  })
  .strict();

export const FeatureSchema = z.discriminatedUnion('type', [NumericFeatureSchema, CategoricalFeatureSchema, ImageFeatureSchema]);

export const LabelSchema = z
  .object({
    name: Identifier,
    type: z.literal('binary'),
    /** Values of the label column counted as the positive class (after mapping); others are negative. */
    positive: z.array(z.union([z.string(), z.number()])).min(1).default([1]),
  })
  .strict();

/**
 * A survival label (the cox-ph family): the follow-up time column and the event column
 * (1 = the event was observed at that time, otherwise censored then). Times must be
 * finite and non-negative.
 */
export const SurvivalLabelSchema = z
  .object({
    type: z.literal('survival'),
    time: Identifier,
    event: Identifier,
    /** Values of the event column counted as an observed event (after mapping); others are censored. */
    eventValues: z.array(z.union([z.string(), z.number()])).min(1).default([1]),
  })
  .strict();

export const LogisticRegressionSchema = z.object({ family: z.literal('logistic-regression') }).strict();

export const MlpSchema = z
  .object({
    family: z.literal('mlp'),
    hidden: z.array(z.number().int().positive().max(4096)).min(1).max(8),
    activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu']).default('relu'),
    dropout: z.number().min(0).max(0.9).default(0),
  })
  .strict();

/** A Keras / tfjs-layers topology, as `model.toJSON()` or tensorflowjs_converter writes it. */
export const KerasTopologySchema = z
  .object({
    family: z.literal('keras'),
    topology: z.record(z.string(), z.unknown()),
  })
  .strict();

/**
 * Cox proportional hazards: a linear risk score x . beta (no intercept: the partial
 * likelihood does not identify one), trained on the Breslow partial likelihood over the
 * site's risk sets. Needs a survival label.
 */
export const CoxPhSchema = z.object({ family: z.literal('cox-ph') }).strict();

/** A convolution over the image; stride and padding as TensorFlow's (models/cnn.ts lists the shapes). */
export const Conv2dLayerSchema = z
  .object({
    type: z.literal('conv2d'),
    filters: z.number().int().min(1).max(256),
    kernelSize: z.number().int().min(1).max(7),
    strides: z.number().int().min(1).max(3).default(1),
    padding: z.enum(['same', 'valid']).default('same'),
    activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu', 'linear']).default('relu'),
  })
  .strict();

/** Max or average pooling, "valid" padding; strides default to the pool size. */
export const Pool2dLayerSchema = z
  .object({
    type: z.enum(['max-pool', 'avg-pool']),
    poolSize: z.number().int().min(2).max(4).default(2),
    strides: z.number().int().min(1).max(4).optional(),
  })
  .strict();

/** Conv and pooling layers over the spec's one image feature, then Dense hidden layers, then Dense(1, sigmoid). */
export const CnnSchema = z
  .object({
    family: z.literal('cnn'),
    layers: z.array(z.union([Conv2dLayerSchema, Pool2dLayerSchema])).min(1).max(16),
    hidden: z.array(z.number().int().positive().max(4096)).max(4).default([]),
    activation: z.enum(['relu', 'tanh', 'sigmoid', 'elu']).default('relu'),
  })
  .strict();

export const ModelSchema = z.discriminatedUnion('family', [LogisticRegressionSchema, MlpSchema, KerasTopologySchema, CoxPhSchema, CnnSchema]);

export const TrainingSchema = z
  .object({
    /** Local epochs per round; exactly one of epochs or steps. */
    epochs: z.number().int().positive().max(1000).optional(),
    steps: z.number().int().positive().max(1_000_000).optional(),
    batchSize: z.number().int().positive().max(65536).default(32),
    optimizer: z.enum(['sgd', 'adam']).default('sgd'),
    learningRate: z.number().positive().max(10).default(0.1),
  })
  .strict()
  .refine((t) => (t.epochs === undefined) !== (t.steps === undefined), {
    message: 'expected exactly one of "epochs" or "steps"',
  });

/** eta: bounded so that a typo (100 for 0.01) is refused rather than diverging. */
const ServerLearningRate = z.number().positive().max(10);
/** A decay rate: beta = 1 would stop the moment from ever changing. */
const Decay = z.number().min(0).lt(1);
const Tau = z.number().positive().max(10);

/*
 * Server-optimizer defaults are Flower's (flwr/server/strategy/fedadam.py, fedyogi.py,
 * fedadagrad.py, v1.x); Reddi et al. 2021 tune eta and tau per task and report no single
 * default. Flower's FedAdagrad fixes beta1 = 0 (no momentum); Cohort lets it be set.
 */
export const FedAdamSchema = z
  .object({
    name: z.literal('fedadam'),
    serverLearningRate: ServerLearningRate.default(0.1),
    beta1: Decay.default(0.9),
    beta2: Decay.default(0.99),
    tau: Tau.default(1e-9),
  })
  .strict();

export const FedYogiSchema = z
  .object({
    name: z.literal('fedyogi'),
    serverLearningRate: ServerLearningRate.default(0.01),
    beta1: Decay.default(0.9),
    beta2: Decay.default(0.99),
    tau: Tau.default(1e-3),
  })
  .strict();

export const FedAdagradSchema = z
  .object({
    name: z.literal('fedadagrad'),
    serverLearningRate: ServerLearningRate.default(0.1),
    beta1: Decay.default(0),
    tau: Tau.default(1e-9),
  })
  .strict();

/** FedAvgM (Hsu et al. 2019): server momentum 0.9, as in their experiments; eta 1 as Flower's FedAvgM. */
export const FedAvgMSchema = z
  .object({
    name: z.literal('fedavgm'),
    serverLearningRate: ServerLearningRate.default(1),
    momentum: Decay.default(0.9),
  })
  .strict();

export const StrategySchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('fedavg') }).strict(),
  z.object({ name: z.literal('fedprox'), mu: z.number().nonnegative().max(100) }).strict(),
  FedAdamSchema,
  FedYogiSchema,
  FedAdagradSchema,
  FedAvgMSchema,
]);

/**
 * Record-level DP (DP-SGD at each site): per-example gradients clipped to clipNorm (C),
 * Gaussian noise of standard deviation noiseMultiplier * C on their sum. The lower bound
 * 0.3 is the smallest noise the accountant is validated for.
 */
export const RecordPrivacySchema = z
  .object({
    noiseMultiplier: z.number().min(0.3).max(100),
    clipNorm: z.number().positive().max(1e6),
  })
  .strict();

/**
 * Adaptive clipping (Andrew et al. 2021): S follows the targetQuantile of the sites'
 * update norms, S <- S exp(-learningRate (b~ - targetQuantile)), b~ the noised fraction of
 * sites that were not clipped; its count carries Gaussian noise of standard deviation
 * countNoiseMultiplier (in units of one site). maxClipNorm caps S (and so the range the
 * encoder must cover); when absent it is 100 x the initial clipNorm.
 */
export const AdaptiveClippingSchema = z
  .object({
    targetQuantile: z.number().gt(0).lt(1).default(0.5),
    learningRate: z.number().positive().max(10).default(0.2),
    countNoiseMultiplier: z.number().positive().max(1e6),
    maxClipNorm: z.number().positive().max(1e8).optional(),
  })
  .strict();

/** Adaptive clipping as parsed: maxClipNorm always filled in. */
export type AdaptiveClippingSpec = z.output<typeof AdaptiveClippingSchema> & { maxClipNorm: number };

interface SitePrivacy {
  noiseMultiplier: number;
  clipNorm: number;
  adaptive?: AdaptiveClippingSpec;
}

/**
 * Site-level DP (DP-FedAvg, McMahan et al. 2018): each site clips its update to clipNorm
 * (S) and adds Gaussian noise of variance (noiseMultiplier * S)^2 / K, K the sites in the
 * round, so the sum carries (z S)^2.
 */
export const SitePrivacySchema = z
  .object({
    noiseMultiplier: z.number().min(0).max(100),
    clipNorm: z.number().positive().max(1e6),
    adaptive: AdaptiveClippingSchema.optional(),
  })
  .strict()
  .transform(({ adaptive, ...site }): SitePrivacy =>
    adaptive === undefined ? site : { ...site, adaptive: { ...adaptive, maxClipNorm: adaptive.maxClipNorm ?? 100 * site.clipNorm } },
  );

/** Absent: no differential privacy. Cross-field rules are in validate-spec.ts. */
export const PrivacySchema = z
  .object({
    record: RecordPrivacySchema.optional(),
    site: SitePrivacySchema.optional(),
  })
  .strict();

/** How updates are bounded and encoded for (encrypted) aggregation; every field has a default. */
export const AggregationSchema = z
  .object({
    /** L2 bound each unweighted update is clipped to before encoding when privacy.site is absent. */
    maxUpdateNorm: z.number().positive().max(1e6).default(100),
    /** Fixed-point bits per maxUpdateNorm: the encoding's step is maxUpdateNorm / 2^precisionBits. */
    precisionBits: z.number().int().min(8).max(30).default(20),
    /** Cap on the example-count weight a site sends (larger counts are sent as this). */
    maxWeight: z.number().int().min(1).max(2 ** 24).default(1_000_000),
  })
  .strict();

/**
 * Pairwise masking under the encryption (docs/secure-aggregation.md), for encrypted (BFV) runs,
 * which then need minSites >= 3 (masked-run.ts maskedCohortRefusal): on by default (absent or `{}`); `false` opts the
 * run out. `threshold`: shares needed to rebuild a site's mask secrets, `default` (a majority
 * that also holds against the coordinator plus one colluding site) or `majority`.
 */
export const MaskingSchema = z
  .object({
    threshold: z.enum(['default', 'majority']).default('default'),
  })
  .strict();

/**
 * A sensitive attribute evaluated per group (docs/fairness.md): a column mapped like a feature,
 * read only for evaluation (never a model input unless the same name is also in `features`).
 * Categorical: `groups` lists its levels. Numeric: `bands` are ascending edges, group i holding
 * values in [bands[i], bands[i+1]) (e.g. age bands [0, 40, 65, 120]).
 */
export const FairnessAttributeSchema = z.discriminatedUnion('type', [
  z
    .object({
      name: Identifier,
      type: z.literal('categorical'),
      // "unrecorded" is every attribute's group of rows with a missing value (models/fairness.ts).
      groups: z
        .array(z.union([z.string(), z.number()]))
        .min(2)
        .max(32)
        .refine((g) => !g.map(String).includes('unrecorded'), { message: '"unrecorded" is reserved for rows whose value is missing' }),
    })
    .strict(),
  z
    .object({
      name: Identifier,
      type: z.literal('numeric'),
      bands: z
        .array(z.number().finite())
        .min(3)
        .max(33)
        .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), { message: 'expected strictly ascending band edges' }),
    })
    .strict(),
]);

/**
 * Subgroup fairness of the evaluation: the attributes, and the equalized odds difference above
 * which a released version needs a review before approval (default 0.1, DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE).
 */
export const FairnessSchema = z
  .object({
    attributes: z.array(FairnessAttributeSchema).min(1).max(8),
    maxEqualizedOddsDifference: z.number().min(0).max(1).optional(),
  })
  .strict()
  .refine((f) => new Set(f.attributes.map((a) => a.name)).size === f.attributes.length, { message: 'fairness attribute names must be unique' });

/** The policy threshold on a version's equalized odds difference when the spec names none. */
export const DEFAULT_MAX_EQUALIZED_ODDS_DIFFERENCE = 0.1;

export const ModelSpecSchema = z
  .object({
    name: Identifier,
    description: z.string().max(2000).optional(),
    /** The consortium-level dataset name; each site maps it to a local extract. */
    dataset: Identifier,
    features: z.array(FeatureSchema).min(1).max(10_000),
    label: z.discriminatedUnion('type', [LabelSchema, SurvivalLabelSchema]),
    model: ModelSchema,
    /** cox-partial-likelihood: the negative Breslow log partial likelihood (cox-ph only; parseSpec fills it in for cox-ph). */
    loss: z.enum(['binary-crossentropy', 'cox-partial-likelihood']).default('binary-crossentropy'),
    training: TrainingSchema,
    strategy: StrategySchema.default({ name: 'fedavg' }),
    /** Differential privacy; absent means none. */
    privacy: PrivacySchema.optional(),
    /** Update bounds and encoding; `{}` or absent takes every default. */
    aggregation: AggregationSchema.prefault({}),
    /** Pairwise masking of encrypted updates (needs minSites >= 3); absent: on with the defaults; `false`: off (plain runs ignore it). */
    masking: z.union([z.literal(false), MaskingSchema]).optional(),
    /** Subgroup fairness of the evaluation (binary labels only); absent: none computed. */
    fairness: FairnessSchema.optional(),
    /**
     * Global explanations summed under the encryption (docs/explanations.md): the mean absolute
     * attribution per feature against the consortium's mean test row; absent: none computed.
     */
    explanations: z.object({ global: z.boolean().default(true) }).strict().optional(),
    rounds: z.number().int().positive().max(10_000),
    minSites: z.number().int().positive().max(1000).default(2),
    /** Seconds a round stays open for updates before late sites are recorded as failed. */
    roundTimeoutSeconds: z.number().int().positive().max(86_400).default(600),
    /** Fraction of each site's rows held out for evaluation (deterministic per seed). */
    testFraction: z.number().min(0.05).max(0.5).default(0.3),
    /** Seed for the shared initial weights and the sites' data splits. */
    seed: z.number().int().nonnegative().max(2 ** 31 - 1).default(42),
  })
  .strict();

export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
export type ModelSpec = z.output<typeof ModelSpecSchema>;
export type LabelSpec = z.output<typeof ModelSpecSchema>['label'];
export type SurvivalLabelSpec = z.output<typeof SurvivalLabelSchema>;
export type FeatureSpec = z.output<typeof FeatureSchema>;
export type ModelFamily = z.output<typeof ModelSchema>;
export type ImageFeatureSpec = z.output<typeof ImageFeatureSchema>;
export type CnnSpec = z.output<typeof CnnSchema>;
export type StrategySpec = z.output<typeof StrategySchema>;
export type TrainingSpec = z.output<typeof TrainingSchema>;
export type FedAdamSpec = z.output<typeof FedAdamSchema>;
export type FedYogiSpec = z.output<typeof FedYogiSchema>;
export type FedAdagradSpec = z.output<typeof FedAdagradSchema>;
export type FedAvgMSpec = z.output<typeof FedAvgMSchema>;
export type PrivacySpec = z.output<typeof PrivacySchema>;
export type RecordPrivacySpec = z.output<typeof RecordPrivacySchema>;
export type SitePrivacySpec = z.output<typeof SitePrivacySchema>;
export type FairnessSpec = z.output<typeof FairnessSchema>;
export type FairnessAttributeSpec = z.output<typeof FairnessAttributeSchema>;
export type AggregationSpec = z.output<typeof AggregationSchema>;
