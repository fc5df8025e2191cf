/**
 * A site's local training for one round, and its evaluation of a global model. A
 * hand-written loop over `optimizer.minimize` (faster here than `model.fit`, and it is
 * where DP-SGD's step plugs in). Deterministic for a given seed on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { CohortError, TrainingErrors } from '../../core/errors/index.ts';
import type { FitConfig } from '../../core/strategies/strategy.ts';
import { flattenWeights, setFlatWeights } from '../../models/build-model.ts';
import { imageFeatureOf, normalizeImages } from '../../models/cnn.ts';
import type { Matrix } from '../../models/features.ts';
import { deriveSeed } from '../../models/seeded-random.ts';
import type { ModelSpec, TrainingSpec } from '../../models/spec-schema.ts';
import { sizeOf } from '../../models/weight-layout.ts';
import { batchSchedule, trainingLength } from './batches.ts';
import { checkFiniteWeights, checkMatrix, checkSurvivalData } from './check-inputs.ts';
import { assertDpCompatible } from './dp-compatibility.ts';
import { checkDpOptions, dpStepPlan, type DpTrainingOptions } from './dp-options.ts';
import { dpTrainStep } from './dp-train-step.ts';
import { accuracy, binaryAuc, binaryCrossEntropy } from './metrics.ts';
import { cIndexOf, concordanceCounts } from '../../core/evaluation/survival-metrics.ts';
import { withModel } from './model-cache.ts';
import { attributionSums, createExplainer, type Explainer } from '../../models/explain/attribution.ts';
import { COMPLETENESS_CAP, type SiteAttribution } from '../../core/evaluation/global-explanations.ts';
import { GaussianSampler } from '../../core/privacy/gaussian.ts';
import { cryptoUniform, poissonSample, seedFrom } from './poisson-sampling.ts';
import { minimizeStep, trainStep, type StepConfig } from './train-step.ts';
import { coxPartialLikelihoodLoss, riskSetPlan } from './cox-loss.ts';

export interface LocalTrainInput {
  readonly spec: ModelSpec;
  /** The round's global weights (flat, `flattenWeights` order). */
  readonly weights: Float32Array;
  readonly data: Matrix;
  readonly fit: FitConfig;
  /** Drives the batch order and dropout masks; derive it per site and round. */
  readonly seed: number;
  /**
   * Record-level DP-SGD: Poisson sampling at rate q (spec.training.batchSize is then
   * unused), per-example clipping, Gaussian noise. Absent: plain training.
   */
  readonly dp?: DpTrainingOptions;
}

export interface LocalTrainResult {
  readonly weights: Float32Array;
  readonly numExamples: number;
  /**
   * Mean over steps of the batch loss before each update (cross-entropy, or for cox-ph the
   * negative partial log-likelihood; proximal term excluded). NaN under DP: the realised batches' loss is not privatised, so the
   * trainer does not release it.
   */
  readonly meanLoss: number;
  /** Optimizer steps taken (under DP, including steps whose Poisson batch was empty). */
  readonly steps: number;
  /** True when DP's `maxSteps` (the site's budget) stopped the round before the steps the spec asks for. */
  readonly stoppedEarly: boolean;
}

export interface EvaluationResult {
  readonly numExamples: number;
  readonly loss: number;
  readonly accuracy: number;
  /** NaN when the data holds a single class. */
  readonly auc: number;
}

/** Steps between returns to the event loop, so heartbeats keep flowing during long rounds. */
const YIELD_EVERY_STEPS = 25;
/** Seed streams derived from the caller's seed. */
const SHUFFLE_STREAM = 1;
const DROPOUT_STREAM = 2;
/** Rows per forward pass when evaluating. */
const EVAL_CHUNK_ROWS = 8192;

function makeOptimizer(training: TrainingSpec): tf.Optimizer {
  return training.optimizer === 'adam' ? tf.train.adam(training.learningRate) : tf.train.sgd(training.learningRate);
}

/**
 * Dropout layers draw from TensorFlow.js's unseeded global generator unless they carry a
 * seed; a fresh seed per step keeps masks different between steps and equal between runs.
 */
