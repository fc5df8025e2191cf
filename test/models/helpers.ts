/** Spec inputs, fixture files and error capture shared by the model and training tests. */
import { readFileSync } from 'node:fs';
import type { ModelSpec, ModelSpecInput } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';

/** The directory of the example specs. */
export const EXAMPLES = new URL('../../models/examples/', import.meta.url).pathname;

/** Loads and validates an example spec from models/examples/. */
export const example = (file: string): ModelSpec => loadSpecFile(`${EXAMPLES}${file}`);

/**
 * A tensorflowjs_converter model.json of a Keras 2 functional model over 13 inputs
 * (Dense, BatchNormalization, Activation, LayerNormalization, Dropout, Dense(1, sigmoid)).
 * Parsed afresh on each call, so a test may change its copy.
 */
export const converterModel = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('./fixtures/keras2-functional-model.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** A valid spec over `width` numeric features x0..x{width-1} (no preprocessing), label y. */
export function numericSpec(width: number, overrides: Partial<ModelSpecInput> = {}): ModelSpecInput {
  return {
    name: 'synthetic',
    dataset: 'synthetic',
    features: Array.from({ length: width }, (_, i) => ({ name: `x${i}`, type: 'numeric' as const, preprocess: 'none' as const })),
    label: { name: 'y', type: 'binary' },
    model: { family: 'logistic-regression' },
    training: { epochs: 1, batchSize: 16, optimizer: 'sgd', learningRate: 0.5 },
    rounds: 10,
    ...overrides,
  };
}

/** A tfjs-layers Sequential topology (model.toJSON() form) from [class_name, config] pairs. */
export function sequentialTopology(layers: ReadonlyArray<readonly [string, Record<string, unknown>]>): Record<string, unknown> {
  return {
    class_name: 'Sequential',
    config: { name: 'seq', layers: layers.map(([class_name, config]) => ({ class_name, config })) },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

export { caughtSync as caught } from '../support/caught.ts';
