/**
 * The site's kept state against its own verified audit log (site-agent/site-audit.ts): a
 * deleted, cut or replaced witnessed.jsonl, and a rolled-back privacy ledger, stop the site
 * from starting (coded errors), where before they silently reset it to trust on first use or
 * to budget already spent. Each attack is also shown to pass without the check. Roots in the
 * site's records are hex.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpointLine, signCheckpoint, type CheckpointLine } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { consistencyProof, leafHash, treeHash } from '../../core/audit/merkle.ts';
import { witnessCheckpoint, type OfferedCheckpoint } from '../../core/audit/witness.ts';
import { loadKeyFile } from '../../core/crypto/at-rest.ts';
import { PrivacyLedger, type LedgerAppend } from '../../site-agent/privacy/ledger.ts';
import { SiteAudit } from '../../site-agent/site-audit.ts';
import { auditKits, writeLog, type AuditKits } from '../core/audit/fixture.ts';

let kits: AuditKits;
let n = 0;
const fresh = (): string => mkdtempSync(join(kits.dir, `r${n++}-`));
const task = (round: number): { runId: string; round: number; taskId: string } => ({ runId: 'run-1', round, taskId: `t${round}` });
const offer = (line: CheckpointLine, proof: Buffer[], proofFrom: number): OfferedCheckpoint => ({ checkpointJson: JSON.stringify(line), proof, proofFrom });
const records = (dataDir: string): { action: string; details: Record<string, unknown> }[] =>
  readLineFile(join(dataDir, 'audit', 'audit.jsonl')).lines.map((l) => JSON.parse(l.toString('utf8')) as { action: string; details: Record<string, unknown> });

/** A coordinator log of 10 records (checkpoints at 4 and 10), and a site that cosigned both. */
function cosignedSite(): { data: string; leaves: Buffer[]; lines: CheckpointLine[]; witnessed: string } {
  const cdir = fresh();
  const files = writeLog(cdir, kits.coordinator, 10, [4, 10]);
  const leaves = readLineFile(files.logFile).lines.map((l) => leafHash(l));
  const lines = readLineFile(files.checkpointFile).lines.map((l) => JSON.parse(l.toString('utf8')) as CheckpointLine);
  const data = fresh();
  const site = SiteAudit.open(data, kits.site);
  expect(site.witness(offer(lines[0]!, [], 0), task(1)).kind).toBe('cosigned');
  expect(site.witness(offer(lines[1]!, consistencyProof(leaves, 4, 10), 4), task(2)).kind).toBe('cosigned');
  site.close();
  return { data, leaves, lines, witnessed: join(data, 'audit', 'witnessed.jsonl') };
}

beforeAll(async () => {
  kits = await auditKits();
}, 120_000);

afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

