/** Spec inputs shared by the model and training tests. */
import type { ModelSpecInput } from '../../models/spec-schema.ts';

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
