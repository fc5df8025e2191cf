/**
 * `npm run bench:cnn`: the time of one training step of the imaging example CNN
 * (models/examples/imaging-cnn.yaml: conv 8 3x3, max-pool, conv 8 3x3, max-pool, Dense 16,
 * Dense 1, adam) at batch 64, on the WebAssembly backend (with Cohort's
 * Conv2DBackpropFilter) and the plain JS backend side by side: a DP-SGD step (per-example
 * clipping over im2col patches, noise from node:crypto) and a plain step, on 16x16 and
 * 32x32 images. Plain and DP steps alternate on the same batch and model, medians after a
 * warm-up. The batch is handed over ready-made: sampling is not timed.
 *
 * Writes bench-results/cnn.json and the `cnn` section of docs/benchmarks.md; `-- --json`
 * prints the figures as one JSON object.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { buildModel, setFlatWeights } from '../../models/build-model.ts';
import { inputDimOf } from '../../models/features.ts';
import { mulberry32 } from '../../models/seeded-random.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { selectBackend, type BackendName } from '../../site-agent/training/backend.ts';
import type { TrainBatch } from '../../site-agent/training/train-step.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';
import { timePair, type PairTimes } from './dp-step.ts';
import { round3 } from './he-stats.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const BATCH = 64;
/** Warm-up and timed steps per backend: a plain-JS conv step takes seconds, a wasm one a tenth of that. */
const STEPS: Readonly<Record<'wasm' | 'cpu', { warmup: number; timed: number }>> = { wasm: { warmup: 5, timed: 30 }, cpu: { warmup: 1, timed: 6 } };
export interface CnnStepRow {
  readonly image: string;
  readonly backend: BackendName;
  readonly plainStepMs: number;
  readonly dpStepMs: number;
  readonly timedSteps: number;
}

function specOf(size: number): ModelSpec {
  const spec = loadSpecFile(`${root}/models/examples/imaging-cnn.yaml`);
  const image = { ...spec.features[0]!, height: size, width: size };
  return { ...spec, features: [image] } as ModelSpec;
}

function batchOf(spec: ModelSpec): TrainBatch {
  const rng = mulberry32(7);
  const cols = inputDimOf(spec);
  return {
    x: tf.tensor2d(Float32Array.from({ length: BATCH * cols }, () => 2 * rng() - 1), [BATCH, cols]),
    y: tf.tensor2d(Float32Array.from({ length: BATCH }, () => (rng() < 0.5 ? 1 : 0)), [BATCH, 1]),
  };
}

async function measure(backend: 'wasm' | 'cpu', size: number): Promise<CnnStepRow> {
  const { warmup, timed: steps } = STEPS[backend];
  process.stderr.write(`cnn bench: ${size}x${size} on ${backend}\n`);
  await selectBackend(backend, 'cnn');
  const spec = specOf(size);
  const model = await buildModel(spec);
  setFlatWeights(model, initialWeights(spec));
  const batch = batchOf(spec);
  let times: PairTimes;
  try {
    times = timePair(model, batch, warmup, steps);
  } finally {
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  }
  return { image: `${size}x${size}x1`, backend, plainStepMs: round3(times.plainMs), dpStepMs: round3(times.dpMs), timedSteps: steps };
}

export async function measureCnnSteps(): Promise<CnnStepRow[]> {
  const rows: CnnStepRow[] = [];
  for (const size of [16, 32]) for (const backend of ['wasm', 'cpu'] as const) rows.push(await measure(backend, size));
  await selectBackend('cpu', 'cnn');
  return rows;
}

function section(rows: readonly CnnStepRow[], seconds: number): string {
  const at = (image: string, backend: BackendName): CnnStepRow => rows.find((r) => r.image === image && r.backend === backend)!;
  const images = [...new Set(rows.map((r) => r.image))];
  return [
    `Command: \`npm run bench:cnn\` (\`-- --json\` prints the figures; raw output in \`bench-results/cnn.json\`). ${seconds.toFixed(0)} s in all, Node ${process.version}, ` +
      `on a machine shared with other jobs (${cpus().length} cores). Model: models/examples/imaging-cnn.yaml (conv 8 3x3 same, max-pool 2, conv 8 3x3 same, max-pool 2, Dense 16, Dense 1; adam), ` +
      `batch ${BATCH}; medians of ${STEPS.wasm.timed} (wasm) or ${STEPS.cpu.timed} (cpu) alternating plain / DP-SGD steps after ${STEPS.wasm.warmup} or ${STEPS.cpu.warmup} warm-up. DP-SGD: per-example clipping over im2col patches (C = 1), Gaussian noise from node:crypto (sigma = 1).`,
    '',
    '| image | DP-SGD step, wasm | DP-SGD step, cpu (plain JS) | plain step, wasm | plain step, cpu |',
    '| --- | --- | --- | --- | --- |',
    ...images.map((image) => {
      const w = at(image, 'wasm');
      const c = at(image, 'cpu');
      return `| ${image} | **${w.dpStepMs} ms** | **${c.dpStepMs} ms** | ${w.plainStepMs} ms | ${c.plainStepMs} ms |`;
    }),
    '',
    'The wasm backend runs conv training only with Cohort\'s `Conv2DBackpropFilter` (site-agent/training/wasm-conv2d-backprop-filter.ts; tfjs 4.22 has none); the DP-SGD step itself needs no filter gradient (its conv gradients come from the patches), but the plain step does. ' +
      'On the plain JS backend the DP-SGD step is faster than the plain one: its conv gradients are matmuls over the patches, while the plain step goes through tfjs-core\'s loop-based Conv2DBackpropFilter.',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const rows = await measureCnnSteps();
  const seconds = (performance.now() - started) / 1000;
  mkdirSync(`${root}/bench-results`, { recursive: true });
  writeFileSync(`${root}/bench-results/cnn.json`, `${JSON.stringify({ batch: BATCH, steps: STEPS, rows }, null, 2)}\n`);
  updateBenchmarkSection('cnn', section(rows, seconds));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ rows })}\n`);
  else for (const r of rows) process.stdout.write(`${r.image} ${r.backend}: DP-SGD ${r.dpStepMs} ms, plain ${r.plainStepMs} ms\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
