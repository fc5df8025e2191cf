/**
 * Witnessing (core/audit/witness.ts, site-agent/site-audit.ts), with real kits and logs
 * written by the real writer: a site keeps and cosigns a checkpoint that extends the one it
 * kept, and refuses, with its code and evidence kept, a fork, a rollback, a same-size
 * rewrite, a forged or foreign signature and a vanished checkpoint. Each attack is also shown
 * to pass where the check is missing (a site with nothing kept, or the log's own files alone).
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpointLine, signCheckpoint, type CheckpointLine, type ParsedCheckpoint } from '../../../core/audit/checkpoint.ts';
import { readLineFile } from '../../../core/audit/lines.ts';
import { consistencyProof, leafHash, treeHash } from '../../../core/audit/merkle.ts';
import { cosign, verifyCosignature, witnessCheckpoint, type OfferedCheckpoint } from '../../../core/audit/witness.ts';
import { verifyAuditLog } from '../../../core/audit/verify.ts';
import { SiteAudit } from '../../../site-agent/site-audit.ts';
import { auditKits, writeLog, type AuditKits } from './fixture.ts';

let kits: AuditKits;
let n = 0;
const fresh = (): string => mkdtempSync(join(kits.dir, `w${n++}-`));
const trust = (): { caPem: string; consortium: string } => ({ caPem: kits.coordinator.caPem, consortium: 'audit-test' });

/** A real log of `count` records with checkpoints at `at`: its leaves and checkpoint lines. */
function log(count: number, at: number[]): { leaves: Buffer[]; lines: CheckpointLine[]; parsed: ParsedCheckpoint[] } {
  const dir = fresh();
  const files = writeLog(dir, kits.coordinator, count, at);
  const leaves = readLineFile(files.logFile).lines.map((l) => leafHash(l));
  const raw = readLineFile(files.checkpointFile).lines;
  return { leaves, lines: raw.map((l) => JSON.parse(l.toString('utf8')) as CheckpointLine), parsed: raw.map((l, i) => parseCheckpointLine(l, i)) };
}

const offer = (line: CheckpointLine, proof: Buffer[], proofFrom: number): OfferedCheckpoint => ({ checkpointJson: JSON.stringify(line), proof, proofFrom });

beforeAll(async () => {
  kits = await auditKits();
}, 120_000);

afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

