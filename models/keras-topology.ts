/**
 * Reads a Keras / tfjs-layers topology without TensorFlow.js: unwraps the formats data
 * scientists export, puts the layers in data-flow order, and checks that Cohort can
 * train it (supported layer classes, a single chain, input as wide as the design
 * matrix, one sigmoid output). Pure, so the coordinator can refuse a bad spec before
 * any site builds a model.
 */
import { CohortError, SpecErrors } from '../core/errors/index.ts';

/** Layer classes Cohort can train and federate. */
const SUPPORTED_KERAS_LAYERS = [
  'InputLayer',
  'Dense',
  'Dropout',
  'Activation',
  'BatchNormalization',
  'LayerNormalization',
] as const;

/** Activation names (Keras / tfjs spelling) that tfjs-layers can deserialise. */
const SUPPORTED_KERAS_ACTIVATIONS = [
  'linear', 'relu', 'relu6', 'elu', 'selu', 'sigmoid', 'hard_sigmoid', 'tanh',
  'softplus', 'softsign', 'softmax', 'swish', 'mish', 'gelu',
] as const;

type Json = Record<string, unknown>;

/** One layer of the chain, in data-flow order. */
export interface KerasLayer {
  /** Position in the topology's own layer list (what the author sees). */
  readonly index: number;
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  /** Width of the layer's input (all tensors in a Cohort model are [batch, width]). */
  readonly inputWidth: number;
  readonly outputWidth: number;
}

export interface KerasChain {
  /** The `{class_name, config}` model config, ready for `tf.models.modelFromJSON`. */
  readonly modelConfig: Json;
  readonly layers: readonly KerasLayer[];
  readonly inputWidth: number;
}

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function shapeError(message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(SpecErrors.KERAS_SHAPE, `spec.model.topology: ${message}`, { details });
}

/**
 * Unwraps the accepted formats to the `{class_name, config}` model config:
 * `model.toJSON()` output, a Keras `model_config`, or tensorflowjs_converter's
 * `model.json` (`{modelTopology: {model_config}}`; its weightsManifest is ignored).
 */
export function unwrapModelConfig(topology: Json): Json {
  let t: Json = topology;
  if (isRecord(t.modelTopology)) t = t.modelTopology;
  if (isRecord(t.model_config)) t = t.model_config;
  if (typeof t.class_name !== 'string' || !(isRecord(t.config) || Array.isArray(t.config))) {
    throw shapeError(
      'expected a Keras model JSON with "class_name" and "config" (as written by model.toJSON() or tensorflowjs_converter)',
    );
  }
  return t;
}

interface RawLayer {
  readonly index: number;
  readonly className: string;
  readonly name: string;
  readonly config: Json;
  readonly raw: Json;
}

function rawLayers(list: unknown): RawLayer[] {
  if (!Array.isArray(list) || list.length === 0) throw shapeError('the model has no layers');
  return list.map((entry, index) => {
    if (!isRecord(entry) || typeof entry.class_name !== 'string' || !isRecord(entry.config)) {
      throw shapeError(`layer ${index} has no "class_name" and "config"`, { layerIndex: index });
    }
    const name = typeof entry.name === 'string' ? entry.name : typeof entry.config.name === 'string' ? entry.config.name : `layer_${index}`;
    return { index, className: entry.class_name, name, config: entry.config, raw: entry };
  });
}

/**
 * Keras layer classes DP-SGD can train: Dense (per-example clipping covers it) and layers
 * without weights that treat each example of a batch on its own. BatchNormalization is not
 * one: it mixes the examples of a batch.
 */
export const DP_SGD_LAYER_CLASSES: readonly string[] = ['Dense', 'Dropout', 'Activation', 'Flatten', 'InputLayer'];

/**
 * The layers of a Keras topology as listed (sequential config or functional `layers`), or []
 * when the topology cannot be read: for checks that report alongside the shape errors.
 */
export function listKerasLayers(topology: unknown): readonly { index: number; className: string; name: string }[] {
  if (!isRecord(topology)) return [];
  try {
    const config = unwrapModelConfig(topology).config;
    return rawLayers(Array.isArray(config) ? config : (config as Json).layers);
  } catch (e) {
    if (e instanceof CohortError) return [];
    throw e;
  }
}

