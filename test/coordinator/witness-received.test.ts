/**
 * The coordinator's side of witnessing (coordinator/server/witness.ts), with real kits and a
 * log written by the real writer: a cosignature is taken only over a checkpoint this
 * coordinator signed (stored with that checkpoint's line, once); a refusal only with a
 * COHORT_E_AUDIT_WITNESS_* code, a well-formed root and its evidence, and it raises a
 * cosigned-checkpoint-disagrees incident only when both evidence checkpoints are the
 * coordinator's and really inconsistent. Each attack is shown to raise an incident when its
 * line reaches cosignatures.jsonl unchecked.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../core/audit/audit-log.ts';
import { formatCheckpointBody, parseCheckpointLine, signCheckpoint, type CheckpointLine } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { consistencyProof, leafHash, treeHash } from '../../core/audit/merkle.ts';
import { cosign, readCosignatures } from '../../core/audit/witness.ts';
import { detectIncidents } from '../../core/governance/incidents.ts';
import { CoordinatorWitness } from '../../coordinator/server/witness.ts';
import type { Cosignature__Output } from '../../protos/gen/cohort/v1/Cosignature.ts';
import { auditKits, writeLog, type AuditKits } from '../core/audit/fixture.ts';

let kits: AuditKits;
let n = 0;
const fresh = (): string => mkdtempSync(join(kits.dir, `c${n++}-`));

interface Coordinator {
  dir: string;
  log: AuditLog;
  witness: CoordinatorWitness;
  leaves: Buffer[];
  lines: CheckpointLine[];
}

/** A coordinator log of 10 records with checkpoints at 4 and 10, open for appending, and its witness. */
function coordinator(): Coordinator {
  const dir = fresh();
  writeLog(dir, kits.coordinator, 10, [4, 10]);
  const leaves = readLineFile(join(dir, 'audit.jsonl')).lines.map((l) => leafHash(l));
  const lines = readLineFile(join(dir, 'checkpoints.jsonl')).lines.map((l) => JSON.parse(l.toString('utf8')) as CheckpointLine);
  const log = AuditLog.open(dir, { certPem: kits.coordinator.certPem, keyPem: kits.coordinator.keyPem, caPem: kits.coordinator.caPem });
  log.takeExisting();
  return { dir, log, witness: new CoordinatorWitness(log, kits.coordinator.caPem), leaves, lines };
}

const parsed = (l: CheckpointLine) => parseCheckpointLine(Buffer.from(JSON.stringify(l)), 0);
const request = (r: Partial<Cosignature__Output>): Cosignature__Output => ({
  treeSize: '0', root: '', cosignatureJson: '', refusalCode: '', refusedKeptJson: '', refusedOfferedJson: '', refusedProof: [], refusedProofFrom: '0', ...r,
});
const cosignRequest = (cp: ReturnType<typeof parsed>): Cosignature__Output => {
  const line = cosign(cp, kits.site);
  return request({ treeSize: String(cp.size), root: line.root, cosignatureJson: JSON.stringify(line) });
};
const disagreements = (c: Coordinator) => {
  c.log.checkpoint();
  return detectIncidents(join(c.dir, 'audit.jsonl'), { caPem: kits.coordinator.caPem }).filter((f) => f.rule === 'cosigned-checkpoint-disagrees');
};
const actions = (c: Coordinator): string[] => readLineFile(join(c.dir, 'audit.jsonl')).lines.map((l) => (JSON.parse(l.toString('utf8')) as { action: string }).action);

beforeAll(async () => {
  kits = await auditKits();
}, 120_000);

afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

