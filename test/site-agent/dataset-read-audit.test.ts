/**
 * A dataset read is recorded where the data loads (RunWorker's onDatasetRead, wired to the
 * site's audit log by the agent): for a declined offer too, once per load, and again by the
 * worker a restarted agent makes. Real extract, real ledger, real site audit log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLineFile } from '../../core/audit/lines.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { specColumns } from '../../site-agent/audit-hooks.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteAudit } from '../../site-agent/site-audit.ts';
import { SiteConfigSchema } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';
import { auditKits, type AuditKits } from '../core/audit/fixture.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/demo-private.yaml');
let kits: AuditKits;
let extract: string;

beforeAll(async () => {
  kits = await auditKits();
  const [h] = await generateHospitals({ sites: 1, seed: 5, rowsPerSite: 200, outDir: join(kits.dir, 'extracts') });
  extract = h!.path;
}, 120_000);

afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

describe('dataset.read in the site\'s audit log', () => {
  it('is recorded for a declined offer, once per load, and again after a restart', async () => {
    const spec: ModelSpec = { ...loadSpecFile(SPEC), rounds: 3, testFraction: 0.3 };
    const base = mkdtempSync(join(kits.dir, 'site-'));
    // A budget cap of 1: the offer is declined after the data was read to count its rows.
    const config = SiteConfigSchema.parse({
      dataDir: join(base, 'state'),
      keyFile: join(base, 'at-rest.key'),
      datasets: { heart: { path: extract, columns: syntheticColumnMapping() } },
      policy: { allowPlaintext: true, privacy: { maxEpsilon: 1 }, release: { recordCounts: 'exact' } },
    });
    const key = initSiteStorage(config);
    const ledger = PrivacyLedger.open(privacyLedgerDir(config.dataDir), key);
    const worker = (audit: SiteAudit): RunWorker =>
      new RunWorker({
        site: 'site-a', runId: 'run-a', spec, config, states: new RunStateStore(config.dataDir, key), heKeys: new HeKeyStore(config.dataDir, key), ledger,
        onDatasetRead: (d) => audit.datasetRead('run-a', spec.dataset, specColumns(spec), d.train.rows + d.test.rows, d.droppedRows),
      });
    let audit = SiteAudit.open(config.dataDir, kits.site);
    const w = worker(audit);
    const decision = await w.decide('alice', { kind: 'plain' });
    expect(decision.accept).toBe(false);
    await w.data();
    audit.close();
    // A restart: a new worker loads the data again.
    audit = SiteAudit.open(config.dataDir, kits.site);
    await worker(audit).data();
    audit.close();
    const reads = readLineFile(join(config.dataDir, 'audit', 'audit.jsonl')).lines
      .map((l) => JSON.parse(l.toString('utf8')) as { action: string; target: Record<string, unknown>; details: Record<string, unknown> })
      .filter((r) => r.action === 'dataset.read');
    const data = await w.data();
    expect(reads).toEqual([0, 1].map(() => expect.objectContaining({
      target: { run: 'run-a', dataset: spec.dataset },
      details: { columns: specColumns(spec), rows: data.train.rows + data.test.rows, droppedRows: data.droppedRows },
    })));
    expect(data.train.rows + data.test.rows).toBe(200 - data.droppedRows);
  }, 120_000);
});
