/**
 * A cox-ph run over real processes and real mTLS on 127.0.0.1: a coordinator and three site
 * agents started with `cohort`, the key ceremony, and an encrypted (BFV), site-level private run
 * on each site's survival extract (rows of a known Cox model, tied times included). The
 * consortium C-index the sites decrypt is checked against a brute-force count of every
 * within-site pair of the pooled test rows under the released weights: exact, since the sites
 * sum integer pair counts. Record-level DP on cox-ph is refused with its code, by the CLI and by
 * the coordinator.
 */
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { registerModelCommands } from '../../cli/commands/model.ts';
import { submitRun, watchRun } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { summarizeRun } from '../../cli/run-summary.ts';
import { adminClient, unary } from '../../core/rpc/clients.ts';
import type { Matrix } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { prepareDataset } from '../../site-agent/data/prepare-dataset.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { predictProbabilities } from '../../site-agent/training/local-trainer.ts';
import { runCliJson } from '../cli/commands/run-cli.ts';
import { caught } from '../support/caught.ts';
import { bruteForceConcordance, COX_COLUMNS, COX_SPEC_BASE, coxRows, writeCoxCsv } from '../support/survival.ts';

/** Generous on purpose: each wait gives up on its own once the run stops changing; this only catches one that never returns. */
const TEST_TIMEOUT_MS = 600_000;

const SPEC = {
  ...COX_SPEC_BASE,
  name: 'cox-net',
  dataset: 'survival',
  training: { steps: 20, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 },
  strategy: { name: 'fedavg' },
  rounds: 2,
  minSites: 3,
  testFraction: 0.3,
  // Site-level DP applies to cox-ph (the update is clipped and noised as a whole).
  privacy: { site: { noiseMultiplier: 0.3, clipNorm: 0.5 } },
};