/** Names of the layers feeding a functional-model layer (Keras 2 inbound_nodes format). */
function inboundNames(layer: RawLayer): string[] {
  const nodes = layer.raw.inbound_nodes;
  if (nodes === undefined || (Array.isArray(nodes) && nodes.length === 0)) return [];
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) {
    throw shapeError(`layer ${layer.index} ("${layer.name}") is called more than once or in a format Cohort does not read (Keras 2 inbound_nodes expected)`, {
      layerIndex: layer.index,
    });
  }
  return (nodes[0] as unknown[]).map((n) => (Array.isArray(n) && typeof n[0] === 'string' ? n[0] : ''));
}

/** Orders a functional model's layers from input to output; refuses branches and merges. */
function functionalChain(config: Json, layers: RawLayer[]): RawLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const ends = (key: string): string[] =>
    Array.isArray(config[key]) ? (config[key] as unknown[]).map((e) => (Array.isArray(e) ? String(e[0]) : String(e))) : [];
  const inputs = ends('input_layers');
  const outputs = ends('output_layers');
  const chainError = (): CohortError =>
    shapeError('only a single chain of layers (one input, one output, no branches or merges) is supported');
  if (inputs.length !== 1 || outputs.length !== 1) throw chainError();
  const ordered: RawLayer[] = [];
  let current = byName.get(outputs[0]!);
  while (current !== undefined && ordered.length <= layers.length) {
    ordered.unshift(current);
    if (current.name === inputs[0]) break;
    const from = inboundNames(current);
    if (from.length !== 1) throw chainError();
    current = byName.get(from[0]!);
  }
  if (ordered.length !== layers.length || ordered[0]?.name !== inputs[0]) throw chainError();
  return ordered;
}

/** Reads a `[null, d]` batch shape or a `[d]` input shape; undefined when absent. */
function declaredInputWidth(layer: RawLayer): number | undefined {
  const c = layer.config;
  const batch = c.batch_input_shape ?? c.batch_shape;
  const shape = Array.isArray(batch) ? batch.slice(1) : Array.isArray(c.input_shape) ? c.input_shape : undefined;
  if (shape === undefined) return undefined;
  if (shape.length !== 1 || !Number.isInteger(shape[0]) || (shape[0] as number) <= 0) {
    throw shapeError(`layer ${layer.index} ("${layer.name}") declares input shape ${JSON.stringify(shape)}; expected a flat vector [width]`, {
      layerIndex: layer.index,
    });
  }
  return shape[0] as number;
}

function unsupported(layer: RawLayer, what: string): CohortError {
  return new CohortError(
    SpecErrors.UNSUPPORTED_LAYER,
    `spec.model.topology layer ${layer.index} (${layer.className} "${layer.name}"): ${what}`,
    { details: { layerClass: layer.className, layerIndex: layer.index } },
  );
}

/** Refuses options that Cohort's training loop would silently ignore. */
function checkLayerOptions(layer: RawLayer): void {
  for (const [key, value] of Object.entries(layer.config)) {
    if ((key.endsWith('_regularizer') || key.endsWith('_constraint')) && value !== null && value !== undefined) {
      throw unsupported(layer, `"${key}" is not supported (federated training uses its own loss; use strategy fedprox for a proximal penalty)`);
    }
  }
  if (layer.config.dtype !== undefined && layer.config.dtype !== null && layer.config.dtype !== 'float32') {
    throw unsupported(layer, `dtype ${JSON.stringify(layer.config.dtype)} is not supported; expected "float32"`);
  }
  const activation = layer.config.activation;
  if ((layer.className === 'Dense' || layer.className === 'Activation') && activation !== undefined && activation !== null) {
    if (typeof activation !== 'string' || !(SUPPORTED_KERAS_ACTIVATIONS as readonly string[]).includes(activation)) {
      throw unsupported(layer, `activation ${JSON.stringify(activation)} is not supported; expected one of ${SUPPORTED_KERAS_ACTIVATIONS.join(', ')}`);
    }
  }
}

/** The feature axis of a normalization layer must be the last (and only) one. */
function checkNormalizationAxis(layer: RawLayer): void {
  const axis = layer.config.axis ?? -1;
  const axes = Array.isArray(axis) ? axis : [axis];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 1)) {
    throw shapeError(`layer ${layer.index} ("${layer.name}") normalizes over axis ${JSON.stringify(axis)}; expected -1 (the feature axis)`, {
      layerIndex: layer.index,
    });
  }
}