describe('cosignatures the coordinator takes', () => {
  it('refuses a cosignature over a root it never signed (COHORT_E_AUDIT_WITNESS_UNKNOWN_CHECKPOINT), storing nothing; stored unchecked it would blame the coordinator', () => {
    const c = coordinator();
    const origin = parsed(c.lines[0]!).origin;
    const fake = (size: number) => ({ origin, size, root: Buffer.alloc(32, 7), text: formatCheckpointBody({ origin, size, root: Buffer.alloc(32, 7) }), certificate: '', signature: Buffer.alloc(0), keyId: Buffer.alloc(0) });
    for (const size of [4, 1000]) {
      expect(() => c.witness.received('site-a', cosignRequest(fake(size) as never))).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_UNKNOWN_CHECKPOINT', details: { site: 'site-a', treeSize: size } }));
    }
    expect(readCosignatures(c.dir)).toEqual([]);
    expect(disagreements(c)).toEqual([]);
    // Without the check: the same cosignatures in cosignatures.jsonl raise two incidents against the coordinator.
    for (const size of [4, 1000]) appendFileSync(join(c.dir, 'cosignatures.jsonl'), `${JSON.stringify({ site: 'site-a', cosignature: cosign(fake(size) as never, kits.site) })}\n`);
    expect(disagreements(c).map((f) => f.details.treeSize).sort()).toEqual([1000, 4]);
    c.log.close();
  });

  it('stores a cosignature of its own checkpoint with that checkpoint\'s line, once per site, size and root', () => {
    const c = coordinator();
    c.witness.received('site-a', cosignRequest(parsed(c.lines[0]!)));
    c.witness.received('site-a', cosignRequest(parsed(c.lines[0]!)));
    c.witness.received('site-a', cosignRequest(parsed(c.lines[1]!)));
    const stored = readCosignatures(c.dir);
    expect(stored.map((s) => ('cosignature' in s ? [s.cosignature.treeSize, s.checkpoint] : null))).toEqual([[4, c.lines[0]], [10, c.lines[1]]]);
    expect(actions(c).filter((a) => a === 'audit.cosign')).toHaveLength(2);
    const rec = readLineFile(join(c.dir, 'audit.jsonl')).lines.map((l) => JSON.parse(l.toString('utf8')) as { action: string; details: Record<string, unknown> }).find((r) => r.action === 'audit.cosign')!;
    expect(rec.details).toEqual({ treeSize: 4, root: parsed(c.lines[0]!).root.toString('hex') });
    // A restarted witness knows what it stored.
    new CoordinatorWitness(c.log, kits.coordinator.caPem).received('site-a', cosignRequest(parsed(c.lines[1]!)));
    expect(readCosignatures(c.dir)).toHaveLength(2);
    expect(disagreements(c)).toEqual([]);
    c.log.close();
  });

  it('hands out the consistency proof from what each site kept (cached per size, equal to a fresh one)', () => {
    const c = coordinator();
    c.witness.siteConnected('site-a', 4);
    const first = c.witness.fieldsFor('site-a');
    expect(first).toEqual({ auditCheckpointJson: JSON.stringify(c.lines[1]), auditProof: consistencyProof(c.leaves, 4, 10), auditProofFrom: '4' });
    expect(c.witness.fieldsFor('site-a').auditProof).toBe(first.auditProof);
    c.log.close();
  });
});

