/**
 * `npm run bench:accuracy`: UCI Heart Disease, one site per hospital (FLamby's
 * Fed-Heart-Disease preprocessing and split), logistic regression trained (a) locally at
 * each hospital, (b) on the pooled training data, (c) federated with FedAvg and (d) with
 * FedProx, through the same trainer and strategy code the site agents run, all WITHOUT
 * differential privacy (the spec's privacy block is dropped; `bench:dp` measures DP); and
 * (e) FedAvg again with encrypted (BFV) aggregation, parameters as the coordinator picks
 * them, which must land within 0.005 of the plaintext FedAvg accuracy. Reports each
 * hospital's test accuracy and the pooled-test accuracy. Writes bench-results/accuracy.json
 * and the table in docs/benchmarks.md between its markers. `-- --json` prints the JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import type { Matrix } from '../../models/features.ts';
import { concatRows, loadHeartDisease } from '../datasets/heart-disease.ts';
import { simulate } from '../../site-agent/simulation/simulate.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { evaluate } from '../../site-agent/training/local-trainer.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = 50;
/** The issue's bound on |accuracy(encrypted) - accuracy(plaintext)|, pooled test. */
const ENCRYPTED_TOLERANCE = 0.005;

interface Row {
  setting: string;
  perHospital: Record<string, number>;
  pooledTest: number;
}

/** Test accuracy of `weights` on each hospital's test split and on all of them pooled. */
async function accuracies(setting: string, spec: ModelSpec, weights: Float32Array, tests: Array<{ hospital: string; test: Matrix }>): Promise<Row> {
  const perHospital: Record<string, number> = {};
  for (const t of tests) perHospital[t.hospital] = (await evaluate(spec, weights, t.test)).accuracy;
  const pooledTest = (await evaluate(spec, weights, concatRows(tests.map((t) => t.test)))).accuracy;
  return { setting, perHospital, pooledTest };
}