describe('a networked cox-ph run, encrypted', () => {
  let dir: string;
  let c: LocalConsortium;
  let address: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-cox-it-'));
    // The first site lets its own metrics (its C-index) go; the others keep theirs.
    c = await LocalConsortium.create({ workdir: dir, sites: 3, seed: 5, rowsPerSite: 40, maxEpsilon: null, release: (_s, i) => (i === 0 ? { siteMetrics: true, recordCounts: 'exact' } : undefined) });
    address = `127.0.0.1:${c.port}`;
    // Each site also holds a survival extract: its own draw of the Cox model, 150 rows.
    mkdirSync(join(dir, 'survival'));
    for (const [i, s] of c.siteNames.entries()) {
      const rows = coxRows(150, 40 + i);
      const path = join(dir, 'survival', `${s}.csv`);
      writeCoxCsv(path, rows);
      const configPath = join(dir, 'sites', s, 'site.yaml');
      const config = parse(readFileSync(configPath, 'utf8')) as { datasets: Record<string, unknown> };
      config.datasets['survival'] = { path, columns: Object.fromEntries(COX_COLUMNS.map((k) => [k, k])) };
      writeFileSync(configPath, stringify(config));
    }
    c.startCoordinator();
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s);
    }
    await c.waitForSites(3);
    await c.keyCeremony();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (!process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  /** Each site's held-out rows for `spec`, split as the site splits them. */
  async function siteTestRows(spec: ModelSpec): Promise<Matrix[]> {
    const parts: Matrix[] = [];
    for (const s of c.siteNames) {
      const config = loadSiteConfig(join(dir, 'sites', s, 'site.yaml'));
      parts.push((await prepareDataset({ spec, mapping: config.datasets[spec.dataset]!, phiAllowList: config.policy.phiAllowList, fingerprintKey: Buffer.alloc(32) })).test);
    }
    return parts;
  }

  function modelWeights(modelId: string): Float32Array {
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      const w = (db.prepare('SELECT weights FROM models WHERE model_id = ?').get(modelId) as { weights: Buffer }).weights;
      return new Float32Array(Uint8Array.from(w).buffer);
    } finally {
      db.close();
    }
  }

  it('trains to completion: same weights at every site, the consortium C-index that of a brute-force count over the pooled test rows, released with it', async () => {
    const specPath = join(dir, 'cox.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const { runId } = await submitRun(c.kit('alice'), specPath, 'bfv', address);
    const final = await watchRun(c.kit('alice'), runId, () => undefined, address);
    expect([final.state, final.codec, final.errorCode, final.error]).toEqual(['COMPLETED', 'bfv', '', '']);
    expect(final.sites.map((s) => [s.state, s.reason])).toEqual([['ACCEPTED', ''], ['ACCEPTED', ''], ['ACCEPTED', '']]);
    expect(final.roundStatus.map((r) => [r.round, r.state, r.contributors])).toEqual([
      [1, 'CLOSED', 3],
      [2, 'CLOSED', 3],
    ]);
    const hashes = new Set(final.roundStatus[1]?.sites.map((s) => s.weightsSha256));
    expect([...hashes]).toEqual([final.finalWeightsSha256]);

    const released = await c.waitForRun(runId, 'the model release', (s) => s.modelId !== '');
    const spec = loadSpecFile(specPath);
    const weights = modelWeights(released.modelId);
    // The backend the agents chose ('auto'), so that the test's risk scores are the sites' to the bit.
    await selectBackend('auto', spec.model.family);
    const perSite: { rows: number; events: number; concordant: number; tied: number; comparable: number }[] = [];
    for (const test of await siteTestRows(spec)) {
      const risk = await predictProbabilities(spec, weights, test);
      perSite.push({ rows: test.rows, events: test.y.reduce((a, b) => a + b, 0), ...bruteForceConcordance({ risk, time: test.time!, event: test.y }) });
    }
    const sum = (f: (s: (typeof perSite)[number]) => number): number => perSite.reduce((a, s) => a + f(s), 0);
    const comparable = sum((s) => s.comparable);
    const halfPairs = sum((s) => 2 * s.concordant + s.tied);
    expect(comparable).toBeGreaterThan(0);
    // It learns through the site-level noise (unseeded; runs gave 0.70-0.72): a risk score of no use sits near 0.5.
    expect(halfPairs / 2 / comparable).toBeGreaterThan(0.55);
    const pooledCIndex = halfPairs / 2 / comparable;
    const siteCIndex = perSite.map((s) => (s.concordant + s.tied / 2) / s.comparable);
    const meanCIndex = siteCIndex.reduce((a, b) => a + b, 0) / siteCIndex.length;

    // `cohort run status --json`: the last round's consortium C-index (also in auc), and the first site's own.
    const summary = summarizeRun(await c.waitForRun(runId, 'the final status', () => true));
    const last = summary.rounds[1]!.metrics!;
    expect([last.numExamples, last.evaluators, last.cIndex, last.auc, last.aucResolution]).toEqual([sum((s) => s.rows), 3, pooledCIndex, pooledCIndex, 0]);
    expect(last.loss).toBeNaN();
    expect(last.accuracy).toBeNaN();
    // The mean of the sites' C-indexes, each sent as round(C x 2^16): within 2^-17 of the exact mean.
    expect(Math.abs(last.meanCIndex! - meanCIndex)).toBeLessThanOrEqual(2 ** -17);
    for (const r of summary.rounds) expect(r.sites.map((s) => s.metrics?.cIndex ?? null)).toEqual([expect.any(Number), null, null]);
    expect(summary.rounds[1]!.sites[0]!.metrics!.cIndex).toBe(siteCIndex[0]);

    // `cohort model show --json`: the registered version's final metrics carry the survival report.
    const shown = (await runCliJson(registerModelCommands, ['model', 'show', released.modelId, '--kit', join(dir, 'kits', 'alice'), '--json', '--address', address])) as {
      weightsSha256: string;
      provenance: { finalMetrics: { auc: number; survival: Record<string, number> } };
    };
    expect(shown.weightsSha256).toBe(final.finalWeightsSha256);
    expect(shown.provenance.finalMetrics.auc).toBe(pooledCIndex);
    expect(shown.provenance.finalMetrics.survival).toEqual({
      cIndex: pooledCIndex,
      meanCIndex: last.meanCIndex,
      comparablePairs: comparable,
      events: sum((s) => s.events),
      sitesWithPairs: 3,
    });
  }, TEST_TIMEOUT_MS);

  it('refuses record-level DP on cox-ph with SPEC_DP_UNSUPPORTED_MODEL: at the CLI, and at the coordinator for a spec sent past the CLI', async () => {
    const specPath = join(dir, 'cox-record-dp.json');
    writeFileSync(specPath, JSON.stringify({ ...SPEC, privacy: { record: { noiseMultiplier: 1, clipNorm: 1 } } }));
    expect((await caught(() => submitRun(c.kit('alice'), specPath, 'bfv', address))).code).toBe('COHORT_E_SPEC_DP_UNSUPPORTED_MODEL');
    const client = adminClient(c.kit('alice'), address);
    try {
      const e = await caught(unary((o, cb) => client.submitRun({ specJson: JSON.stringify({ ...SPEC, privacy: { record: { noiseMultiplier: 1, clipNorm: 1 } } }), codec: 'bfv' }, o, cb)));
      expect(e.code).toBe('COHORT_E_SPEC_DP_UNSUPPORTED_MODEL');
    } finally {
      client.close();
    }
  }, TEST_TIMEOUT_MS);
});
