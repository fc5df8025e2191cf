/**
 * Witnessing, over real processes (a `cohort coordinator start` and two `cohort site start`
 * over mTLS on 127.0.0.1): a run with the sites witnessing the coordinator's audit log; then a
 * malicious coordinator rewrites one record of its stopped log, recomputes the chain, re-signs
 * every checkpoint with its own key and moves its SQLite anchor to match, and starts again.
 * The sites refuse its next offer with COHORT_E_AUDIT_WITNESS_INCONSISTENT and record it, and
 * `cohort audit verify --checkpoint <a site's witnessed.jsonl>` fails on the rewritten log
 * while passing on the original. Without the site's checkpoint, the rewrite verifies.
 */
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify } from '../../cli/commands/audit.ts';
import { submitRun, watchRun } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { sqliteAuditState } from '../../core/audit/anchor.ts';
import { auditOrigin, parseCheckpointLine, signCheckpoint } from '../../core/audit/checkpoint.ts';
import { identityFromCertificate } from '../../core/pki/identity.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { leafHash, treeHash } from '../../core/audit/merkle.ts';
import { lineHash, parseRecord, serializeRecord, type AuditRecord } from '../../core/audit/record.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { readCosignatures } from '../../core/audit/witness.ts';
import { caught } from '../support/caught.ts';
import { detectIncidents } from '../../core/governance/incidents.ts';

const TEST_TIMEOUT_MS = 600_000;
/** heart-logistic without differential privacy, two rounds: a checkpoint at each round close for the sites to witness. */
const SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), privacy: undefined, rounds: 2, minSites: 2, roundTimeoutSeconds: 3600 };

interface Line {
  action: string;
  actor: { name: string; role: string };
  target: Record<string, unknown>;
  outcome: string;
  details: Record<string, unknown>;
}

const records = (file: string): Line[] => readLineFile(file).lines.map((l) => JSON.parse(l.toString('utf8')) as Line);

/**
 * What a malicious coordinator does to its stopped log: changes record `index`'s details,
 * re-chains every record after it, re-signs every checkpoint (same sizes, new roots) with its
 * own key, and moves the anchor in its SQLite state to the new last root.
 */