function seedDropout(model: tf.LayersModel, seed: number): void {
  for (const layer of model.layers) {
    if (layer.getClassName() === 'Dropout') (layer as unknown as { seed: number }).seed = seed;
  }
}

/** The global values of the trainable weights (they come first in the flat vector). */
function trainableSlices(model: tf.LayersModel, flat: Float32Array): tf.Tensor[] {
  let offset = 0;
  return model.trainableWeights.map((w) => {
    const shape = w.shape as number[];
    const size = sizeOf(shape);
    const t = tf.tensor(flat.slice(offset, offset + size), shape, 'float32');
    offset += size;
    return t;
  });
}

/**
 * The model's input values: the matrix as it is, or for a cnn each image normalised as its
 * spec feature says (per record, so training, evaluation and every site agree).
 */
function modelInputs(spec: ModelSpec, data: Matrix): Matrix {
  const image = imageFeatureOf(spec);
  return image === undefined ? data : { ...data, x: normalizeImages(data.x, image) };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function nonFinite(message: string): CohortError {
  return new CohortError(TrainingErrors.NON_FINITE, message);
}

interface LoopState {
  readonly model: tf.LayersModel;
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
  readonly optimizer: tf.Optimizer;
  readonly config: StepConfig;
  readonly seed: number;
  /** cox-ph: the rows' times and events, on the CPU (each batch is sorted into its risk sets there). */
  readonly survival?: { readonly time: Float64Array; readonly event: Float32Array };
}

interface LoopResult {
  readonly steps: number;
  readonly meanLoss: number;
  readonly stoppedEarly: boolean;
}

function batchOf(state: LoopState, rows: Int32Array): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const index = tf.tensor1d(rows, 'int32');
  return { x: tf.gather(state.x, index) as tf.Tensor2D, y: tf.gather(state.y, index) as tf.Tensor2D };
}

function divergedAt(step: number): CohortError {
  return nonFinite(`local training diverged at step ${step}: the loss is not finite; lower training.learningRate`);
}

/** One step on the Breslow partial likelihood of the batch's rows (cox-loss.ts). */
function coxStep(state: LoopState, survival: NonNullable<LoopState['survival']>, rows: Int32Array): number {
  const plan = riskSetPlan(survival.time, survival.event, rows);
  const x = tf.gather(state.x, tf.tensor1d(plan.order, 'int32')) as tf.Tensor2D;
  return minimizeStep(state.model, x, (eta) => coxPartialLikelihoodLoss(tf.reshape(eta, [-1]) as tf.Tensor1D, plan), state.optimizer, state.config);
}

/** Shuffled fixed-size batches, one `trainStep` (or Cox step) each. */
async function plainLoop(state: LoopState, spec: ModelSpec, rowCount: number): Promise<LoopResult> {
  let steps = 0;
  let lossSum = 0;
  const schedule = batchSchedule(rowCount, spec.training.batchSize, trainingLength(spec.training), deriveSeed(state.seed, SHUFFLE_STREAM));
  for (const rows of schedule) {
    seedDropout(state.model, deriveSeed(state.seed, DROPOUT_STREAM, steps));
    const loss = tf.tidy(() => (state.survival ? coxStep(state, state.survival, rows) : trainStep(state.model, batchOf(state, rows), state.optimizer, state.config)));
    if (!Number.isFinite(loss)) throw divergedAt(steps + 1);
    lossSum += loss;
    steps++;
    if (steps % YIELD_EVERY_STEPS === 0) await yieldToEventLoop();
  }
  return { steps, meanLoss: steps > 0 ? lossSum / steps : Number.NaN, stoppedEarly: false };
}

