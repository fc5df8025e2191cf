/**
 * Integrated Gradients' completeness error on smooth and piecewise-linear models (relu, max-pool),
 * where a uniform trapezoid can miss the kinks: seeded weights and rows, over 10 rows per model,
 * the worst and median completeness error of fixed uniform grids (50, 200, 1000 steps) and of
 * the default adaptive refinement (from 50 steps, to 1%), the steps refinement used, and each
 * grid's worst per-feature deviation from a 20000-step uniform reference as a fraction of
 * |f(x) - f(baseline)|. `npx tsx scripts/explain-completeness.ts [--json]`.
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

interface Row {
  model: string;
  grid: string;
  worst: number;
  median: number;
  stepsMedian: number;
  stepsMax: number;
  worstFeature: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2;
};

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const results: Row[] = [];
  for (const [name, input] of Object.entries(cases)) {
    const spec = parseSpec(input);
    const model = await buildModel(spec);
    const rng = mulberry32(5);
    setFlatWeights(model, Float32Array.from({ length: parameterCount(spec) }, () => (2 * rng() - 1) * 0.8));
    const width = model.inputs[0]!.shape[1] as number;
    const baseline = normals(width, 99).map((v) => v * 0.3);
    const rows = Array.from({ length: 10 }, (_, r) => normals(width, 1000 + r));
    const reference = await createExplainer(model, spec.features, spec.model.family, { steps: 20000, adaptive: false });
    const refs = rows.map((x) => reference.explain(x, baseline));
    const grids: [string, Parameters<typeof createExplainer>[3]][] = [
      ['50 fixed', { steps: 50, adaptive: false }],
      ['200 fixed', { steps: 200, adaptive: false }],
      ['1000 fixed', { steps: 1000, adaptive: false }],
      ['adaptive', {}],
    ];
    for (const [grid, options] of grids) {
      const explainer = await createExplainer(model, spec.features, spec.model.family, options);
      const es = rows.map((x) => explainer.explain(x, baseline));
      const errors = es.map((e) => e.completenessError);
      const steps = es.map((e) => e.steps!);
      const feature = es.map((e, r) => Math.max(...e.columnAttributions.map((a, j) => Math.abs(a - refs[r]!.columnAttributions[j]!))) / Math.abs(e.prediction - e.baseValue));
      results.push({ model: name, grid, worst: Math.max(...errors), median: median(errors), stepsMedian: median(steps), stepsMax: Math.max(...steps), worstFeature: Math.max(...feature) });
    }
    model.dispose();
  }
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
  else {
    for (const r of results) {
      process.stdout.write(
        `${r.model.padEnd(28)} ${r.grid.padEnd(10)}  completeness worst ${pct(r.worst)} median ${pct(r.median)}  steps median ${r.stepsMedian} max ${r.stepsMax}  worst feature vs 20000 steps ${pct(r.worstFeature)}\n`,
      );
    }
  }
}

await main();