function rewriteHistory(c: LocalConsortium, auditDir: string, index: number): void {
  const kit = c.kit('coordinator');
  const lines = readLineFile(join(auditDir, 'audit.jsonl')).lines;
  const out: Buffer[] = [];
  let prev = '';
  for (const [i, line] of lines.entries()) {
    const r = (parseRecord(line) as { record: AuditRecord }).record;
    const changed: AuditRecord = { ...r, ...(i === 0 ? {} : { prev }), ...(i === index ? { details: { ...r.details, specSha256: 'ff'.repeat(32) } } : {}) };
    const bytes = i < index ? line : serializeRecord(changed);
    out.push(bytes);
    prev = lineHash(bytes);
  }
  writeFileSync(join(auditDir, 'audit.jsonl'), Buffer.concat(out.flatMap((l) => [l, Buffer.from('\n')])));
  const leaves = out.map((l) => leafHash(l));
  const cps = readLineFile(join(auditDir, 'checkpoints.jsonl')).lines.map((l, i) => parseCheckpointLine(l, i));
  const resigned = cps.map((cp) => signCheckpoint({ origin: cp.origin, size: cp.size, root: treeHash(leaves, cp.size) }, kit));
  writeFileSync(join(auditDir, 'checkpoints.jsonl'), resigned.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const last = cps.at(-1)!;
  const db = new Database(join(c.options.workdir, 'coordinator-state', 'coordinator.sqlite'));
  try {
    sqliteAuditState(db).writeAnchor(last.origin, { size: last.size, root: treeHash(leaves, last.size) });
  } finally {
    db.close();
  }
}

describe('sites witnessing the coordinator\'s audit log', () => {
  let dir: string;
  let c: LocalConsortium;
  let address: string;
  let auditDir: string;
  let original: string;
  let caFile: string;
  const siteAudit = (s: string): string => join(loadSiteConfig(join(dir, 'sites', s, 'site.yaml')).dataDir, 'audit');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-witness-'));
    c = await LocalConsortium.create({ workdir: dir, sites: 2, seed: 3, rowsPerSite: 100, maxEpsilon: null, allowPlaintext: true, release: () => ({ recordCounts: 'exact' }) });
    address = `127.0.0.1:${c.port}`;
    auditDir = join(dir, 'coordinator-state', 'audit');
    original = join(dir, 'original-audit');
    caFile = join(c.kitsDir, 'coordinator', 'ca.crt');
    c.startCoordinator();
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s);
    }
    await c.waitForSites(2);
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const { runId } = await submitRun(c.kit('alice'), specPath, 'plain', address);
    expect((await watchRun(c.kit('alice'), runId, () => undefined, address)).state).toBe('COMPLETED');
    // The model release's checkpoint goes to the sites with their FINISH task; wait until both cosigned one.
    await c.waitForRun(runId, 'model released', (s) => s.modelId !== '');
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (dir && !process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('each site kept and cosigned the coordinator\'s checkpoints, and recorded its decision, dataset read and spend', () => {
    for (const s of c.siteNames) {
      const lines = records(join(siteAudit(s), 'audit.jsonl'));
      const actions = lines.map((l) => l.action);
      expect(actions).toContain('run.accept');
      expect(actions).toContain('witness.cosign');
      const read = lines.find((l) => l.action === 'dataset.read')!;
      expect(read.details).toEqual({ columns: [...SPEC.features.map((f) => f.name), 'disease'], rows: expect.any(Number), droppedRows: expect.any(Number) });
      expect(read.target.dataset).toBe('heart');
      const spends = lines.filter((l) => l.action === 'privacy.spend');
      expect(spends.map((l) => l.target.round)).toEqual([1, 2]);
      expect(spends[1]!.details).toMatchObject({ ledgerHead: expect.stringMatching(/^[0-9a-f]{64}$/), ledgerEntries: expect.any(Number) });
      const files = lines.filter((l) => l.action === 'file.write');
      expect(files.map((l) => l.details.path)).toEqual([1, 2].map(() => `runs/${read.target.run as string}/global.state`));
      expect(files[0]!.details).toMatchObject({ kind: 'run-state', bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(actions).toContain('key.exchange.publish');
      expect(lines.every((l) => l.actor.name === s && l.actor.role === 'site')).toBe(true);
      // The site's log verifies under the CA, signed by the site.
      const origin = auditOrigin(identityFromCertificate(c.kit(s).certPem));
      expect(auditVerify(siteAudit(s), { ca: caFile, role: 'site', origin })).toMatchObject({ trust: 'ca', signer: { name: s, role: 'site', chainedToCa: true } });
      // Pinned to this site: another site's log, and --role site without --origin, are refused.
      const other = c.siteNames.find((x) => x !== s)!;
      expect(() => auditVerify(siteAudit(other), { ca: caFile, role: 'site', origin })).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_CHECKPOINT_SIGNER' }));
      expect(() => auditVerify(siteAudit(s), { ca: caFile, role: 'site' })).toThrow(expect.objectContaining({ code: 'COHORT_E_GENERAL_USAGE' }));
      expect(readLineFile(join(siteAudit(s), 'witnessed.jsonl')).lines.length).toBeGreaterThan(0);
    }
    const cosigned = readCosignatures(auditDir);
    expect(new Set(cosigned.map((x) => x.site))).toEqual(new Set(c.siteNames));
    expect(cosigned.every((x) => 'cosignature' in x)).toBe(true);
  });

  it('catches a coordinator that rewrote and re-signed its history: the sites refuse it, and verify with a site\'s checkpoint fails', async () => {
    await c.kill('coordinator', 'SIGTERM');
    cpSync(auditDir, original, { recursive: true });
    const submit = records(join(auditDir, 'audit.jsonl')).findIndex((l) => l.action === 'run.submit');
    rewriteHistory(c, auditDir, submit);
    const witnessed = join(siteAudit(c.siteNames[0]!), 'witnessed.jsonl');

    // Without the witness check, the rewrite passes: every checkpoint was re-signed with the coordinator's key.
    expect(auditVerify(auditDir, { ca: caFile })).toMatchObject({ trust: 'ca' });
    // With the site's cosigned checkpoint, it fails; the original passes.
    expect(await caught(Promise.resolve().then(() => auditVerify(auditDir, { ca: caFile, checkpoint: witnessed })))).toMatchObject({ code: 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH' });
    expect(auditVerify(original, { ca: caFile, checkpoint: witnessed })).toMatchObject({ trust: 'ca' });
    // The sites' stored cosignatures disagree with the rewritten log (an incident), not with the original.
    const ca = readFileSync(caFile, 'utf8');
    const disagree = (d: string) => detectIncidents(join(d, 'audit.jsonl'), { caPem: ca }).filter((f) => f.rule === 'cosigned-checkpoint-disagrees');
    const found = disagree(auditDir);
    expect(new Set(found.map((f) => f.actor?.name))).toEqual(new Set(c.siteNames));
    expect(new Set(found.map((f) => f.details.code))).toEqual(new Set(['COHORT_E_AUDIT_CHECKPOINT_MISMATCH']));
    expect(disagree(original)).toEqual([]);

    // The rewritten coordinator starts (its anchor was moved too) and offers a new run.
    c.startCoordinator();
    await c.waitForSites(2);
    const specPath = join(dir, 'spec2.json');
    writeFileSync(specPath, JSON.stringify({ ...SPEC, rounds: 1 }));
    const { runId } = await submitRun(c.kit('alice'), specPath, 'plain', address);
    const status = await c.waitForRun(runId, 'both sites decline', (s) => s.sites.length === 2 && s.sites.every((x) => x.state === 'DECLINED'));
    expect(status.sites.map((x) => x.reason)).toEqual(status.sites.map(() => expect.stringContaining('COHORT_E_AUDIT_WITNESS_INCONSISTENT')));

    for (const s of c.siteNames) {
      const lines = records(join(siteAudit(s), 'audit.jsonl'));
      // The offer, and every later task that carries the rewritten checkpoint (the run's FINISH), is refused.
      const refused = lines.filter((l) => l.action === 'witness.refused');
      expect(refused[0]).toMatchObject({ outcome: 'refused', target: { run: runId }, details: { code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' } });
      expect(refused.map((l) => l.details.code)).toEqual(refused.map(() => 'COHORT_E_AUDIT_WITNESS_INCONSISTENT'));
      expect(lines.find((l) => l.action === 'run.decline' && l.target.run === runId)?.details).toMatchObject({ reasonCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' });
      // The evidence: the checkpoint the site kept and the one it was offered.
      const evidenceDir = join(siteAudit(s), 'witness-evidence');
      // One file per refusal (the site goes on refusing the run's FINISH while this test reads: each record's file exists).
      const files = readdirSync(evidenceDir).sort();
      for (const l of refused) expect(files).toContain(String(l.details.evidence).replace('witness-evidence/', ''));
      const evidence = JSON.parse(readFileSync(join(evidenceDir, files[0]!), 'utf8')) as { code: string; kept: { note: string }; offered: string };
      expect(evidence.code).toBe('COHORT_E_AUDIT_WITNESS_INCONSISTENT');
      expect(evidence.kept.note).not.toBe((JSON.parse(evidence.offered) as { note: string }).note);
      // The refused checkpoint was not kept.
      const kept = readLineFile(join(siteAudit(s), 'witnessed.jsonl')).lines.map((l) => l.toString('utf8'));
      expect(kept).not.toContain(evidence.offered);
    }
    // The coordinator stored the refusals.
    const refusals = readCosignatures(auditDir).filter((x) => 'refused' in x);
    expect(new Set(refusals.map((x) => x.site))).toEqual(new Set(c.siteNames));
    expect(new Set(refusals.map((x) => ('refused' in x ? x.refused : '')))).toEqual(new Set(['COHORT_E_AUDIT_WITNESS_INCONSISTENT']));
    // The refusals raise the incident too, from the coordinator's own records of them.
    const refusedRecords = disagree(auditDir).filter((f) => f.details.code === 'COHORT_E_AUDIT_WITNESS_INCONSISTENT');
    expect(new Set(refusedRecords.map((f) => f.actor?.name))).toEqual(new Set(c.siteNames));
    expect(refusedRecords.every((f) => f.records.length > 0)).toBe(true);
  }, TEST_TIMEOUT_MS);
});
