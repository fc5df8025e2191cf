/**
 * `npm run bench:dp`: the cost and the accuracy of differential privacy.
 *
 * - DP-SGD step time / plain step time for the heart-mlp model at batch 64 and 256
 *   (dp-step.ts measureDpStepRatios; target at most 1.5);
 * - UCI Heart Disease accuracy (pooled test, final round, FedAvg logistic regression,
 *   four hospitals) at target epsilon 1, 3, 8 and infinity, with encryption on
 *   (dp-accuracy.ts): record-level DP-SGD, and the site-level variant.
 *
 * Writes bench-results/dp.json and the `dp` section of docs/benchmarks.md. `-- --json`
 * prints one JSON object on stdout with dpStepRatioBatch64, dpStepRatioBatch256 and the
 * accuracy rows.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { concatRows, loadHeartDisease } from '../datasets/heart-disease.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';
import { DP_BENCH_SETTINGS, dpAccuracyRow, type DpAccuracyRow } from './dp-accuracy.ts';
import { measureDpStepRatios, type DpStepRatios } from './dp-step.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const eps = (x: number | null): string => (x === null ? '∞' : String(x));
const acc = (r: DpAccuracyRow): string => `**${r.accuracyMean.toFixed(3)}** (${r.accuracyMin.toFixed(3)}–${r.accuracyMax.toFixed(3)})`;

/** The hospital that needs the most record-level noise: the largest spend in the first DP-SGD row. */
function binding(rows: readonly DpAccuracyRow[]): string {
  const row = rows.find((r) => r.variant === 'record' && r.targetEpsilon !== null);
  const spends = Object.entries(row?.siteEpsilons ?? {}).filter((e): e is [string, number] => e[1] !== null);
  const top = spends.sort((a, b) => b[1] - a[1])[0];
  return top ? `under DP-SGD, ${top[0]}, whose q is largest,` : 'the site that needs the most noise';
}

function section(step: DpStepRatios, rows: readonly DpAccuracyRow[], hospitals: readonly string[], seconds: number): string {
  const s = DP_BENCH_SETTINGS;
  const spent = (r: DpAccuracyRow): string => hospitals.map((h) => (r.siteEpsilons[h] === null || r.siteEpsilons[h] === undefined ? '∞' : (r.siteEpsilons[h] as number).toFixed(2))).join(' / ');
  const row = (r: DpAccuracyRow): string =>
    `| ${r.variant === 'record' ? 'record (DP-SGD)' : 'site (clipped, noised updates)'} | ${eps(r.targetEpsilon)} | ${r.noiseMultiplier === 0 ? '–' : r.noiseMultiplier.toFixed(3)} | ${acc(r)} | ${spent(r)} |`;
  const wasm = step.wasm ? ` (wasm backend: ${step.wasm.dpStepRatioBatch64} and ${step.wasm.dpStepRatioBatch256})` : '';
  return [
    `Command: \`npm run bench:dp\` (\`npm run -s bench:dp -- --json\` prints the figures as one JSON object; raw output in \`bench-results/dp.json\`). ${seconds.toFixed(0)} s in all, Node ${process.version}, cpu backend.`,
    '',
    '| figure | JSON name | value | how |',
    '| --- | --- | --- | --- |',
    `| DP-SGD step / plain step, batch 64 | \`dpStepRatioBatch64\` | **${step.dpStepRatioBatch64}** | ${step.dpStepMsBatch64} ms vs ${step.plainStepMsBatch64} ms; medians of ${step.timedSteps} alternating steps after ${step.warmupSteps} warm-up, ${step.model} |`,
    `| DP-SGD step / plain step, batch 256 | \`dpStepRatioBatch256\` | **${step.dpStepRatioBatch256}** | ${step.dpStepMsBatch256} ms vs ${step.plainStepMsBatch256} ms${wasm}; a loop of per-example gradients costs ${step.naiveLoopRatioBatch64}x a plain step at batch 64 |`,
    '',
    `Heart-disease accuracy under DP, **encrypted (BFV)**: FedAvg logistic regression, the four hospitals, ${s.rounds} rounds, batch ${s.training.batchSize}, SGD lr ${s.training.learningRate}, ${s.training.epochs} local epoch per round ` +
      `(DP-SGD: Poisson sampling q = ${s.training.batchSize}/n at each site, round(1/q) steps per round, per-example clip C = ${s.recordClipNorm}; site level: fixed clip S = ${s.siteClipNorm}, unweighted mean). ` +
      `Accuracy on the pooled test split after the final round: mean over ${s.seeds.length} noise seeds (min–max). ` +
      'The budget is per site (delta = 1/(10 n) at each site); the spec carries one noise multiplier, so it is the largest any site needs to meet the target, and every site spends at most the target ' +
      `(${binding(rows)} exactly). Site level: the charged figure, one patient's record (replace-one) against the coordinator, whose sums the sites cannot yet verify (multiplier z / (2 sqrt(minSites)), docs/privacy-accounting.md); the hospital-level zero-out figures are smaller. ∞: no DP, still encrypted.`,
    '',
    `| DP | target epsilon | noise multiplier | pooled-test accuracy | epsilon spent (${hospitals.join(' / ')}) |`,
    '| --- | --- | --- | --- | --- |',
    ...rows.map(row),
  ].join('\n');
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const started = Date.now();
  const step = await measureDpStepRatios();
  process.stderr.write(`dpStepRatioBatch64 ${step.dpStepRatioBatch64}, dpStepRatioBatch256 ${step.dpStepRatioBatch256}\n`);
  const base = loadSpecFile(`${root}/models/examples/heart-logistic.yaml`);
  await selectBackend('cpu', base.model.family);
  const hospitals = await loadHeartDisease();
  const sites = hospitals.map((h) => ({ name: h.hospital, train: h.train, test: h.test }));
  const pooledTest = concatRows(hospitals.map((h) => h.test));
  const rows: DpAccuracyRow[] = [];
  for (const variant of ['record', 'site'] as const) {
    for (const target of DP_BENCH_SETTINGS.targetEpsilons) {
      // Infinity is the same run for both variants: measured once, under `record`.
      if (variant === 'site' && !Number.isFinite(target)) continue;
      const row = await dpAccuracyRow(base, variant, target, sites, pooledTest);
      rows.push(row);
      process.stderr.write(`${variant} epsilon ${eps(row.targetEpsilon)}: noise ${row.noiseMultiplier.toFixed(3)}, accuracy ${row.accuracyMean.toFixed(3)}\n`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  const result = {
    dpStepRatioBatch64: step.dpStepRatioBatch64,
    dpStepRatioBatch256: step.dpStepRatioBatch256,
    dpStep: step,
    accuracy: {
      dataset: 'UCI Heart Disease (FLamby Fed-Heart-Disease split), pooled test, final round',
      model: 'logistic regression, FedAvg, BFV-encrypted aggregation',
      settings: { ...DP_BENCH_SETTINGS, targetEpsilons: DP_BENCH_SETTINGS.targetEpsilons.map((e) => (Number.isFinite(e) ? e : null)) },
      rows,
    },
    seconds,
  };
  mkdirSync(`${root}/bench-results`, { recursive: true });
  writeFileSync(`${root}/bench-results/dp.json`, `${JSON.stringify(result, null, 2)}\n`);
  updateBenchmarkSection('dp', section(step, rows, hospitals.map((h) => h.hospital), seconds));
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
