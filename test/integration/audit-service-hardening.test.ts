/**
 * The AuditService and its client against a coordinator that misbehaves, over real mTLS on
 * 127.0.0.1: the real coordinator of a test consortium, and a malicious AuditService (a real
 * gRPC server with the coordinator's TLS identity, serving this module's own handlers over a
 * log the test rewrote, or with one handler replaced). Each defence is shown holding, and the
 * attack shown succeeding where the defence is not in the way (no kept checkpoint, no anchor).
 */
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proveInclusion, remoteCheckpoints, remoteRecords, remoteVerify } from '../../cli/commands/audit-remote.ts';
import { AuditLog } from '../../core/audit/audit-log.ts';
import { parseCheckpointLine } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { parseRecord, serializeRecord, type AuditRecord } from '../../core/audit/record.ts';
import { createLogger } from '../../core/logging.ts';
import { auditClient, registryClient, unary } from '../../core/rpc/clients.ts';
import { serverCredentials } from '../../core/tls/credentials.ts';
import { auditServiceHandlers, largestTreeSize, MAX_CHECKPOINT_PAGE } from '../../coordinator/server/audit-service.ts';
import type { AuditCheckpoint__Output } from '../../protos/gen/cohort/v1/AuditCheckpoint.ts';
import type { AuditServiceHandlers } from '../../protos/gen/cohort/v1/AuditService.ts';
import type { ListCheckpointsResponse__Output } from '../../protos/gen/cohort/v1/ListCheckpointsResponse.ts';
import { loadCohortProtos } from '../../protos/load.ts';
import { operatorIssued } from '../support/provision.ts';
import { refusal, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

let t: TestConsortium;
let auditDir: string;
const scratch: string[] = [];
const servers: grpc.Server[] = [];
const logs: AuditLog[] = [];

const at = () => ({ address: t.address });
const diskCheckpointLines = (): Buffer[] => readLineFile(join(auditDir, 'checkpoints.jsonl')).lines;

/** The line of a record with one detail added: a record the writer did not write. */
function forged(line: string): string {
  const { record } = parseRecord(Buffer.from(line, 'utf8')) as { record: AuditRecord };
  return serializeRecord({ ...record, details: { ...record.details, forged: 1 } }).toString('utf8');
}

/** A refused registry export: recorded as model.export.refused, which signs a checkpoint. */
async function checkpointNow(): Promise<void> {
  const c = registryClient(t.kit('alice'), t.address);
  const e = await refusal(unary((o, cb) => c.exportModelVersion({ ref: 'model-none', allowUnapproved: false }, o, cb)));
  c.close();
  expect(e.code).toBe('COHORT_E_REGISTRY_VERSION_NOT_FOUND');
}

function tempDir(name: string): string {
  const d = mkdtempSync(join(tmpdir(), `cohort-auditfix-${name}-`));
  scratch.push(d);
  return d;
}

/**
 * A malicious AuditService: a real gRPC server holding the coordinator's TLS certificate (so
 * the auditor's client accepts it as the coordinator), serving `audit` with the service's own
 * handlers (without the writer's anchor), any of them replaced by `override`.
 */
async function fakeService(audit: AuditLog, override: Partial<AuditServiceHandlers> = {}): Promise<string> {
  const creds = await serverCredentials(t.kit('coordinator'));
  const server = new grpc.Server();
  const handlers: AuditServiceHandlers = { ...auditServiceHandlers({ audit, guard: creds, log: createLogger('test', { level: 'silent' }) }), ...override } as AuditServiceHandlers;
  server.addService(loadCohortProtos().audit.cohort.v1.AuditService.service, handlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))));
  servers.push(server);
  return `127.0.0.1:${port}`;
}

/** A log the coordinator never wrote: `records` records, checkpointed once at the end, signed with `signer` (a certificate the consortium CA issued). */
function rewrittenLog(signer: { certPem: string; keyPem: string }, records: number, caPem: string): AuditLog {
  const log = AuditLog.open(tempDir('rewritten'), { ...signer, caPem });
  logs.push(log);
  for (let i = 0; i < records; i++) log.append({ actor: { name: 'coordinator', role: 'coordinator' }, action: 'coordinator.started', outcome: 'ok', details: { n: i } });
  log.checkpoint();
  return log;
}