describe('refusals the coordinator takes', () => {
  it('refuses free text as a code or a root, and a refusal without evidence (COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED): nothing reaches its log', () => {
    const c = coordinator();
    const root = parsed(c.lines[1]!).root.toString('base64');
    const phi = request({ treeSize: '77', root: `Patient Jane Doe MRN 0012345 HIV+ ${'x'.repeat(50)}`, refusalCode: 'free text: Jane Doe, DOB 1970-01-01' });
    for (const bad of [
      phi,
      { ...phi, refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' },
      request({ treeSize: '10', root, refusalCode: 'COHORT_E_AUDIT_WITNESS_NOT_A_CODE' }),
      request({ treeSize: '10', root: `${root.slice(0, -2)}==`, refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT', refusedOfferedJson: JSON.stringify(c.lines[1]) }),
      request({ treeSize: '10', root, refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' }),
    ]) {
      expect(() => c.witness.received('site-a', bad)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED' }));
    }
    c.log.checkpoint();
    expect(readFileSync(join(c.dir, 'audit.jsonl'), 'utf8')).not.toMatch(/Jane|MRN|free text/);
    expect(readCosignatures(c.dir)).toEqual([]);
    expect(disagreements(c)).toEqual([]);
    c.log.close();
  });

  it('keeps a refusal of two consistent checkpoints as the site\'s unverified claim: audit.witness.claim, no incident; stored unchecked it raised one', () => {
    const c = coordinator();
    const cp10 = parsed(c.lines[1]!);
    c.witness.received('site-a', request({
      treeSize: '10', root: cp10.root.toString('base64'), refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
      refusedKeptJson: JSON.stringify(c.lines[0]), refusedOfferedJson: JSON.stringify(c.lines[1]), refusedProof: [Buffer.alloc(32)], refusedProofFrom: '4',
    }));
    expect(actions(c).at(-1)).toBe('audit.witness.claim');
    expect(readCosignatures(c.dir)).toEqual([expect.objectContaining({ site: 'site-a', refused: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT', treeSize: 10, verified: false, kept: c.lines[0], offered: c.lines[1] })]);
    expect(disagreements(c)).toEqual([]);
    // Without the check (the refusal stored as verified): an incident.
    appendFileSync(join(c.dir, 'cosignatures.jsonl'), `${JSON.stringify({ ...readCosignatures(c.dir)[0], verified: true })}\n`);
    expect(disagreements(c)).toHaveLength(1);
    c.log.close();
  });

  it('stores and records the same refusal once however often it is sent, and refuses evidence larger than two checkpoints and a proof', () => {
    const c = coordinator();
    const cp10 = parsed(c.lines[1]!);
    const refusal = request({
      treeSize: '10', root: cp10.root.toString('base64'), refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
      refusedKeptJson: JSON.stringify(c.lines[0]), refusedOfferedJson: JSON.stringify(c.lines[1]), refusedProof: [Buffer.alloc(32)], refusedProofFrom: '4',
    });
    const before = actions(c).length;
    for (let i = 0; i < 5; i++) c.witness.received('site-a', refusal);
    expect(actions(c).slice(before)).toEqual(['audit.witness.claim']);
    expect(readCosignatures(c.dir)).toHaveLength(1);
    // Another site's identical refusal is its own.
    c.witness.received('site-b', refusal);
    expect(readCosignatures(c.dir)).toHaveLength(2);
    const big = { ...refusal, refusedKeptJson: JSON.stringify({ ...c.lines[0], note: 'x'.repeat(70_000) }) };
    expect(() => c.witness.received('site-a', big)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED' }));
    expect(() => c.witness.received('site-a', { ...refusal, refusedProof: Array.from({ length: 65 }, () => Buffer.alloc(32)) })).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED' }));
    expect(readCosignatures(c.dir)).toHaveLength(2);
    c.log.close();
  });

  it('keeps a refusal whose evidence is not its own (a site-signed checkpoint) as a claim', () => {
    const c = coordinator();
    const cp10 = parsed(c.lines[1]!);
    const bySite = signCheckpoint({ origin: cp10.origin, size: 10, root: Buffer.alloc(32, 3) }, kits.site);
    c.witness.received('site-a', request({
      treeSize: '10', root: Buffer.alloc(32, 3).toString('base64'), refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
      refusedKeptJson: JSON.stringify(c.lines[1]), refusedOfferedJson: JSON.stringify(bySite),
    }));
    expect(actions(c).at(-1)).toBe('audit.witness.claim');
    expect(disagreements(c)).toEqual([]);
    c.log.close();
  });

  it('records a verified refusal (audit.witness.refused, an incident) when both checkpoints are its own and inconsistent', () => {
    const c = coordinator();
    const cp4 = parsed(c.lines[0]!);
    // The coordinator rewrote record 6 and re-signed: a fork of what the site kept at 4.
    const fork = [...c.leaves, leafHash(Buffer.from('{"b":1}'))];
    fork[6] = leafHash(Buffer.from('{"rewritten":6}'));
    const forked = signCheckpoint({ origin: cp4.origin, size: 11, root: treeHash(fork) }, kits.coordinator);
    const sameSize = signCheckpoint({ origin: cp4.origin, size: 4, root: Buffer.alloc(32, 5) }, kits.coordinator);
    c.witness.received('site-a', request({
      treeSize: '11', root: treeHash(fork).toString('base64'), refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
      refusedKeptJson: JSON.stringify(c.lines[1]), refusedOfferedJson: JSON.stringify(forked), refusedProof: consistencyProof(fork, 10, 11), refusedProofFrom: '10',
    }));
    c.witness.received('site-b', request({
      treeSize: '4', root: Buffer.alloc(32, 5).toString('base64'), refusalCode: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
      refusedKeptJson: JSON.stringify(c.lines[0]), refusedOfferedJson: JSON.stringify(sameSize),
    }));
    expect(actions(c).slice(-2)).toEqual(['audit.witness.refused', 'audit.witness.refused']);
    const found = disagreements(c);
    // Incidents come in order of discovery time, then id: two refusals within one millisecond order by id. Compared by site.
    expect(found.map((f) => [f.details.site, f.details.treeSize, f.details.root]).sort((x, y) => String(x[0]).localeCompare(String(y[0])))).toEqual([
      ['site-a', 11, treeHash(fork).toString('hex')],
      ['site-b', 4, Buffer.alloc(32, 5).toString('hex')],
    ]);
    c.log.close();
  });
});

describe('a site whose witnessed state went back', () => {
  it('records audit.witness.site-rollback (once per reported size) and raises site-witness-rollback when a site that cosigned 10 reports keeping less', () => {
    const c = coordinator();
    c.witness.received('site-a', cosignRequest(parsed(c.lines[1]!)));
    const rollbacks = () => {
      c.log.checkpoint();
      return detectIncidents(join(c.dir, 'audit.jsonl'), { caPem: kits.coordinator.caPem }).filter((f) => f.rule === 'site-witness-rollback');
    };
    // Honest reconnects: what it cosigned, or more. Nothing recorded.
    c.witness.siteConnected('site-a', 10);
    c.witness.siteConnected('site-b', 0);
    expect(actions(c).filter((a) => a === 'audit.witness.site-rollback')).toEqual([]);
    expect(rollbacks()).toEqual([]);
    // A dataDir restored from a backup taken at size 4, reconnecting twice; then one reset to nothing.
    c.witness.siteConnected('site-a', 4);
    c.witness.siteConnected('site-a', 4);
    c.witness.siteConnected('site-a', 0);
    expect(actions(c).filter((a) => a === 'audit.witness.site-rollback')).toHaveLength(2);
    const found = rollbacks();
    expect(found.map((f) => [f.details, f.records.length])).toEqual([[{ site: 'site-a', reportedSize: 4, cosignedSize: 10 }, 2]]);
    // A restarted coordinator remembers what each site cosigned (cosignatures.jsonl), and still notices.
    const again = new CoordinatorWitness(c.log, kits.coordinator.caPem);
    again.siteConnected('site-a', 3);
    expect(actions(c).filter((a) => a === 'audit.witness.site-rollback')).toHaveLength(3);
    c.log.close();
  });
});
