/**
 * The model spec a data scientist submits: features, label, model family, loss,
 * local training settings, strategy, rounds. One strict zod schema; unknown keys are
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

export const FeatureSchema = z.discriminatedUnion('type', [NumericFeatureSchema, CategoricalFeatureSchema]);

export const LabelSchema = z
  .object({
    name: Identifier,
    type: z.literal('binary'),
    /** Values of the label column counted as the positive class (after mapping); others are negative. */
    positive: z.array(z.union([z.string(), z.number()])).min(1).default([1]),
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

export const ModelSchema = z.discriminatedUnion('family', [LogisticRegressionSchema, MlpSchema, KerasTopologySchema]);

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

export const StrategySchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('fedavg') }).strict(),
  z.object({ name: z.literal('fedprox'), mu: z.number().nonnegative().max(100) }).strict(),
]);

export const ModelSpecSchema = z
  .object({
    name: Identifier,
    description: z.string().max(2000).optional(),
    /** The consortium-level dataset name; each site maps it to a local extract. */
    dataset: Identifier,
    features: z.array(FeatureSchema).min(1).max(10_000),
    label: LabelSchema,
    model: ModelSchema,
    loss: z.literal('binary-crossentropy').default('binary-crossentropy'),
    training: TrainingSchema,
    strategy: StrategySchema.default({ name: 'fedavg' }),
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
export type FeatureSpec = z.output<typeof FeatureSchema>;
export type ModelFamily = z.output<typeof ModelSchema>;
export type StrategySpec = z.output<typeof StrategySchema>;
export type TrainingSpec = z.output<typeof TrainingSchema>;
