/**
 * Integrated Gradients' completeness error by steps on piecewise-linear models (relu, max-pool),
 * where the trapezoid rule can miss the kinks: seeded weights and rows, the worst and median
 * error over 10 rows per model and step count. `npx tsx scripts/explain-completeness.ts [--json]`.
 * The numbers are quoted in docs/explanations.md.
 */
import * as tf from '@tensorflow/tfjs';
import { buildModel, setFlatWeights } from '../models/build-model.ts';
import { createExplainer } from '../models/explain/attribution.ts';
import { mulberry32 } from '../models/seeded-random.ts';
import type { ModelSpecInput } from '../models/spec-schema.ts';
import { parseSpec } from '../models/validate-spec.ts';
import { parameterCount } from '../models/weight-layout.ts';

function normals(n: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

const numeric = (width: number, model: ModelSpecInput['model']): ModelSpecInput => ({
  name: 'completeness',
  dataset: 'synthetic',
  features: Array.from({ length: width }, (_, i) => ({ name: `x${i}`, type: 'numeric' as const, preprocess: 'none' as const })),
  label: { name: 'y', type: 'binary' },
  model,
  training: { epochs: 1 },
  rounds: 1,
});

const cases: Record<string, ModelSpecInput> = {
  'mlp relu [16, 8]': numeric(8, { family: 'mlp', hidden: [16, 8], activation: 'relu' }),
  'mlp elu [16, 8]': numeric(8, { family: 'mlp', hidden: [16, 8], activation: 'elu' }),
  'cnn relu + max-pool, 8x8x2': {
    ...numeric(1, { family: 'cnn', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3 }, { type: 'max-pool' }], hidden: [6] }),
    features: [{ name: 'image', type: 'image', height: 8, width: 8, channels: 2, normalization: 'none' }],
  },
  'cnn tanh + avg-pool, 8x8x2': {
    ...numeric(1, { family: 'cnn', layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'tanh' }, { type: 'avg-pool' }], hidden: [6], activation: 'tanh' }),
    features: [{ name: 'image', type: 'image', height: 8, width: 8, channels: 2, normalization: 'none' }],
  },
};

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const results: { model: string; steps: number; worst: number; median: number }[] = [];
  for (const [name, input] of Object.entries(cases)) {
    const spec = parseSpec(input);
    const model = await buildModel(spec);
    const rng = mulberry32(5);
    setFlatWeights(model, Float32Array.from({ length: parameterCount(spec) }, () => (2 * rng() - 1) * 0.8));
    const width = model.inputs[0]!.shape[1] as number;
    const baseline = normals(width, 99).map((v) => v * 0.3);
    for (const steps of [50, 200, 1000]) {
      const explainer = await createExplainer(model, spec.features, spec.model.family, { steps });
      const errors = Array.from({ length: 10 }, (_, r) => explainer.explain(normals(width, 1000 + r), baseline).completenessError).sort((a, b) => a - b);
      results.push({ model: name, steps, worst: errors[9]!, median: (errors[4]! + errors[5]!) / 2 });
    }
    model.dispose();
  }
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
  else for (const r of results) process.stdout.write(`${r.model.padEnd(28)} ${String(r.steps).padStart(5)} steps  worst ${(100 * r.worst).toFixed(2)}%  median ${(100 * r.median).toFixed(2)}%\n`);
}

await main();
