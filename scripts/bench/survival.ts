/**
 * `npm run bench:survival`: FLamby's Fed-TCGA-BRCA (six regions, its train/test split), the
 * cox-ph family (models/examples/tcga-brca-cox.yaml) trained
 *
 * - `local`: each region alone, evaluated on its own test split (and, as FLamby's "Local k",
 *   on every region's test split: `localModels`);
 * - `pooled`: one site holding every region's training rows;
 * - `fedavg`, `fedprox`, `fedadam`: the six regions federated through the simulator (the
 *   sites' trainer, update vectors, BFV aggregation under a consortium key, the server step,
 *   the survival evaluation vectors summed),
 *
 * each over five seeds (the batch order; the weights start at 0), FLamby's budget: SGD lr 0.1,
 * batch 16; federated 5 rounds of 100 local steps, pooled and local 10 epochs. Each row's
 * `cIndex` is the mean over the regions of the test C-index (FLamby's metric), averaged over the
 * seeds; `perSite` the per-region C-index averaged over the seeds. For the federated rows the
 * C-index is the one the sites decrypt from the summed vectors (core/evaluation/survival-metrics.ts).
 * Writes bench-results/survival.json and docs/benchmarks.md's section; `-- --json` prints the JSON.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Matrix } from '../../models/features.ts';
import type { ModelSpec, StrategySpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { simulate, type SimulatedSite } from '../../site-agent/simulation/simulate.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { predictProbabilities, survivalMetricsOf } from '../../site-agent/training/local-trainer.ts';
import { concatRows } from '../datasets/heart-disease.ts';
import { loadTcgaBrca } from '../datasets/tcga-brca.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SEEDS = [0, 1, 2, 3, 4];
/** FLamby's NUM_EPOCHS_POOLED: the pooled and local budget. */
const CENTRALISED_EPOCHS = 10;
/** FLamby's Fed-TCGA-BRCA figures (per-client test C-index, mean of 5 seeds), from the issue. */
const FLAMBY = { pooled: 0.676, fedavg: 0.732, fedprox: 0.729, fedadam: 0.815 } as const;
const FEDPROX: StrategySpec = { name: 'fedprox', mu: 0.1 };
const FEDADAM: StrategySpec = { name: 'fedadam', serverLearningRate: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-9 };

