/**
 * Spec -> tf.LayersModel, and the flat weight vector that travels between sites and the
 * coordinator. The model's weights are checked against the spec's weight layout, so the
 * flat vector means the same thing at every site.
 */
import * as tf from '@tensorflow/tfjs';
import { CohortError, SpecErrors, TrainingErrors } from '../core/errors/index.ts';
import { cnnPlan } from './cnn.ts';
import { inputDimOf } from './features.ts';
import { unwrapModelConfig } from './keras-topology.ts';
import type { ModelSpec } from './spec-schema.ts';
import { sizeOf, weightLayout, type WeightSpec } from './weight-layout.ts';

type BuildableSpec = Pick<ModelSpec, 'features' | 'model'>;

function buildLogistic(inputs: number): tf.LayersModel {
  const model = tf.sequential({ name: 'logistic_regression' });
  model.add(tf.layers.dense({ name: 'output', units: 1, activation: 'sigmoid', inputShape: [inputs] }));
  return model;
}

function buildMlp(inputs: number, spec: Extract<ModelSpec['model'], { family: 'mlp' }>): tf.LayersModel {
  const model = tf.sequential({ name: 'mlp' });
  spec.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({ name: `hidden_${i + 1}`, units, activation: spec.activation, ...(i === 0 ? { inputShape: [inputs] } : {}) }),
    );
    if (spec.dropout > 0) model.add(tf.layers.dropout({ name: `dropout_${i + 1}`, rate: spec.dropout }));
  });
  model.add(tf.layers.dense({ name: 'output', units: 1, activation: 'sigmoid' }));
  return model;
}

/** Cox proportional hazards: the linear risk score (log relative hazard) x . beta, one Dense(1) without bias or activation. */
function buildCox(inputs: number): tf.LayersModel {
  const model = tf.sequential({ name: 'cox_ph' });
  model.add(tf.layers.dense({ name: 'output', units: 1, activation: 'linear', useBias: false, inputShape: [inputs] }));
  return model;
}

/**
 * The cnn family: reshape the flat row to [h, w, c], the conv and pooling layers, flatten,
 * Dense hidden layers, Dense(1, sigmoid). Layer names match weight-layout.ts.
 */
function buildCnn(spec: BuildableSpec): tf.LayersModel {
  const plan = cnnPlan(spec);
  const family = spec.model as Extract<ModelSpec['model'], { family: 'cnn' }>;
  const { height, width, channels } = plan.image;
  const model = tf.sequential({ name: 'cnn' });
  model.add(tf.layers.reshape({ name: 'image', targetShape: [height, width, channels], inputShape: [height * width * channels] }));
  for (const { name, layer } of plan.stages) {
    if (layer.type === 'conv2d') {
      model.add(
        tf.layers.conv2d({
          name,
          filters: layer.filters,
          kernelSize: layer.kernelSize,
          strides: layer.strides,
          padding: layer.padding,
          activation: layer.activation,
        }),
      );
    } else {
      const options = { name, poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, padding: 'valid' as const };
      model.add(layer.type === 'max-pool' ? tf.layers.maxPooling2d(options) : tf.layers.averagePooling2d(options));
    }
  }
  model.add(tf.layers.flatten({ name: 'flatten' }));
  family.hidden.forEach((units, i) => model.add(tf.layers.dense({ name: `hidden_${i + 1}`, units, activation: family.activation })));
  model.add(tf.layers.dense({ name: 'output', units: 1, activation: 'sigmoid' }));
  return model;
}

/** Refuses a model whose weights differ from the layout the spec promises every site. */
function checkLayout(model: tf.LayersModel, layout: readonly WeightSpec[]): void {
  const actual = model.weights;
  const same =
    actual.length === layout.length &&
    actual.every((w, i) => w.trainable === layout[i]!.trainable && w.shape.join(',') === layout[i]!.shape.join(','));
  if (!same) {
    model.dispose();
    throw new CohortError(
      SpecErrors.KERAS_SHAPE,
      `spec.model.topology: the built model has weights [${actual.map((w) => w.shape.join('x')).join(', ')}] but the spec describes [${layout.map((w) => w.shape.join('x')).join(', ')}]`,
    );
  }
}

/**
 * Builds the spec's model: logistic regression is one Dense(1, sigmoid) on the design
 * matrix; cox-ph one Dense(1) without bias, its output the risk score; an MLP is Dense hidden layers (with Dropout when set) then Dense(1, sigmoid);
 * a Keras topology is deserialised by tfjs-layers. Weights start from TensorFlow.js's
 * initializers; callers set them with `setFlatWeights(model, initialWeights(spec))` or the
 * round's global weights. Async because tfjs-layers' deserialiser is.
 */
export async function buildModel(spec: BuildableSpec): Promise<tf.LayersModel> {
  const inputs = inputDimOf(spec);
  const layout = weightLayout(spec);
  let model: tf.LayersModel;
  switch (spec.model.family) {
    case 'logistic-regression':
      model = buildLogistic(inputs);
      break;
    case 'mlp':
      model = buildMlp(inputs, spec.model);
      break;
    case 'cox-ph':
      model = buildCox(inputs);
      break;
    case 'cnn':
      model = buildCnn(spec);
      break;
    case 'keras': {
      // weightLayout above has already read and checked the chain; only the config is needed here.
      const modelConfig = unwrapModelConfig(spec.model.topology);
      try {
        // A copy, because tfjs-layers may annotate the config it reads and the spec is frozen.
        model = await tf.models.modelFromJSON({ modelTopology: structuredClone(modelConfig) } as tf.io.ModelJSON);
      } catch (cause) {
        throw new CohortError(SpecErrors.KERAS_SHAPE, `spec.model.topology: TensorFlow.js cannot build it: ${(cause as Error).message}`, { cause });
      }
      break;
    }
  }
  checkLayout(model, layout);
  return model;
}

/** Number of values in the model's flat weight vector. */
function modelParameterCount(model: tf.LayersModel): number {
  return model.weights.reduce((n, w) => n + sizeOf(w.shape as number[]), 0);
}

/** The model's weights as one vector, in `model.weights` order (trainable first). */
export function flattenWeights(model: tf.LayersModel): Float32Array {
  const flat = new Float32Array(modelParameterCount(model));
  let offset = 0;
  for (const w of model.weights) {
    // read() returns the variable itself: no tensor is allocated.
    const values = w.read().dataSync() as Float32Array;
    flat.set(values, offset);
    offset += values.length;
  }
  return flat;
}

/**
 * Writes a flat vector into the model's weights. Throws COHORT_E_TRAINING_WEIGHTS_SHAPE
 * when its length is not the model's parameter count. The values are copied.
 */
export function setFlatWeights(model: tf.LayersModel, flat: Float32Array): void {
  const expected = modelParameterCount(model);
  if (flat.length !== expected) {
    throw new CohortError(
      TrainingErrors.WEIGHTS_SHAPE,
      `the weight vector has ${flat.length} values but model "${model.name}" has ${expected} parameters`,
      { details: { expected, actual: flat.length } },
    );
  }
  let offset = 0;
  tf.tidy(() => {
    for (const w of model.weights) {
      const size = sizeOf(w.shape as number[]);
      // slice() copies: the CPU backend would otherwise keep a view of the caller's array.
      w.write(tf.tensor(flat.slice(offset, offset + size), w.shape as number[], 'float32'));
      offset += size;
    }
  });
}