/** Poisson-sampled batches, one `dpTrainStep` each, up to the site's step cap. */
async function dpLoop(state: LoopState, spec: ModelSpec, rowCount: number, dp: DpTrainingOptions): Promise<LoopResult> {
  const random = dp.random ?? cryptoUniform();
  // Production draws the noise itself from node:crypto; an injected (test) source keeps it seeded and reproducible.
  const noise = dp.random === undefined ? GaussianSampler.secure() : undefined;
  const plan = dpStepPlan(spec.training, dp);
  const expectedBatchSize = dp.samplingRate * rowCount;
  for (let step = 0; step < plan.steps; step++) {
    const rows = poissonSample(rowCount, dp.samplingRate, random);
    const noiseSeed = seedFrom(random);
    seedDropout(state.model, deriveSeed(state.seed, DROPOUT_STREAM, step));
    const loss = tf.tidy(() =>
      dpTrainStep(state.model, batchOf(state, rows), state.optimizer, {
        ...state.config,
        clipNorm: dp.clipNorm,
        noiseMultiplier: dp.noiseMultiplier,
        expectedBatchSize,
        noiseSeed,
        ...(noise ? { noise } : {}),
      }),
    );
    // An empty batch has no loss (NaN by design); any other non-finite loss is divergence.
    if (rows.length > 0 && !Number.isFinite(loss)) throw divergedAt(step + 1);
    if ((step + 1) % YIELD_EVERY_STEPS === 0) await yieldToEventLoop();
  }
  return { steps: plan.steps, meanLoss: Number.NaN, stoppedEarly: plan.stoppedEarly };
}

/**
 * Trains the spec's model from the global weights on the site's data for the spec's
 * epochs or steps (cox-ph: on the Breslow partial likelihood of each batch, cox-loss.ts),
 * with the FedProx term when `fit.proximalMu > 0`, and with DP-SGD when `dp` is set
 * (never for cox-ph: COHORT_E_SPEC_DP_UNSUPPORTED_MODEL). Throws COHORT_E_TRAINING_DATA_SHAPE, COHORT_E_TRAINING_WEIGHTS_SHAPE,
 * COHORT_E_TRAINING_NON_FINITE (diverged), and under DP COHORT_E_TRAINING_DP_CONFIG or
 * COHORT_E_TRAINING_DP_UNSUPPORTED_LAYER; every tensor it made is disposed either way.
 */
export async function trainLocal(input: LocalTrainInput): Promise<LocalTrainResult> {
  const { spec, weights, fit, seed, dp } = input;
  checkMatrix(spec, input.data, 'training');
  checkSurvivalData(spec, input.data, 'training');
  const data = modelInputs(spec, input.data);
  checkFiniteWeights(weights, 'global');
  if (dp !== undefined) {
    checkDpOptions(dp);
    assertDpCompatible(spec);
  }
  return withModel(spec, async (model) => {
    setFlatWeights(model, weights);
    const x = tf.tensor2d(data.x, [data.rows, data.cols], 'float32');
    const y = tf.tensor2d(data.y, [data.rows, 1], 'float32');
    const optimizer = makeOptimizer(spec.training);
    const config: StepConfig = {
      proximalMu: fit.proximalMu,
      globalTrainable: fit.proximalMu > 0 ? trainableSlices(model, weights) : null,
    };
    try {
      const survival = spec.model.family === 'cox-ph' ? { time: data.time!, event: data.y } : undefined;
      const state: LoopState = { model, x, y, optimizer, config, seed, ...(survival ? { survival } : {}) };
      const run = dp === undefined ? await plainLoop(state, spec, data.rows) : await dpLoop(state, spec, data.rows, dp);
      const trained = flattenWeights(model);
      if (trained.some((w) => !Number.isFinite(w))) {
        throw nonFinite('local training produced non-finite weights; lower training.learningRate');
      }
      return { weights: trained, numExamples: data.rows, ...run };
    } finally {
      x.dispose();
      y.dispose();
      optimizer.dispose();
      config.globalTrainable?.forEach((t) => t.dispose());
    }
  });
}

/** Predicted probabilities for every row, in chunks, without dropout. */
function predict(model: tf.LayersModel, data: Matrix): Float32Array {
  const out = new Float32Array(data.rows);
  for (let start = 0; start < data.rows; start += EVAL_CHUNK_ROWS) {
    const end = Math.min(data.rows, start + EVAL_CHUNK_ROWS);
    const values = tf.tidy(() => {
      const x = tf.tensor2d(data.x.subarray(start * data.cols, end * data.cols), [end - start, data.cols], 'float32');
      return (model.apply(x, { training: false }) as tf.Tensor).dataSync();
    });
    out.set(values, start);
  }
  return out;
}