/** A copy of the coordinator's audit files (its checkpoints cut to the first `checkpoints`), opened by a writer with the coordinator's own key. */
function copiedLog(checkpoints: number): AuditLog {
  const dir = tempDir('copy');
  copyFileSync(join(auditDir, 'audit.jsonl'), join(dir, 'audit.jsonl'));
  writeFileSync(join(dir, 'checkpoints.jsonl'), diskCheckpointLines().slice(0, checkpoints).map((l) => `${l.toString('utf8')}\n`).join(''));
  const k = t.kit('coordinator');
  const log = AuditLog.open(dir, { certPem: k.certPem, keyPem: k.keyPem, caPem: k.caPem });
  logs.push(log);
  return log;
}

/** The coordinator's checkpoints as a file the auditor kept. */
function keepCheckpoints(name: string): string {
  const file = join(tempDir('kept'), name);
  writeFileSync(file, readFileSync(join(auditDir, 'checkpoints.jsonl')));
  return file;
}

beforeAll(async () => {
  t = await startTestConsortium({
    name: 'auditfix-test',
    sites: ['site-a'],
    users: [
      { name: 'alice', role: 'data-scientist' },
      { name: 'aud', role: 'auditor' },
    ],
  });
  auditDir = join(t.dir, 'state', 'audit');
  await checkpointNow();
  await checkpointNow();
  await checkpointNow();
}, 120_000);

afterAll(async () => {
  for (const s of servers) s.forceShutdown();
  for (const l of logs) l.close();
  await t?.coordinator.stop();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
  if (t) rmSync(t.dir, { recursive: true, force: true });
});

describe('ListCheckpoints pages, GetCheckpoint serves one size', () => {
  it('ListCheckpoints gives a page from since_index, at most limit, and refuses a limit past the cap', async () => {
    const disk = diskCheckpointLines().map((l, i) => parseCheckpointLine(l, i));
    expect(disk.length).toBe(3);
    const c = auditClient(t.kit('aud'), t.address);
    const page = await unary<ListCheckpointsResponse__Output>((o, cb) => c.listCheckpoints({ sinceIndex: '1', limit: 1 }, o, cb));
    expect([page.firstIndex, page.nextIndex, page.total, page.checkpoints.map((x) => Number(x.treeSize))]).toEqual(['1', '2', '3', [disk[1]!.size]]);
    const rest = await unary<ListCheckpointsResponse__Output>((o, cb) => c.listCheckpoints({ sinceIndex: '2', limit: 0 }, o, cb));
    expect([rest.firstIndex, rest.nextIndex, rest.checkpoints.length]).toEqual(['2', '3', 1]);
    const over = await refusal(unary((o, cb) => c.listCheckpoints({ sinceIndex: '0', limit: MAX_CHECKPOINT_PAGE + 1 }, o, cb)));
    const past = await refusal(unary((o, cb) => c.listCheckpoints({ sinceIndex: '4', limit: 1 }, o, cb)));
    c.close();
    for (const e of [over, past]) expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_RANGE_INVALID', grpc.status.OUT_OF_RANGE]);
    // The client pages through all of them.
    expect((await remoteCheckpoints(t.kit('aud'), { ...at(), all: true })).map((x) => x.treeSize)).toEqual(disk.map((x) => x.size));
  });

  it('GetCheckpoint serves the checkpoint of one tree size, NOT_FOUND for a size never signed', async () => {
    const disk = diskCheckpointLines();
    const second = parseCheckpointLine(disk[1]!, 1);
    const c = auditClient(t.kit('aud'), t.address);
    const cp = await unary<AuditCheckpoint__Output>((o, cb) => c.getCheckpoint({ treeSize: String(second.size) }, o, cb));
    const none = await refusal(unary((o, cb) => c.getCheckpoint({ treeSize: '999999' }, o, cb)));
    c.close();
    expect(JSON.stringify({ note: cp.note, certificate: cp.certificate })).toBe(disk[1]!.toString('utf8'));
    expect([none.code, none.grpc]).toEqual(['COHORT_E_AUDIT_NO_CHECKPOINT', grpc.status.NOT_FOUND]);
  });

  it('the largest tree size of 200000 checkpoints is found by a loop; a spread into Math.max throws', () => {
    const sizes = Array.from({ length: 200_000 }, (_, i) => i + 1);
    expect(largestTreeSize(sizes)).toBe(200_000);
    expect(largestTreeSize([])).toBe(-1);
    expect(() => Math.max(...sizes)).toThrow(RangeError);
  });
});