describe('the site\'s witnessed.jsonl against its own audit log', () => {
  it('opens when intact, and records roots in hex', () => {
    const { data, lines } = cosignedSite();
    const site = SiteAudit.open(data, kits.site);
    expect(site.witnessedSize).toBe(10);
    site.close();
    const cosigns = records(data).filter((r) => r.action === 'witness.cosign');
    expect(cosigns.map((r) => [r.details.treeSize, r.details.root])).toEqual(
      lines.map((l) => { const cp = parseCheckpointLine(Buffer.from(JSON.stringify(l)), 0); return [cp.size, cp.root.toString('hex')]; }),
    );
    expect(cosigns.every((r) => r.details.rootSha256 === undefined)).toBe(true);
  });

  it('refuses to start when witnessed.jsonl was deleted (COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK); without the check a fork is then trusted on first use', () => {
    const { data, leaves, lines, witnessed } = cosignedSite();
    unlinkSync(witnessed);
    expect(() => SiteAudit.open(data, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK', details: expect.objectContaining({ cosignedSize: 10, kept: 0 }) }));
    // The attack without the check: nothing kept, so a re-signed fork passes on its signature alone.
    const fork = [...leaves, leafHash(Buffer.from('{"a":1}'))];
    fork[1] = leafHash(Buffer.from('{"rewritten":true}'));
    const forked = signCheckpoint({ origin: parseCheckpointLine(Buffer.from(JSON.stringify(lines[0])), 0).origin, size: 11, root: treeHash(fork) }, kits.coordinator);
    expect(witnessCheckpoint(undefined, offer(forked, [], 0), { caPem: kits.coordinator.caPem, consortium: 'audit-test' })).toMatchObject({ kind: 'advanced' });
  });

  it('refuses to start when witnessed.jsonl was rolled back to an earlier line; without the check a fork past it passes', () => {
    const { data, leaves, lines, witnessed } = cosignedSite();
    writeFileSync(witnessed, `${readFileSync(witnessed, 'utf8').split('\n')[0]!}\n`);
    expect(() => SiteAudit.open(data, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK', details: expect.objectContaining({ cosignedSize: 10, keptSize: 4 }) }));
    // Without the check: kept at 4, a fork that rewrites record 6 (after 4) verifies.
    const fork = [...leaves, leafHash(Buffer.from('{"b":1}'))];
    fork[6] = leafHash(Buffer.from('{"rewritten":6}'));
    const cp4 = parseCheckpointLine(Buffer.from(JSON.stringify(lines[0])), 0);
    const forked = signCheckpoint({ origin: cp4.origin, size: 11, root: treeHash(fork) }, kits.coordinator);
    expect(witnessCheckpoint(cp4, offer(forked, consistencyProof(fork, 4, 11), 4), { caPem: kits.coordinator.caPem, consortium: 'audit-test' })).toMatchObject({ kind: 'advanced' });
  });

  it('refuses a kept line not signed by the coordinator, and a line replaced by another coordinator checkpoint of the same size', () => {
    const a = cosignedSite();
    const cp10 = parseCheckpointLine(Buffer.from(JSON.stringify(a.lines[1])), 0);
    // Same origin and size, signed by a site (a CA certificate, not the coordinator's).
    const bySite = signCheckpoint({ origin: cp10.origin, size: 10, root: cp10.root }, kits.site);
    writeFileSync(a.witnessed, `${JSON.stringify(a.lines[0])}\n${JSON.stringify(bySite)}\n`);
    expect(() => SiteAudit.open(a.data, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK', details: expect.objectContaining({ line: 1 }) }));
    const other = signCheckpoint({ origin: cp10.origin, size: 10, root: Buffer.alloc(32, 9) }, kits.coordinator);
    writeFileSync(a.witnessed, `${JSON.stringify(a.lines[0])}\n${JSON.stringify(other)}\n`);
    expect(() => SiteAudit.open(a.data, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK', details: expect.objectContaining({ cosignedSize: 10 }) }));
  });

  it('takes one kept line past the last recorded cosignature (a crash between keeping and recording it), not two written at once', () => {
    const { data, leaves, lines, witnessed } = cosignedSite();
    // A real later checkpoint of the same log, kept but not recorded.
    const cp10 = parseCheckpointLine(Buffer.from(JSON.stringify(lines[1])), 0);
    const grown = [...leaves, leafHash(Buffer.from('{"c":1}')), leafHash(Buffer.from('{"c":2}'))];
    const at11 = signCheckpoint({ origin: cp10.origin, size: 11, root: treeHash(grown, 11) }, kits.coordinator);
    const at12 = signCheckpoint({ origin: cp10.origin, size: 12, root: treeHash(grown, 12) }, kits.coordinator);
    appendFileSync(witnessed, `${JSON.stringify(at11)}\n`);
    const site = SiteAudit.open(data, kits.site);
    expect(site.witnessedSize).toBe(11);
    site.close();
    // Two lines past the last record with no open between them: no crash makes that (each open records the line it
    // finds unrecorded, below), so the file was written to.
    const { data: data2, witnessed: witnessed2 } = cosignedSite();
    appendFileSync(witnessed2, `${JSON.stringify(at11)}\n${JSON.stringify(at12)}\n`);
    expect(() => SiteAudit.open(data2, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK' }));
  });

  it('records a refusal\'s roots in hex and returns its evidence for the coordinator', () => {
    const { data, leaves, lines } = cosignedSite();
    const site = SiteAudit.open(data, kits.site);
    const cp10 = parseCheckpointLine(Buffer.from(JSON.stringify(lines[1])), 0);
    const fork = [...leaves];
    fork[2] = leafHash(Buffer.from('{"rewritten":2}'));
    const forked = signCheckpoint({ origin: cp10.origin, size: 10, root: treeHash(fork) }, kits.coordinator);
    const r = site.witness(offer(forked, [], 10), task(3));
    site.close();
    expect(r).toMatchObject({ kind: 'refused', treeSize: 10, root: treeHash(fork).toString('base64'), keptJson: JSON.stringify(lines[1]), offeredJson: JSON.stringify(forked), proofFrom: 10 });
    const refused = records(data).find((x) => x.action === 'witness.refused')!;
    expect(refused.details).toMatchObject({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT', keptSize: 10, keptRoot: cp10.root.toString('hex'), offeredSize: 10, offeredRoot: treeHash(fork).toString('hex') });
  });
});

describe('the privacy ledger against the site\'s audit log', () => {
  const spend = (runId: string, event: LedgerAppend['event'], round: number, epsilon: number): LedgerAppend => ({
    runId, round, event, recordEpsilon: epsilon, siteEpsilon: Infinity, epsilon, delta: 1e-5, steps: round * 10,
  });

  it('refuses a ledger behind the last privacy.spend record (COHORT_E_AUDIT_LEDGER_ROLLBACK), takes an intact one; the ledger alone cannot tell', () => {
    const data = fresh();
    const key = loadKeyFile(join(data, 'site.key'), { create: true });
    const ledgerDir = join(data, 'privacy');
    const ledger = PrivacyLedger.open(ledgerDir, key);
    ledger.append(spend('run-1', 'accept', 0, 0));
    const before = readFileSync(join(ledgerDir, 'ledger.sealed'));
    ledger.append(spend('run-1', 'round', 1, 0.5));
    const entries = ledger.entries();
    const site = SiteAudit.open(data, kits.site);
    site.privacySpend('run-1', 1, 0.5, 1e-5, entries.at(-1)!.hash, entries.length);
    site.close();

    const reopened = SiteAudit.open(data, kits.site);
    expect(() => reopened.checkLedger(PrivacyLedger.open(ledgerDir, key).entries())).not.toThrow();
    // Roll the sealed file back to before round 1: it verifies on its own (the attack without the check).
    writeFileSync(join(ledgerDir, 'ledger.sealed'), before);
    const rolledBack = PrivacyLedger.open(ledgerDir, key, { verify: true });
    expect(rolledBack.entries().length).toBe(1);
    expect(() => reopened.checkLedger(rolledBack.entries())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_LEDGER_ROLLBACK', details: { entries: 1, recorded: 2, record: expect.any(Number) } }));
    // Same count, another head: replaced.
    expect(() => reopened.checkLedger([entries[0]!, { ...entries[1]!, hash: 'f'.repeat(64) }])).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_LEDGER_ROLLBACK' }));
    reopened.close();
  });
});

describe('crashes between keeping a checkpoint and recording it', () => {
  it('records the kept line on open, so that two such crashes in a row do not lock an honest site out', () => {
    const cdir = fresh();
    const files = writeLog(cdir, kits.coordinator, 12, [4, 10, 12]);
    const lines = readLineFile(files.checkpointFile).lines.map((l) => JSON.parse(l.toString('utf8')) as CheckpointLine);
    const data = fresh();
    const site = SiteAudit.open(data, kits.site);
    expect(site.witness(offer(lines[0]!, [], 0), task(1)).kind).toBe('cosigned');
    site.close();
    const witnessed = join(data, 'audit', 'witnessed.jsonl');
    // First crash: the checkpoint of 10 kept, its record never written.
    appendFileSync(witnessed, `${JSON.stringify(lines[1])}\n`);
    const once = SiteAudit.open(data, kits.site);
    expect(once.witnessedSize).toBe(10);
    once.close();
    expect(records(data).filter((r) => r.action === 'witness.cosign').map((r) => [r.details.treeSize, r.details.recovered ?? false])).toEqual([[4, false], [10, true]]);
    // Second crash: the checkpoint of 12 kept, its record never written. Opens (before: two unrecorded lines, STATE_ROLLBACK).
    appendFileSync(witnessed, `${JSON.stringify(lines[2])}\n`);
    const twice = SiteAudit.open(data, kits.site);
    expect(twice.witnessedSize).toBe(12);
    twice.close();
    // A line that was never kept is still no line: cutting the file below the recorded 12 is refused.
    writeFileSync(witnessed, readLineFile(witnessed).lines.slice(0, 2).map((l) => `${l.toString('utf8')}\n`).join(''));
    expect(() => SiteAudit.open(data, kits.site)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK' }));
  });
});