/**
 * Evaluates weights on held-out data: mean binary cross-entropy (probabilities clipped
 * to [1e-7, 1 - 1e-7]), accuracy at 0.5, and rank AUC.
 */
export async function evaluate(spec: ModelSpec, weights: Float32Array, data: Matrix): Promise<EvaluationResult> {
  return metricsOf(await predictProbabilities(spec, weights, data), data);
}

/** The model's predicted probabilities on each row of `data` (for cox-ph, the risk scores x . beta). */
export async function predictProbabilities(spec: ModelSpec, weights: Float32Array, data: Matrix): Promise<Float32Array> {
  checkMatrix(spec, data, 'evaluation');
  checkSurvivalData(spec, data, 'evaluation');
  checkFiniteWeights(weights, 'evaluated');
  return withModel(spec, (model) => {
    setFlatWeights(model, weights);
    return predict(model, modelInputs(spec, data));
  });
}

/**
 * Attributes each row of `data` against `baseline` with the model's explainer
 * (models/explain/attribution.ts: linear SHAP for a logistic regression, Integrated Gradients
 * otherwise): attributionSums' per-feature sums of |attribution|, and the sum of the rows'
 * completeness errors, each capped at COMPLETENESS_CAP.
 */
export async function attributeRows(spec: ModelSpec, weights: Float32Array, data: Matrix, baseline: Float64Array): Promise<SiteAttribution> {
  checkMatrix(spec, data, 'evaluation');
  checkFiniteWeights(weights, 'explained');
  // createExplainer selects TensorFlow.js's cpu backend; the agent's own choice (backend.ts) is restored after.
  // undefined before any backend was chosen (then cpu stays).
  const backend = tf.getBackend() as string | undefined;
  try {
    return await withModel(spec, async (model) => {
      setFlatWeights(model, weights);
      return attributeWith(await createExplainer(model, spec.features, spec.model.family), data, baseline);
    });
  } finally {
    if (backend !== undefined && tf.getBackend() !== backend) await tf.setBackend(backend);
  }
}

function attributeWith(explainer: Explainer, data: Matrix, baseline: Float64Array): SiteAttribution {
  let completenessSum = 0;
  const recording: Explainer = {
    ...explainer,
    explain(x, b) {
      const e = explainer.explain(x, b);
      completenessSum += Math.min(COMPLETENESS_CAP, e.completenessError);
      return e;
    },
  };
  const rows = Array.from({ length: data.rows }, (_, i) => Float64Array.from(data.x.subarray(i * data.cols, (i + 1) * data.cols)));
  const { sumAbs, count } = attributionSums(recording, rows, baseline);
  return { sumAbs, count, completenessSum };
}

/** {@link evaluate}'s metrics from predictions already made. */
export function metricsOf(probabilities: Float32Array, data: Matrix): EvaluationResult {
  return {
    numExamples: data.rows,
    loss: binaryCrossEntropy(probabilities, data.y),
    accuracy: accuracy(probabilities, data.y),
    auc: binaryAuc(probabilities, data.y),
  };
}

/** A site's survival evaluation of a cox-ph model on its held-out rows. */
export interface SurvivalEvaluationResult {
  readonly site?: string;
  readonly numExamples: number;
  readonly events: number;
  /** Harrell's C-index (core/evaluation/survival-metrics.ts); NaN without a comparable pair. */
  readonly cIndex: number;
  readonly comparablePairs: number;
}

/** {@link SurvivalEvaluationResult} from risk scores already computed. */
export function survivalMetricsOf(risk: Float32Array, data: Matrix): SurvivalEvaluationResult {
  if (data.time === undefined) throw new RangeError('survival metrics need the rows\' times');
  const counts = concordanceCounts(risk, data.time, data.y);
  let events = 0;
  for (let i = 0; i < data.rows; i++) if (data.y[i] === 1) events++;
  return { numExamples: data.rows, events, cIndex: cIndexOf(counts), comparablePairs: counts.comparable };
}