describe('witnessCheckpoint', () => {
  it('accepts the first checkpoint on its signature, the same one again, and an extension with its consistency proof', () => {
    const { leaves, lines, parsed } = log(10, [4, 10]);
    expect(witnessCheckpoint(undefined, offer(lines[0]!, [], 0), trust())).toMatchObject({ kind: 'advanced', checkpoint: { size: 4 } });
    expect(witnessCheckpoint(parsed[0], offer(lines[0]!, [], 4), trust())).toMatchObject({ kind: 'same' });
    expect(witnessCheckpoint(parsed[0], offer(lines[1]!, consistencyProof(leaves, 4, 10), 4), trust())).toMatchObject({ kind: 'advanced', checkpoint: { size: 10 } });
    expect(witnessCheckpoint(undefined, { checkpointJson: '', proof: [], proofFrom: 0 }, trust())).toEqual({ kind: 'none' });
  });

  it('refuses a fork (COHORT_E_AUDIT_WITNESS_INCONSISTENT); a site that kept nothing accepts it', () => {
    const a = log(10, [4, 10]);
    // Another history, re-signed by the coordinator: record 1 changed, two records added.
    const b = [...a.leaves, leafHash(Buffer.from('{"x":1}')), leafHash(Buffer.from('{"x":2}'))];
    b[1] = leafHash(Buffer.from('{"rewritten":true}'));
    const forked = offer(signCheckpoint({ origin: a.parsed[0]!.origin, size: 12, root: treeHash(b) }, kits.coordinator), consistencyProof(b, 4, 12), 4);
    expect(() => witnessCheckpoint(a.parsed[0], forked, trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' }));
    // Without a kept checkpoint there is nothing to be consistent with: the fork passes.
    expect(witnessCheckpoint(undefined, forked, trust())).toMatchObject({ kind: 'advanced' });
  });

  it('refuses a re-signed rewrite of the same size, a smaller tree, a vanished checkpoint and a proof from another size', () => {
    const { leaves, lines, parsed } = log(10, [4, 10]);
    const kept = parsed[1]!;
    const rewritten = [...leaves];
    rewritten[2] = leafHash(Buffer.from('{"rewritten":true}'));
    const resigned = signCheckpoint({ origin: kept.origin, size: 10, root: treeHash(rewritten) }, kits.coordinator);
    expect(() => witnessCheckpoint(kept, offer(resigned, [], 10), trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' }));
    expect(() => witnessCheckpoint(kept, offer(lines[0]!, [], 10), trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT', details: { keptSize: 10, offeredSize: 4 } }));
    expect(() => witnessCheckpoint(kept, { checkpointJson: '', proof: [], proofFrom: 0 }, trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' }));
    expect(() => witnessCheckpoint(parsed[0], offer(lines[1]!, consistencyProof(leaves, 3, 10), 3), trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_OUT_OF_SYNC' }));
  });

  it('refuses a checkpoint signed by a site, by another CA\'s coordinator, or with a broken signature (COHORT_E_AUDIT_WITNESS_SIGNATURE)', () => {
    const { parsed } = log(4, [4]);
    const cp = parsed[0]!;
    const bySite = signCheckpoint({ origin: 'cohort/audit-test/site/site-a/audit', size: 4, root: cp.root }, kits.site);
    const byImpostor = signCheckpoint({ origin: cp.origin, size: 4, root: cp.root }, kits.impostor);
    const broken = { ...signCheckpoint({ origin: cp.origin, size: 4, root: cp.root }, kits.coordinator) };
    const tampered = { note: broken.note.replace(/\n4\n/, '\n5\n'), certificate: broken.certificate };
    for (const line of [bySite, byImpostor, tampered]) {
      expect(() => witnessCheckpoint(undefined, offer(line, [], 0), trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
    }
    expect(() => witnessCheckpoint(undefined, { checkpointJson: '{"note":', proof: [], proofFrom: 0 }, trust())).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
    // Another consortium name under the same CA material is refused too.
    expect(() => witnessCheckpoint(undefined, offer(signCheckpoint({ origin: cp.origin, size: 4, root: cp.root }, kits.coordinator), [], 0), { ...trust(), consortium: 'other' })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }),
    );
  });
});

describe('cosignatures', () => {
  it('verify under the CA for the site that made them, and not for another site, another CA or a changed root', () => {
    const { parsed } = log(4, [4]);
    const c = cosign(parsed[0]!, kits.site, new Date(Date.UTC(2025, 0, 1)));
    expect(c).toMatchObject({ witness: 'cohort/audit-test/site/site-a/audit', treeSize: 4, time: '2025-01-01T00:00:00.000Z' });
    expect(() => verifyCosignature(c, kits.coordinator.caPem, 'site-a')).not.toThrow();
    expect(() => verifyCosignature(c, kits.coordinator.caPem, 'site-b')).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
    expect(() => verifyCosignature(c, kits.impostor.caPem, 'site-a')).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
    expect(() => verifyCosignature({ ...c, root: Buffer.alloc(32).toString('base64') }, kits.coordinator.caPem, 'site-a')).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
    // A coordinator's own signature is no cosignature of a site.
    expect(() => verifyCosignature(cosign(parsed[0]!, kits.coordinator), kits.coordinator.caPem, 'coordinator')).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' }));
  });
});

describe('the site\'s audit log', () => {
  it('keeps what it cosigned across a restart, refuses a rewrite with evidence, and verifies as the site\'s log', () => {
    const dataDir = fresh();
    const { leaves, lines } = log(10, [4, 10]);
    let audit = SiteAudit.open(dataDir, kits.site);
    expect(audit.witnessedSize).toBe(0);
    expect(audit.witness(offer(lines[0]!, [], 0), { runId: 'run-1', round: 1, taskId: 't1' })).toMatchObject({ kind: 'cosigned', cosignature: { treeSize: 4 } });
    audit.decision('run-1', true, '', 'alice');
    audit.datasetRead('run-1', 'heart', ['age', 'disease'], 120, 3);
    audit.close();
    // A crash while keeping the next checkpoint: its line torn. It was never cosigned and is cut off on open.
    appendFileSync(join(dataDir, 'audit', 'witnessed.jsonl'), '{"note":"cut');
    audit = SiteAudit.open(dataDir, kits.site);
    expect(audit.witnessedSize).toBe(4);
    expect(readLineFile(join(dataDir, 'audit', 'witnessed.jsonl')).torn).toBeNull();
    const rewritten = [...leaves];
    rewritten[1] = leafHash(Buffer.from('{"rewritten":true}'));
    const resigned = signCheckpoint({ origin: 'cohort/audit-test/coordinator/coordinator/audit', size: 10, root: treeHash(rewritten) }, kits.coordinator);
    const r = audit.witness(offer(resigned, consistencyProof(rewritten, 4, 10), 4), { runId: 'run-2', round: 0, taskId: 't2' });
    expect(r).toMatchObject({ kind: 'refused', treeSize: 10, error: { code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT' } });
    expect(audit.witnessedSize).toBe(4);
    // The genuine extension still goes through.
    expect(audit.witness(offer(lines[1]!, consistencyProof(leaves, 4, 10), 4), { runId: 'run-2', round: 0, taskId: 't3' })).toMatchObject({ kind: 'cosigned' });
    audit.close();
    const evidence = JSON.parse(readFileSync((r as { evidence: string }).evidence, 'utf8')) as { kept: CheckpointLine; offered: string; proofFrom: number };
    expect(evidence.kept).toEqual(lines[0]);
    expect(evidence.offered).toBe(JSON.stringify(resigned));
    expect(evidence.proofFrom).toBe(4);
    const dir = join(dataDir, 'audit');
    const records = readLineFile(join(dir, 'audit.jsonl')).lines.map((l) => JSON.parse(l.toString('utf8')) as { action: string; details: Record<string, unknown> });
    expect(records.map((x) => x.action)).toEqual(['site.start', 'witness.cosign', 'run.accept', 'dataset.read', 'site.stop', 'site.start', 'witness.refused', 'witness.cosign', 'site.stop']);
    expect(records[3]!.details).toEqual({ columns: ['age', 'disease'], rows: 120, droppedRows: 3 });
    expect(records[6]!.details).toMatchObject({ code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT', keptSize: 4, offeredSize: 10 });
    const summary = verifyAuditLog({ logFile: join(dir, 'audit.jsonl'), checkpointFiles: [join(dir, 'checkpoints.jsonl')], caPem: kits.coordinator.caPem, role: 'site' }).summary;
    expect(summary).toMatchObject({ records: 9, uncheckpointed: 0, trust: 'ca', signer: { name: 'site-a', role: 'site', chainedToCa: true } });
    // witnessed.jsonl is a checkpoints file of the coordinator's log.
    expect(readLineFile(join(dir, 'witnessed.jsonl')).lines.map((l) => JSON.parse(l.toString('utf8')) as CheckpointLine)).toEqual([lines[0], lines[1]]);
    expect(existsSync(join(dir, 'witness-evidence'))).toBe(true);
  });
});
