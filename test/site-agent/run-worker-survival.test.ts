/**
 * A cox-ph run through three real RunWorkers on survival extracts (rows of a known Cox model),
 * their survival evaluation vectors encrypted under a real BFV consortium key and added by the
 * coordinator's key-free adder, the sum decrypted by a site: the consortium's C-indexes equal a
 * brute-force count over each site's test pairs; a site's own metrics carry its C-index only
 * when its policy lets them go. The attack test: a coordinator that hands one site's encrypted
 * survival evaluation back as "the sum" is refused, and the same bytes opened without the check
 * give that site's C-index exactly.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluationCodec } from '../../core/evaluation/summed-metrics.ts';
import { survivalConsortiumMetrics } from '../../core/evaluation/survival-metrics.ts';
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey, type ConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { loadSeal } from '../../core/secure-agg/seal-library.ts';
import { finalCodec, type RunCodec } from '../../core/update-codec/codec-plan.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema } from '../../site-agent/site-config.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { predictProbabilities } from '../../site-agent/training/local-trainer.ts';
import { sumThroughAdder } from '../core/secure-agg/bfv-fixtures.ts';
import { bruteForceConcordance, COX_COLUMNS, COX_SPEC_BASE, coxRows, TRUE_BETA, writeCoxCsv } from '../support/survival.ts';
import { siteWorker } from '../support/site-worker.ts';

/** Site-level DP (unweighted updates), three evaluators. */
const SPEC: ModelSpec = parseSpec({
  ...COX_SPEC_BASE,
  name: 'cox-worker',
  dataset: 'survival',
  training: { steps: 5, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 },
  rounds: 2,
  minSites: 3,
  testFraction: 0.3,
  privacy: { site: { noiseMultiplier: 0.3, clipNorm: 0.5 } },
});
/** Near the generating coefficients: a risk score with real concordance. */
const WEIGHTS = Float32Array.from(TRUE_BETA);

describe('a cox-ph run through three real RunWorkers and real BFV', () => {
  let dir: string;
  let key: ConsortiumKey;
  let workers: RunWorker[];
  let codec: BfvCodecDescriptor;

  beforeAll(async () => {
    await selectBackend('cpu', 'cox-ph');
    dir = mkdtempSync(join(tmpdir(), 'cohort-cox-worker-'));
    key = await generateConsortiumKey(await consortiumKeyContext());
    const request: RunCodec = { kind: 'bfv-pending', length: updateLayout(SPEC).length, key: key.params };
    codec = finalCodec(SPEC, request, [0, 1, 2].map(() => ({ num_examples: 0 }))) as BfvCodecDescriptor;
    workers = [];
    for (const i of [0, 1, 2]) {
      const name = `site-${i}`;
      mkdirSync(join(dir, name));
      const rows = coxRows(120, 60 + i);
      const path = join(dir, name, 'survival.csv');
      writeCoxCsv(path, rows);
      const config = SiteConfigSchema.parse({
        dataDir: join(dir, name, 'state'),
        keyFile: join(dir, name, 'at-rest.key'),
        datasets: { survival: { path, columns: Object.fromEntries(COX_COLUMNS.map((k) => [k, k])) } },
        // The first site shares its own metrics.
        policy: { privacy: { maxEpsilon: null }, release: i === 0 ? { siteMetrics: true, recordCounts: 'exact' } : {} },
      });
      const w = siteWorker({ site: name, runId: 'run-cox', spec: SPEC, config, key });
      // Accepted (networked cox-ph runs were declined before issue 13's build item 1).
      expect(await w.decide('alice', request)).toMatchObject({ accept: true, reasonCode: '' });
      await w.encoderFor(codec);
      workers.push(w);
    }
  }, 120_000);

  afterAll(() => {
    for (const w of workers ?? []) w.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decrypts from the sum the C-indexes of a brute-force count over every site\'s test pairs; own C-index only where shared', async () => {
    const reports = [];
    for (const w of workers) reports.push(await w.evaluate(WEIGHTS));
    const adder = new BfvChunkAdder(await loadSeal(), evaluationCodec(codec) as BfvCodecDescriptor);
    let sum: Uint8Array[];
    try {
      sum = sumThroughAdder(adder, reports.map((r) => r.chunks));
    } finally {
      adder.dispose();
    }
    const m = workers[1]!.decodeEvaluation(sum, 3);

    const brute: { rows: number; events: number; concordant: number; tied: number; comparable: number }[] = [];
    for (const w of workers) {
      const test = (await w.data()).test;
      const risk = await predictProbabilities(SPEC, WEIGHTS, test);
      brute.push({ rows: test.rows, events: test.y.reduce((a, b) => a + b, 0), ...bruteForceConcordance({ risk, time: test.time!, event: test.y }) });
    }
    const comparable = brute.reduce((a, s) => a + s.comparable, 0);
    const pooled = brute.reduce((a, s) => a + 2 * s.concordant + s.tied, 0) / 2 / comparable;
    const own = brute.map((s) => (s.concordant + s.tied / 2) / s.comparable);
    expect(pooled).toBeGreaterThan(0.6);
    expect({ ...m, survival: { ...m.survival!, meanCIndex: 0 } }).toEqual({
      numExamples: brute.reduce((a, s) => a + s.rows, 0),
      evaluators: 3,
      loss: Number.NaN,
      accuracy: Number.NaN,
      auc: pooled,
      aucResolution: 0,
      survival: { cIndex: pooled, meanCIndex: 0, comparablePairs: comparable, events: brute.reduce((a, s) => a + s.events, 0), sitesWithPairs: 3 },
    });
    expect(Math.abs(m.survival!.meanCIndex - own.reduce((a, b) => a + b, 0) / 3)).toBeLessThanOrEqual(2 ** -17);
    expect(reports.map((r) => r.own?.auc ?? null)).toEqual([own[0], null, null]);
    expect(reports[0]!.own).toMatchObject({ numExamples: brute[0]!.rows, loss: Number.NaN, accuracy: Number.NaN });
  });

  it('refuses a survival sum that holds one site\'s evaluation alone; the same bytes opened without the check give that site\'s C-index', async () => {
    const [victim, reader] = workers as [RunWorker, RunWorker];
    const { chunks } = await victim.evaluate(WEIGHTS);
    expect(() => reader.decodeEvaluation(chunks, 1)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID' }));
    // Without the defence: the lone ciphertext decrypts to the victim's exact pair counts.
    const raw = await BfvUpdateEncoder.create(evaluationCodec(codec) as BfvCodecDescriptor, key.secretKey);
    try {
      const opened = survivalConsortiumMetrics(raw.decodeAggregate(chunks).sum);
      const test = (await victim.data()).test;
      const counts = bruteForceConcordance({ risk: await predictProbabilities(SPEC, WEIGHTS, test), time: test.time!, event: test.y });
      expect(opened.pairCIndex).toBe((2 * counts.concordant + counts.tied) / 2 / counts.comparable);
      expect(opened.numExamples).toBe(test.rows);
    } finally {
      raw.dispose();
    }
  });
});