describe('the service checks checkpoints.jsonl against the checkpoint its writer last signed', () => {
  it('refuses (LOG_DIVERGED) when the file is cut under the running coordinator; a service without the anchor serves the cut file', async () => {
    const file = join(auditDir, 'checkpoints.jsonl');
    const original = readFileSync(file);
    const lines = diskCheckpointLines();
    writeFileSync(file, lines.slice(0, 2).map((l) => `${l.toString('utf8')}\n`).join(''));
    try {
      const c = auditClient(t.kit('aud'), t.address);
      const e = await refusal(unary((o, cb) => c.getLatestCheckpoint({}, o, cb)));
      c.close();
      expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_LOG_DIVERGED', grpc.status.DATA_LOSS]);
    } finally {
      writeFileSync(file, original);
    }
    // Without the anchor: the same cut served as if complete.
    const address = await fakeService(copiedLog(2));
    const [latest] = await remoteCheckpoints(t.kit('aud'), { address });
    expect(latest!.treeSize).toBe(parseCheckpointLine(lines[1]!, 1).size);
    // Restored, the coordinator serves again.
    expect((await remoteCheckpoints(t.kit('aud'), at()))[0]!.treeSize).toBe(parseCheckpointLine(lines[2]!, 2).size);
  });
});

describe('the service reads the log incrementally', () => {
  /** Rewrites record `index` of audit.jsonl in place to bytes of the same length (one hex digit of its prev flipped); returns a restore. */
  function flipInPlace(index: number): () => void {
    const file = join(auditDir, 'audit.jsonl');
    const lines = readLineFile(file).lines;
    const line = lines[index]!.toString('utf8');
    const at = line.indexOf('"prev":"') + 8;
    const changed = `${line.slice(0, at)}${line[at] === '0' ? '1' : '0'}${line.slice(at + 1)}`;
    expect(changed.length).toBe(line.length);
    const offset = lines.slice(0, index).reduce((n, l) => n + l.length + 1, 0);
    const original = readFileSync(file);
    const bytes = Buffer.from(original);
    bytes.write(changed, offset, 'utf8');
    writeFileSync(file, bytes);
    return () => {
      const now = readFileSync(file);
      writeFileSync(file, Buffer.concat([original, now.subarray(original.length)]));
    };
  }

  it('serves records it already read from its cache (a same-length rewrite of an earlier one is not re-read, as documented); a change to the last one read is LOG_DIVERGED', async () => {
    const before = await remoteRecords(t.kit('aud'), { ...at(), since: 0, limit: 3 });
    let restore = flipInPlace(1);
    try {
      // Main re-read the whole file on each call and refused this (LOG_DIVERGED); the cache serves the bytes the writer wrote.
      const after = await remoteRecords(t.kit('aud'), { ...at(), since: 0, limit: 3 });
      expect(after.records).toEqual(before.records);
    } finally {
      restore();
    }
    // The last record read (the audit.read of the call above) changed in place: the tripwire sees it.
    const last = readLineFile(join(auditDir, 'audit.jsonl')).lines.length - 1;
    restore = flipInPlace(last);
    try {
      const e = await refusal(remoteRecords(t.kit('aud'), { ...at(), since: 0, limit: 1 }));
      expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_LOG_DIVERGED', grpc.status.DATA_LOSS]);
    } finally {
      restore();
    }
    // Restored, the cache is rebuilt from the whole file and the log verifies.
    expect((await remoteVerify(t.kit('aud'), at())).trust).toBe('ca');
  });
});

