/**
 * The AuditService over real mTLS on 127.0.0.1 with a real coordinator and real kits: an
 * auditor fetches the coordinator's records, checkpoints and RFC 9162 proofs and verifies
 * them here with the existing verifier and merkle.ts; a data scientist is refused
 * PERMISSION_DENIED and the refusal is in the log; every allowed read is in the log too. A
 * served line that was changed fails its proof against the signed root; a file changed under
 * the running coordinator is reported (COHORT_E_AUDIT_LOG_DIVERGED), not proved over.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuditCommands, auditVerify } from '../../cli/commands/audit.ts';
import { proveConsistency, proveInclusion, remoteCheckpoints, remoteRecords, remoteVerify } from '../../cli/commands/audit-remote.ts';
import { parseCheckpointLine, type ParsedCheckpoint } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { inclusionProof, leafHash, verifyConsistency, verifyInclusion } from '../../core/audit/merkle.ts';
import { parseRecord, type AuditRecord } from '../../core/audit/record.ts';
import { auditClient, registryClient, unary } from '../../core/rpc/clients.ts';
import type { InclusionProof__Output } from '../../protos/gen/cohort/v1/InclusionProof.ts';
import type { ConsistencyProof__Output } from '../../protos/gen/cohort/v1/ConsistencyProof.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { runCli } from '../cli/commands/run-cli.ts';
import { refusal, registerSubmitAndRefuse, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

const SPEC = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));
const PERMISSION = 'COHORT_E_RUN_PERMISSION_DENIED';

let t: TestConsortium;
let auditDir: string;

const diskLines = (): Buffer[] => readLineFile(join(auditDir, 'audit.jsonl')).lines;
const diskRecords = (): AuditRecord[] => diskLines().map((l) => (parseRecord(l) as { record: AuditRecord }).record);
const diskCheckpoints = (): ParsedCheckpoint[] => readLineFile(join(auditDir, 'checkpoints.jsonl')).lines.map((l, i) => parseCheckpointLine(l, i));
const at = () => ({ address: t.address });

/** A registry refusal (export of a reference that does not exist): recorded as model.export.refused, which signs a checkpoint. */
async function checkpointNow(): Promise<void> {
  const c = registryClient(t.kit('alice'), t.address);
  const e = await refusal(unary((o, cb) => c.exportModelVersion({ ref: 'model-none', allowUnapproved: false }, o, cb)));
  c.close();
  expect(e.code).toBe('COHORT_E_REGISTRY_VERSION_NOT_FOUND');
}

beforeAll(async () => {
  t = await startTestConsortium({
    name: 'auditsvc-test',
    sites: ['site-a'],
    users: [
      { name: 'alice', role: 'data-scientist' },
      { name: 'aud', role: 'auditor' },
    ],
  });
  auditDir = join(t.dir, 'state', 'audit');
  await registerSubmitAndRefuse(t, { site: 'site-a', user: 'alice', refused: 'site-a', spec: SPEC });
  await checkpointNow();
  await checkpointNow();
}, 120_000);

afterAll(async () => {
  await t?.coordinator.stop();
  if (t) rmSync(t.dir, { recursive: true, force: true });
});