/** Largest |a_i - b_i|. */
function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  // The example spec carries a privacy block; these rows are the no-DP baselines.
  const base: ModelSpec = { ...loadSpecFile(`${root}/models/examples/heart-logistic.yaml`) };
  delete base.privacy;
  await selectBackend('cpu', base.model.family);
  const hospitals = await loadHeartDisease();
  const tests = hospitals.map((h) => ({ hospital: h.hospital, test: h.test }));
  const rows: Row[] = [];
  const push = (row: Row): void => {
    rows.push(row);
    process.stderr.write(`${row.setting}: pooled-test accuracy ${row.pooledTest.toFixed(3)}\n`);
  };
  // (a) local: each hospital alone, the same number of epochs as the federation's rounds.
  for (const h of hospitals) {
    const spec: ModelSpec = { ...base, rounds: ROUNDS, minSites: 1 };
    const r = await simulate(spec, [{ name: h.hospital, train: h.train, test: h.test }]);
    push(await accuracies(`local (${h.hospital})`, spec, r.weights, tests));
  }
  // (b) pooled: one site holding every hospital's training rows.
  {
    const spec: ModelSpec = { ...base, rounds: ROUNDS, minSites: 1 };
    const r = await simulate(spec, [{ name: 'pooled', train: concatRows(hospitals.map((h) => h.train)), test: concatRows(hospitals.map((h) => h.test)) }]);
    push(await accuracies('pooled', spec, r.weights, tests));
  }
  // (c, d) federated.
  const sites = hospitals.map((h) => ({ name: h.hospital, train: h.train, test: h.test }));
  let plainFedAvgWeights: Float32Array = new Float32Array();
  for (const strategy of [{ name: 'fedavg' as const }, { name: 'fedprox' as const, mu: 0.1 }]) {
    const spec: ModelSpec = { ...base, rounds: ROUNDS, strategy };
    const r = await simulate(spec, sites);
    if (strategy.name === 'fedavg') plainFedAvgWeights = r.weights;
    push(await accuracies(strategy.name === 'fedavg' ? 'FedAvg' : 'FedProx (mu 0.1)', spec, r.weights, tests));
  }
  // (e) FedAvg with encrypted aggregation: the same run, the BFV codec instead of plaintext.
  const fedAvgSpec: ModelSpec = { ...base, rounds: ROUNDS, strategy: { name: 'fedavg' } };
  const encryptedRun = await simulate(fedAvgSpec, sites, undefined, { codec: 'bfv' });
  push(await accuracies('FedAvg, encrypted (BFV)', fedAvgSpec, encryptedRun.weights, tests));
  const plainFedAvg = rows.find((r) => r.setting === 'FedAvg');
  const encrypted = rows[rows.length - 1] as Row;
  const difference = Math.abs(encrypted.pooledTest - (plainFedAvg?.pooledTest ?? Number.NaN));
  const codec = encryptedRun.codec;
  const encryption = {
    pooledTestDifference: difference,
    tolerance: ENCRYPTED_TOLERANCE,
    withinTolerance: difference <= ENCRYPTED_TOLERANCE,
    maxWeightDifference: maxAbsDifference(encryptedRun.weights, plainFedAvgWeights),
    codec: codec.kind === 'bfv' ? { polyModulusDegree: codec.polyModulusDegree, plainModulus: codec.plainModulus, scale: codec.scale, maxSummands: codec.maxSummands, maxWeight: codec.maxWeight, maxAbsValue: codec.maxAbsValue, headroom: codec.headroom } : codec,
  };
  process.stderr.write(`encrypted vs plaintext FedAvg: pooled-test difference ${difference.toFixed(4)} (bound ${ENCRYPTED_TOLERANCE}: ${encryption.withinTolerance ? 'holds' : 'FAILS'})\n`);
  const result = { dataset: 'UCI Heart Disease (FLamby Fed-Heart-Disease split)', model: 'logistic regression', rounds: ROUNDS, spec: 'models/examples/heart-logistic.yaml (privacy block dropped)', rows, encryption };
  mkdirSync(`${root}/bench-results`, { recursive: true });
  writeFileSync(`${root}/bench-results/accuracy.json`, `${JSON.stringify(result, null, 2)}\n`);
  const names = hospitals.map((h) => h.hospital);
  const table = [
    `Command: \`npm run bench:accuracy\` (${ROUNDS} rounds or epochs of the heart-logistic spec without its privacy block, i.e. no DP: batch ${base.training.batchSize}, ${base.training.optimizer.toUpperCase()} lr ${base.training.learningRate}, ${base.training.epochs ?? 1} local epoch per round; cpu backend; DP is measured by \`bench:dp\`).`,
    '',
    `| setting | ${names.join(' | ')} | pooled test |`,
    `| --- | ${names.map(() => '---').join(' | ')} | --- |`,
    ...rows.map((r) => `| ${r.setting} | ${names.map((n) => (r.perHospital[n] ?? Number.NaN).toFixed(3)).join(' | ')} | ${r.pooledTest.toFixed(3)} |`),
    '',
    `Encrypted FedAvg (BFV under a consortium key, parameters as the coordinator picks them for 4 sites: N = ${codec.kind === 'bfv' ? `${codec.polyModulusDegree}, t = ${BigInt(codec.plainModulus).toString(2).length} bits, scale ${codec.scale.toFixed(2)}, max weight ${codec.maxWeight}` : 'n/a'}) ` +
      `vs plaintext FedAvg: pooled-test accuracy differs by **${difference.toFixed(4)}** (the issue's bound: at most ${ENCRYPTED_TOLERANCE}; ${encryption.withinTolerance ? 'holds' : '**does not hold**'}); ` +
      `final weights differ by at most ${encryption.maxWeightDifference.toExponential(2)} in this run (fixed-point quantization with unseeded stochastic rounding, so this figure varies from run to run around 1e-6).`,
  ].join('\n');
  updateBenchmarkSection('accuracy', table);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