function outputWidthOf(layer: RawLayer, inputWidth: number): number {
  if (layer.className !== 'Dense') return inputWidth;
  const units = layer.config.units;
  if (!Number.isInteger(units) || (units as number) <= 0) {
    throw shapeError(`layer ${layer.index} ("${layer.name}") has units ${JSON.stringify(units)}; expected a positive integer`, { layerIndex: layer.index });
  }
  return units as number;
}

/** The last layer that is not Dropout must apply a sigmoid to a single unit. */
function checkSigmoidOutput(chain: readonly KerasLayer[]): void {
  const last = [...chain].reverse().find((l) => l.className !== 'Dropout');
  const ok =
    last !== undefined &&
    last.outputWidth === 1 &&
    (last.className === 'Dense' || last.className === 'Activation') &&
    last.config.activation === 'sigmoid';
  if (!ok) {
    const what = last === undefined ? 'no layer' : `${last.className} "${last.name}" with ${last.outputWidth} unit(s) and activation ${JSON.stringify(last.config.activation ?? 'linear')}`;
    throw shapeError(`the output must be a single sigmoid unit (Dense(1, activation="sigmoid")); the model ends in ${what}`, {
      outputWidth: last?.outputWidth,
    });
  }
}

/**
 * Reads and checks a topology against the design-matrix width. Throws
 * COHORT_E_SPEC_UNSUPPORTED_LAYER naming every unsupported layer class with its index,
 * or COHORT_E_SPEC_KERAS_SHAPE when the chain, input width or output is wrong.
 */
export function readKerasChain(topology: Json, designWidth: number): KerasChain {
  const modelConfig = unwrapModelConfig(topology);
  const config = modelConfig.config;
  const modelClass = modelConfig.class_name as string;
  let layers: RawLayer[];
  if (modelClass === 'Sequential') {
    layers = rawLayers(Array.isArray(config) ? config : (config as Json).layers);
  } else if (modelClass === 'Functional' || modelClass === 'Model') {
    layers = rawLayers((config as Json).layers);
  } else {
    throw shapeError(`model class "${modelClass}" is not supported; expected "Sequential", "Functional" or "Model"`);
  }

  const bad = layers.filter((l) => !(SUPPORTED_KERAS_LAYERS as readonly string[]).includes(l.className));
  if (bad.length > 0) {
    const list = bad.map((l) => `${l.className} (layer ${l.index}, "${l.name}")`).join(', ');
    throw new CohortError(
      SpecErrors.UNSUPPORTED_LAYER,
      `spec.model.topology: unsupported Keras layer ${list}; supported: ${SUPPORTED_KERAS_LAYERS.join(', ')}`,
      { details: { layerClass: bad[0]!.className, layerIndex: bad[0]!.index, layers: bad.map((l) => ({ class: l.className, index: l.index })) } },
    );
  }
  if (modelClass !== 'Sequential') layers = functionalChain(config as Json, layers);
  layers.forEach(checkLayerOptions);
  layers.filter((l) => l.className.endsWith('Normalization')).forEach(checkNormalizationAxis);

  const first = layers[0]!;
  const inputWidth = declaredInputWidth(first);
  if (inputWidth === undefined) {
    throw shapeError(`the first layer ("${first.name}") declares no input shape; set its batch_input_shape to [null, ${designWidth}]`);
  }
  if (inputWidth !== designWidth) {
    throw shapeError(`the input width is ${inputWidth} but the spec's design matrix has ${designWidth} columns`, {
      inputWidth,
      designWidth,
    });
  }
  const chain: KerasLayer[] = [];
  let width = inputWidth;
  for (const layer of layers) {
    if (layer !== first && layer.className === 'InputLayer') throw shapeError('an InputLayer may only come first');
    const outputWidth = outputWidthOf(layer, width);
    chain.push({ index: layer.index, className: layer.className, name: layer.name, config: layer.config, inputWidth: width, outputWidth });
    width = outputWidth;
  }
  checkSigmoidOutput(chain);
  return { modelConfig, layers: chain, inputWidth };
}