describe('verify --kit against a malicious AuditService', () => {
  it('a rewritten log re-signed with a coordinator key the CA issued passes without a kept checkpoint and fails with one (CHECKPOINT_WITHHELD)', async () => {
    const kept = keepCheckpoints('checkpoints.jsonl');
    const keptSize = parseCheckpointLine(diskCheckpointLines()[2]!, 2).size;
    const issued = await operatorIssued(join(t.dir, 'kits'), 'coordinator', tempDir('issue'));
    const address = await fakeService(rewrittenLog(issued, keptSize + 5, t.kit('aud').caPem));
    const passes = await remoteVerify(t.kit('aud'), { address });
    // (The fake service records its own reads, past the checkpoint: records >= the tree size.)
    expect([passes.trust, passes.treeSize, passes.signer?.role, passes.records >= keptSize + 5]).toEqual(['ca', keptSize + 5, 'coordinator', true]);
    const e = await refusal(remoteVerify(t.kit('aud'), { address, checkpoint: kept }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_CHECKPOINT_WITHHELD', { checkpoint: 0, treeSize: parseCheckpointLine(diskCheckpointLines()[0]!, 0).size }]);
  });

  it('--save keeps the union: a coordinator serving fewer checkpoints than kept is refused and the kept file stays whole', async () => {
    const saveDir = tempDir('save');
    const kept = join(saveDir, 'checkpoints.jsonl');
    writeFileSync(kept, readFileSync(join(auditDir, 'checkpoints.jsonl')));
    const before = readFileSync(kept);
    const address = await fakeService(copiedLog(1));
    const e = await refusal(remoteVerify(t.kit('aud'), { address, checkpoint: kept, save: saveDir }));
    expect([e.code, e.grpc]).toEqual(['COHORT_E_AUDIT_CHECKPOINT_WITHHELD', grpc.status.DATA_LOSS]);
    expect(readFileSync(kept).equals(before)).toBe(true);
    // Without a kept file the shrunk set verifies (one checkpoint covers the records it covers), and --save writes what was served.
    const other = tempDir('save-unkept');
    const r = await remoteVerify(t.kit('aud'), { address, save: other });
    expect([r.trust, r.checkpoints]).toEqual(['ca', 1]);
    expect(readLineFile(join(other, 'checkpoints.jsonl')).lines.length).toBe(1);
    // From the honest coordinator, --save writes served and kept: every kept line is in the saved file.
    const honest = tempDir('save-honest');
    const firstOnly = join(honest, 'kept.jsonl');
    writeFileSync(firstOnly, `${diskCheckpointLines()[0]!.toString('utf8')}\n`);
    await remoteVerify(t.kit('aud'), { ...at(), checkpoint: firstOnly, save: honest });
    const saved = readLineFile(join(honest, 'checkpoints.jsonl')).lines.map((l) => l.toString('utf8'));
    expect(saved).toEqual(diskCheckpointLines().map((l) => l.toString('utf8')));
  });

  it('a kept checkpoint file whose last line has no newline is LOG_TORN, not ignored', async () => {
    const file = join(tempDir('torn'), 'checkpoints.jsonl');
    writeFileSync(file, readFileSync(join(auditDir, 'checkpoints.jsonl')).subarray(0, -1));
    const e = await refusal(remoteVerify(t.kit('aud'), { ...at(), checkpoint: file }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_LOG_TORN', expect.objectContaining({ checkpoint: 2 })]);
  });

  it('refuses pages whose positions do not follow (ANSWER_INVALID): a next index past the page, more records than stated; a tree size that grows is not followed', async () => {
    const log = copiedLog(3);
    const honest = auditServiceHandlers({ audit: log, guard: await serverCredentials(t.kit('coordinator')), log: createLogger('test', { level: 'silent' }) });
    const skipping = await fakeService(log, {
      ListRecords: (call, cb) => honest.ListRecords(call, (err, res) => cb(err, res && { ...res, nextIndex: String(Number(res.nextIndex) + 1) })),
    });
    const e = await refusal(remoteVerify(t.kit('aud'), { address: skipping }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_ANSWER_INVALID', { asked: 0, firstIndex: 0 }]);
    let pages = 0;
    let stated: number | undefined;
    const growing = await fakeService(log, {
      // Pages of 2; each page after the first claims a tree size larger by 1000 than the one before.
      ListRecords: (call, cb) => {
        const n = pages++;
        call.request.limit = Math.min(2, call.request.limit || 2);
        honest.ListRecords(call, (err, res) => {
          stated ??= Number(res!.treeSize);
          cb(err, res && { ...res, treeSize: String(stated + 1000 * n) });
        });
      },
    });
    // The size is fixed by the first page: exactly that many records are fetched, in ceil(size / 2) pages.
    const r = await remoteVerify(t.kit('aud'), { address: growing });
    expect([r.fetched.records, pages]).toEqual([stated, Math.ceil(stated! / 2)]);
    const overfull = await fakeService(log, {
      // A page with one record more than the first page stated the log has.
      ListRecords: (call, cb) => honest.ListRecords(call, (err, res) => cb(err, res && { ...res, treeSize: String(Number(res.treeSize) - 1) })),
    });
    const over = await refusal(remoteVerify(t.kit('aud'), { address: overfull }));
    expect(over.code).toBe('COHORT_E_AUDIT_ANSWER_INVALID');
  });
});

describe('records, checkpoint and prove check what they claim', () => {
  it('records checks the chain within its page and says verified: false; a changed line in the page is RECORD_ALTERED', async () => {
    const page = await remoteRecords(t.kit('aud'), { ...at(), since: 0, limit: 3 });
    expect([page.verified, page.checked, page.records.map((r) => r.index)]).toEqual([false, 'chain-within-page', [0, 1, 2]]);
    const log = copiedLog(3);
    const honest = auditServiceHandlers({ audit: log, guard: await serverCredentials(t.kit('coordinator')), log: createLogger('test', { level: 'silent' }) });
    const address = await fakeService(log, {
      ListRecords: (call, cb) => honest.ListRecords(call, (err, res) => cb(err, res && { ...res, lines: res.lines!.map((l, i) => (i === 1 ? forged(l) : l)) })),
    });
    const e = await refusal(remoteRecords(t.kit('aud'), { address, since: 0, limit: 3 }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_RECORD_ALTERED', { index: 2 }]);
  });

  it('checkpoint refuses a checkpoint signed by a participant other than the coordinator (CHECKPOINT_SIGNER)', async () => {
    const site = t.kit('site-a');
    const address = await fakeService(rewrittenLog({ certPem: site.certPem, keyPem: site.keyPem }, 3, site.caPem));
    const e = await refusal(remoteCheckpoints(t.kit('aud'), { address }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_CHECKPOINT_SIGNER', { checkpoint: 0, role: 'site' }]);
  });

  it('prove refuses a served checkpoint whose root differs from one kept of the same size (a fork, CHECKPOINT_MISMATCH); without the kept file the proof verifies', async () => {
    const kept = keepCheckpoints('fork.jsonl');
    const size = parseCheckpointLine(diskCheckpointLines()[0]!, 0).size;
    const issued = await operatorIssued(join(t.dir, 'kits'), 'coordinator', tempDir('issue-fork'));
    const address = await fakeService(rewrittenLog(issued, size, t.kit('aud').caPem));
    const ok = await proveInclusion(t.kit('aud'), { address, index: 0, size });
    expect([ok.verified, ok.treeSize]).toEqual([true, size]);
    const e = await refusal(proveInclusion(t.kit('aud'), { address, index: 0, size, checkpoint: kept }));
    expect([e.code, e.details]).toEqual(['COHORT_E_AUDIT_CHECKPOINT_MISMATCH', { checkpoint: 1, treeSize: size }]);
  });
});