describe('AuditService: the auditor reads and verifies the coordinator\'s log remotely', () => {
  it('fetches every record and checkpoint, byte for byte what the coordinator wrote, and verifies them here under the kit\'s CA', async () => {
    const save = join(t.dir, 'fetched');
    const r = await remoteVerify(t.kit('aud'), { ...at(), save });
    const cps = diskCheckpoints();
    expect(cps.length).toBe(2);
    const latest = cps.at(-1)!;
    expect(r).toMatchObject({ trust: 'ca', checkpoints: 2, treeSize: latest.size, root: latest.root.toString('base64'), signer: { name: 'coordinator', role: 'coordinator', chainedToCa: true }, fetched: { checkpoints: 2 } });
    // The served lines are the first lines of the file on disk, exactly (the reads since are recorded after them).
    const fetched = readFileSync(join(save, 'audit.jsonl'));
    expect(readFileSync(join(auditDir, 'audit.jsonl')).subarray(0, fetched.length).equals(fetched)).toBe(true);
    expect(r.records).toBe(r.fetched.records);
    expect(readFileSync(join(save, 'checkpoints.jsonl'), 'utf8')).toBe(readFileSync(join(auditDir, 'checkpoints.jsonl'), 'utf8'));
    // The offline verifier agrees on the saved copy.
    const offline = auditVerify(save, { ca: join(t.dir, 'kits', 'aud', 'ca.crt') });
    expect([offline.records, offline.treeSize, offline.root, offline.trust]).toEqual([r.records, r.treeSize, r.root, 'ca']);
  });

  it('pages records from an index on', async () => {
    const page = await remoteRecords(t.kit('aud'), { ...at(), since: 2, limit: 3 });
    expect([page.firstIndex, page.nextIndex, page.records.map((x) => x.index)]).toEqual([2, 5, [2, 3, 4]]);
    expect(page.records).toEqual(diskRecords().slice(2, 5));
  });

  it('returns the latest checkpoint and all of them, signatures checked', async () => {
    const [latest] = await remoteCheckpoints(t.kit('aud'), at());
    const all = await remoteCheckpoints(t.kit('aud'), { ...at(), all: true });
    const disk = diskCheckpoints();
    expect(all.map((c) => [c.treeSize, c.root])).toEqual(disk.map((c) => [c.size, c.root.toString('base64')]));
    expect(latest).toEqual(all.at(-1));
  });

  it('proves every record of the latest checkpoint included, checked with merkle.ts against the root signed on disk', async () => {
    const latest = diskCheckpoints().at(-1)!;
    const lines = diskLines();
    for (let index = 0; index < latest.size; index++) {
      const p = await proveInclusion(t.kit('aud'), { ...at(), index });
      expect([p.treeSize, p.root, p.record]).toEqual([latest.size, latest.root.toString('base64'), (parseRecord(lines[index]!) as { record: AuditRecord }).record]);
      // Independently of the client: the served proof, the line on disk, the root signed on disk.
      verifyInclusion(index, latest.size, leafHash(lines[index]!), p.proof.map((b) => Buffer.from(b, 'base64')), latest.root);
    }
  });

  it('a changed line fails its proof against the signed root', async () => {
    const latest = diskCheckpoints().at(-1)!;
    const c = auditClient(t.kit('aud'), t.address);
    const p = await unary<InclusionProof__Output>((o, cb) => c.getInclusionProof({ index: '1', treeSize: String(latest.size) }, o, cb));
    c.close();
    verifyInclusion(1, latest.size, leafHash(Buffer.from(p.line, 'utf8')), p.proof, latest.root);
    const forged = Buffer.from(p.line.replace('"outcome":"ok"', '"outcome":"refused"'), 'utf8');
    expect(forged.toString('utf8')).not.toBe(p.line);
    expect(() => verifyInclusion(1, latest.size, leafHash(forged), p.proof, latest.root)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_PROOF_INVALID' }));
  });

  it('proves the first checkpoint consistent with the second, and a forged second root fails', async () => {
    const [first, second] = diskCheckpoints();
    const r = await proveConsistency(t.kit('aud'), { ...at(), size1: first!.size, size2: second!.size });
    expect([r.size1, r.size2, r.root1, r.root2]).toEqual([first!.size, second!.size, first!.root.toString('base64'), second!.root.toString('base64')]);
    const c = auditClient(t.kit('aud'), t.address);
    const p = await unary<ConsistencyProof__Output>((o, cb) => c.getConsistencyProof({ size1: String(first!.size), size2: String(second!.size) }, o, cb));
    c.close();
    verifyConsistency(first!.size, second!.size, p.proof, first!.root, second!.root);
    const forged = Buffer.from(second!.root);
    forged[0]! ^= 1;
    expect(() => verifyConsistency(first!.size, second!.size, p.proof, first!.root, forged)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_PROOF_INVALID' }));
  });

  it('refuses sizes and indexes the log does not have (OUT_OF_RANGE)', async () => {
    const latest = diskCheckpoints().at(-1)!;
    const c = auditClient(t.kit('aud'), t.address);
    const past = await refusal(unary((o, cb) => c.getInclusionProof({ index: String(latest.size), treeSize: String(latest.size) }, o, cb)));
    const order = await refusal(unary((o, cb) => c.getConsistencyProof({ size1: String(latest.size), size2: '1' }, o, cb)));
    const beyond = await refusal(unary((o, cb) => c.getConsistencyProof({ size1: '1', size2: '1000000' }, o, cb)));
    c.close();
    for (const e of [past, order, beyond]) expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_RANGE_INVALID', grpc.status.OUT_OF_RANGE]);
  });

  it('records every read: actor, rpc and what was read', async () => {
    const before = diskLines().length;
    await remoteRecords(t.kit('aud'), { ...at(), since: 1, limit: 2 });
    const read = diskRecords().slice(before);
    expect(read.map((r) => [r.actor, r.action, r.target.rpc, r.outcome, r.details])).toEqual([
      [{ name: 'aud', role: 'auditor' }, 'audit.read', '/cohort.v1.AuditService/ListRecords', 'ok', { sinceIndex: 1, records: 2, treeSize: before }],
    ]);
    expect(read[0]!.target.certificate).toMatch(/^[0-9a-f]+$/);
  });

  it('refuses a data scientist PERMISSION_DENIED on every AuditService RPC, and records each refusal', async () => {
    const c = auditClient(t.kit('alice'), t.address);
    const calls: Record<string, () => Promise<unknown>> = {
      ListRecords: () => unary((o, cb) => c.listRecords({ sinceIndex: '0', limit: 0 }, o, cb)),
      GetLatestCheckpoint: () => unary((o, cb) => c.getLatestCheckpoint({}, o, cb)),
      ListCheckpoints: () => unary((o, cb) => c.listCheckpoints({}, o, cb)),
      GetInclusionProof: () => unary((o, cb) => c.getInclusionProof({ index: '0', treeSize: '0' }, o, cb)),
      GetConsistencyProof: () => unary((o, cb) => c.getConsistencyProof({ size1: '0', size2: '0' }, o, cb)),
    };
    for (const [rpc, call] of Object.entries(calls)) {
      const before = diskLines().length;
      const e = await refusal(call());
      expect([e.code, e.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
      const added = diskRecords().slice(before);
      expect(added.map((r) => [r.actor, r.action, r.target.rpc, r.outcome, r.details])).toEqual([
        [{ name: 'alice', role: 'data-scientist' }, 'rpc.refused', `/cohort.v1.AuditService/${rpc}`, 'refused', { code: PERMISSION }],
      ]);
    }
    c.close();
  });

  it('cohort audit verify | records | checkpoint | prove --kit, and the same commands refused with a data scientist\'s kit', async () => {
    const kitArgs = (who: string) => ['--kit', join(t.dir, 'kits', who), '--address', t.address, '--json'];
    const keep = join(t.dir, 'kept-checkpoints.jsonl');
    writeFileSync(keep, readFileSync(join(auditDir, 'checkpoints.jsonl')));
    const verify = await runCli(registerAuditCommands, ['audit', 'verify', '--checkpoint', keep, ...kitArgs('aud')]);
    expect([verify.exitCode, verify.err]).toEqual([0, '']);
    expect(JSON.parse(verify.out)).toMatchObject({ trust: 'ca', checkpoints: 4, treeSize: diskCheckpoints().at(-1)!.size });
    const records = await runCli(registerAuditCommands, ['audit', 'records', '--since', '0', '--limit', '2', ...kitArgs('aud')]);
    expect(JSON.parse(records.out)).toMatchObject({ firstIndex: 0, nextIndex: 2, records: diskRecords().slice(0, 2) });
    const cp = await runCli(registerAuditCommands, ['audit', 'checkpoint', '--all', ...kitArgs('aud')]);
    expect((JSON.parse(cp.out) as { checkpoints: unknown[] }).checkpoints).toHaveLength(2);
    const prove = await runCli(registerAuditCommands, ['audit', 'prove', '0', ...kitArgs('aud')]);
    expect(JSON.parse(prove.out)).toMatchObject({ kind: 'inclusion', index: 0, verified: true, record: { action: diskRecords()[0]!.action } });
    const [first] = diskCheckpoints();
    const cons = await runCli(registerAuditCommands, ['audit', 'prove', '--from', String(first!.size), ...kitArgs('aud')]);
    expect(JSON.parse(cons.out)).toMatchObject({ kind: 'consistency', size1: first!.size, size2: diskCheckpoints().at(-1)!.size, verified: true });
    const refused = await runCli(registerAuditCommands, ['audit', 'verify', ...kitArgs('alice')]);
    expect(refused.exitCode).toBe(1);
    expect((JSON.parse(refused.err) as { error: { code: string } }).error.code).toBe(PERMISSION);
    const both = await runCli(registerAuditCommands, ['audit', 'verify', auditDir, ...kitArgs('aud')]);
    expect([both.exitCode, (JSON.parse(both.err) as { error: { code: string } }).error.code]).toEqual([2, 'COHORT_E_GENERAL_USAGE']);
  });

  // Last: it changes the file under the coordinator (and puts it back).
  it('refuses to serve a log changed on disk under the running coordinator; without that check the proof over it still fails at the auditor', async () => {
    const file = join(auditDir, 'audit.jsonl');
    const original = readFileSync(file);
    const lines = diskLines();
    const latest = diskCheckpoints().at(-1)!;
    const changed = Buffer.from(lines[1]!.toString('utf8').replace('"outcome":"ok"', '"outcome":"failed"'), 'utf8');
    expect(changed.equals(lines[1]!)).toBe(false);
    const tampered = Buffer.concat(lines.map((l, i) => Buffer.concat([i === 1 ? changed : l, Buffer.from('\n')])));
    writeFileSync(file, tampered);
    try {
      const c = auditClient(t.kit('aud'), t.address);
      const e = await refusal(unary((o, cb) => c.getInclusionProof({ index: '1', treeSize: '0' }, o, cb)));
      c.close();
      expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_LOG_DIVERGED', grpc.status.DATA_LOSS]);
      // Without the check, a proof computed over the changed file (what the service would serve) fails against the signed root.
      const leaves = diskLines().map((l) => leafHash(l));
      const proof = inclusionProof(leaves, 1, latest.size);
      expect(() => verifyInclusion(1, latest.size, leaves[1]!, proof, latest.root)).toThrow(expect.objectContaining({ code: 'COHORT_E_AUDIT_PROOF_INVALID' }));
    } finally {
      // Line 1 back as it was, keeping what was appended meanwhile.
      const now = readFileSync(file);
      writeFileSync(file, Buffer.concat([original, now.subarray(tampered.length)]));
    }
    // The failed read is itself recorded, with its code, and the restored log verifies again.
    expect(diskRecords().at(-1)).toMatchObject({ actor: { name: 'aud', role: 'auditor' }, action: 'audit.read', target: { rpc: '/cohort.v1.AuditService/GetInclusionProof' }, outcome: 'failed', details: { code: 'COHORT_E_AUDIT_LOG_DIVERGED' } });
    expect((await remoteVerify(t.kit('aud'), at())).trust).toBe('ca');
  });
});