interface Row {
  /** Mean over regions of the test C-index, averaged over seeds. */
  cIndex: number;
  /** Each seed's mean over regions. */
  perSeed: number[];
  /** Each region's test C-index, averaged over seeds. */
  perSite: Record<string, number>;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Each region's test C-index under `weights`. */
async function perRegion(spec: ModelSpec, weights: Float32Array, sites: readonly SimulatedSite[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of sites) out[s.name] = survivalMetricsOf(await predictProbabilities(spec, weights, s.test), s.test).cIndex;
  return out;
}

function rowOf(runs: ReadonlyArray<Record<string, number>>, names: readonly string[], consortium?: readonly number[]): Row {
  const perSeed = consortium ? [...consortium] : runs.map((r) => mean(names.map((n) => r[n]!)));
  return { cIndex: mean(perSeed), perSeed, perSite: Object.fromEntries(names.map((n) => [n, mean(runs.map((r) => r[n]!))])) };
}

function withSeed(base: ModelSpec, seed: number, extra: Partial<ModelSpec>): ModelSpec {
  return { ...base, seed, ...extra };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const base = loadSpecFile(`${root}/models/examples/tcga-brca-cox.yaml`);
  await selectBackend('cpu', base.model.family);
  const sites: SimulatedSite[] = (await loadTcgaBrca(base)).map((c) => ({ name: c.name, train: c.train, test: c.test }));
  const names = sites.map((s) => s.name);
  const log = (what: string, row: Row): void => void process.stderr.write(`${what}: mean test C-index ${row.cIndex.toFixed(3)}\n`);
  const centralised = { training: { epochs: CENTRALISED_EPOCHS, batchSize: base.training.batchSize, optimizer: base.training.optimizer, learningRate: base.training.learningRate }, rounds: 1, minSites: 1 };

  // local: each region alone; its own test split, and every region's (FLamby's "Local k").
  const localOwn: Array<Record<string, number>> = [];
  const localModels: Record<string, { cIndex: number; perSite: Record<string, number> }> = {};
  const localAll: Record<string, Array<Record<string, number>>> = Object.fromEntries(names.map((n) => [n, []]));
  for (const seed of SEEDS) {
    const own: Record<string, number> = {};
    for (const site of sites) {
      const spec = withSeed(base, seed, centralised);
      const r = await simulate(spec, [site]);
      const all = await perRegion(spec, r.weights, sites);
      own[site.name] = all[site.name]!;
      localAll[site.name]!.push(all);
    }
    localOwn.push(own);
  }
  const local = rowOf(localOwn, names);
  for (const n of names) {
    const r = rowOf(localAll[n]!, names);
    localModels[n] = { cIndex: r.cIndex, perSite: r.perSite };
  }
  log('local (own test split)', local);

  // pooled: every region's training rows at one site.
  const pooledTrain: Matrix = concatRows(sites.map((s) => s.train));
  const pooledRuns: Array<Record<string, number>> = [];
  for (const seed of SEEDS) {
    const spec = withSeed(base, seed, centralised);
    const r = await simulate(spec, [{ name: 'pooled', train: pooledTrain, test: sites[0]!.test }]);
    pooledRuns.push(await perRegion(spec, r.weights, sites));
  }
  const pooled = rowOf(pooledRuns, names);
  log('pooled', pooled);

  // federated, encrypted: the C-index the sites decrypt from the summed survival vectors.
  const federated: Record<string, Row & { pairCIndex: number; maxDecryptedVsDirect: number }> = {};
  let codec: unknown;
  for (const [key, strategy] of [['fedavg', { name: 'fedavg' }], ['fedprox', FEDPROX], ['fedadam', FEDADAM]] as const) {
    const runs: Array<Record<string, number>> = [];
    const consortium: number[] = [];
    const pairs: number[] = [];
    let maxGap = 0;
    for (const seed of SEEDS) {
      const spec = withSeed(base, seed, { strategy });
      const r = await simulate(spec, sites, undefined, { codec: 'bfv' });
      codec = r.codec;
      const last = r.rounds[r.rounds.length - 1]!;
      const direct = Object.fromEntries(last.survivalSites!.map((s) => [s.site, s.cIndex]));
      runs.push(direct);
      consortium.push(last.survival!.meanCIndex);
      pairs.push(last.survival!.pairCIndex);
      maxGap = Math.max(maxGap, Math.abs(last.survival!.meanCIndex - mean(names.map((n) => direct[n]!))));
    }
    federated[key] = { ...rowOf(runs, names, consortium), pairCIndex: mean(pairs), maxDecryptedVsDirect: maxGap };
    log(key, federated[key]);
  }

  const setup = {
    dataset: "TCGA-BRCA clinical (FLamby's Fed-TCGA-BRCA extract and split, data/tcga-brca/)",
    model: 'cox-ph (linear risk score, Breslow partial likelihood over each batch\'s risk sets)',
    spec: 'models/examples/tcga-brca-cox.yaml',
    seeds: SEEDS,
    federated: { rounds: base.rounds, localSteps: base.training.steps, batchSize: base.training.batchSize, optimizer: base.training.optimizer, learningRate: base.training.learningRate, codec: 'bfv', fedprox: FEDPROX, fedadam: FEDADAM },
    centralised: { epochs: CENTRALISED_EPOCHS, batchSize: base.training.batchSize },
    metric: "Harrell's C-index (lifelines' pairs) on each region's test split; cIndex = mean over the six regions, averaged over seeds",
  };
  const result = { ...setup, codec, local: { ...local, localModels }, pooled, ...federated, flamby: FLAMBY, sites: sites.map((s) => ({ name: s.name, train: s.train.rows, test: s.test.rows, testEvents: s.test.y.reduce((a, b) => a + b, 0) })) };
  mkdirSync(`${root}/bench-results`, { recursive: true });
  writeFileSync(`${root}/bench-results/survival.json`, `${JSON.stringify(result, null, 2)}\n`);

  const f = (x: number): string => (Number.isNaN(x) ? 'n/a' : x.toFixed(3));
  const line = (label: string, row: Row, flamby: number | undefined): string =>
    `| ${label} | ${f(row.cIndex)} | ${row.perSeed.map(f).join(', ')} | ${names.map((n) => f(row.perSite[n]!)).join(' | ')} | ${flamby === undefined ? '' : flamby.toFixed(3)} |`;
  const table = [
    `Command: \`npm run bench:survival\` (models/examples/tcga-brca-cox.yaml: cox-ph on 39 covariates, age standardised per region; SGD lr ${base.training.learningRate}, batch ${base.training.batchSize}; ` +
      `federated ${base.rounds} rounds of ${base.training.steps} local steps over BFV-encrypted aggregation; pooled and local ${CENTRALISED_EPOCHS} epochs; FedProx mu ${FEDPROX.name === 'fedprox' ? FEDPROX.mu : ''}, FedAdam eta ${FEDADAM.name === 'fedadam' ? FEDADAM.serverLearningRate : ''}; seeds ${SEEDS.join(', ')}; cpu backend).`,
    '',
    `C-index: the mean over the six regions of each region's test C-index (FLamby's metric), averaged over the seeds; for the federated rows it is the value the sites decrypt from the summed survival vectors. Test splits: ${sites.map((s) => `${s.test.rows} rows / ${s.test.y.reduce((a, b) => a + b, 0)} event(s)`).join(', ')}.`,
    '',
    `| setting | C-index | per seed | ${names.join(' | ')} | FLamby |`,
    `| --- | --- | --- | ${names.map(() => '---').join(' | ')} | --- |`,
    line('local (each region, own test split)', local, undefined),
    line('pooled', pooled, FLAMBY.pooled),
    line('FedAvg (BFV)', federated['fedavg']!, FLAMBY.fedavg),
    line('FedProx (BFV)', federated['fedprox']!, FLAMBY.fedprox),
    line('FedAdam (BFV)', federated['fedadam']!, FLAMBY.fedadam),
    '',
    `FLamby's "Local k" (region k's model, mean C-index over all six test splits): ${names.map((n) => `${n} ${f(localModels[n]!.cIndex)}`).join(', ')}. ` +
      `Pair-weighted C-index (sum of concordant over sum of comparable within-region pairs, also decrypted from the sums): FedAvg ${f(federated['fedavg']!.pairCIndex)}, FedProx ${f(federated['fedprox']!.pairCIndex)}, FedAdam ${f(federated['fedadam']!.pairCIndex)}. ` +
      `The decrypted mean differs from the mean of the sites' own C-indexes by at most ${Math.max(...Object.values(federated).map((r) => r.maxDecryptedVsDirect)).toExponential(1)} (each site's C-index is sent to 2^-16).`,
    '',
    'The test splits are small (region-5: 11 rows, 1 event; region-4: 2 events), so per-region figures move by tenths between seeds and settings; the means above are over 6 regions x 5 seeds.',
  ].join('\n');
  updateBenchmarkSection('survival', table);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
