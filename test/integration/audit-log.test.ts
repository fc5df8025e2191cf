/**
 * The coordinator's audit log, end to end: a real in-process coordinator over mTLS takes a
 * little activity (a site registers, a data scientist submits a run, a site calls an admin
 * RPC and is refused), stops, and `cohort audit verify`'s code checks what it wrote. Then
 * an event committed to SQLite but never appended (a crash between the two writes) is
 * appended by the next start, and a round close is followed by a signed checkpoint.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify } from '../../cli/commands/audit.ts';
import { startCoordinator } from '../../coordinator/coordinator.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { linesOf } from '../core/audit/fixture.ts';
import { createLogger } from '../../core/logging.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { refusal, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';
import { rmSync } from 'node:fs';
import { appendIo } from '../../core/audit/lines.ts';
import { caught } from '../support/caught.ts';

const SPEC = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));

interface Line {
  index: number;
  actor: { name: string; role: string };
  action: string;
  target: Record<string, unknown>;
  outcome: string;
  details: Record<string, unknown>;
}

describe('the coordinator audit log', () => {
  let t: TestConsortium;
  let runId: string;
  let auditDir: string;
  let caFile: string;

  beforeAll(async () => {
    t = await startTestConsortium({ name: 'audit-int', sites: ['site-a'], users: [{ name: 'alice', role: 'data-scientist' }] });
    auditDir = join(t.dir, 'state', 'audit');
    caFile = join(t.dir, 'kits', 'coordinator', 'ca.crt');
    const site = siteClient(t.kit('site-a'), t.address);
    await unary((o, cb) => site.register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
    site.close();
    const admin = adminClient(t.kit('alice'), t.address);
    runId = (await unary<{ runId: string }>((o, cb) => admin.submitRun({ specJson: JSON.stringify({ ...SPEC, rounds: 1, minSites: 1 }), codec: 'plain' }, o, cb))).runId;
    admin.close();
    const wrong = adminClient(t.kit('site-a'), t.address);
    expect((await refusal(unary((o, cb) => wrong.submitRun({ specJson: '{}', codec: 'plain' }, o, cb)))).code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    wrong.close();
    await t.coordinator.stop();
  }, 120_000);

  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  it('verifies, with the last checkpoint covering every record after a clean stop', () => {
    const s = auditVerify(auditDir, { ca: caFile });
    expect(s.uncheckpointed).toBe(0);
    expect(s.treeSize).toBe(s.records);
    expect(s.signer).toEqual({ name: 'coordinator', role: 'coordinator', chainedToCa: true });
    expect(s.origin).toBe('cohort/audit-int/coordinator/coordinator/audit');
  });

  it('records each event with the actor\'s certificate role, and the refused call', () => {
    const lines = linesOf(join(auditDir, 'audit.jsonl')).map((l) => JSON.parse(l) as Line);
    const brief = lines.map((l) => [l.action, l.actor.name, l.actor.role, l.outcome]);
    expect(brief).toEqual([
      ['coordinator.start', 'coordinator', 'coordinator', 'ok'],
      ['site.register', 'site-a', 'site', 'ok'],
      ['run.submit', 'alice', 'data-scientist', 'ok'],
      ['rpc.refused', 'site-a', 'site', 'refused'],
      ['coordinator.stop', 'coordinator', 'coordinator', 'ok'],
    ]);
    expect(lines[2]!.target).toEqual({ run: runId });
    expect(lines[2]!.details).toEqual({ eventId: 2, specSha256: expect.stringMatching(/^[0-9a-f]{64}$/), codec: 'plain' });
    expect(lines[3]!.target).toEqual({ rpc: '/cohort.v1.AdminService/SubmitRun', certificate: expect.stringMatching(/^[0-9a-f]+$/) });
    expect(lines[3]!.details).toEqual({ code: 'COHORT_E_RUN_PERMISSION_DENIED' });
  });

  it('appends, at the next start, an event that was committed but never reached the log', async () => {
    // The crash window: the transaction committed, the process died before the append.
    const store = new StateStore(join(t.dir, 'state', 'coordinator.sqlite'));
    store.appendEvent('alice', 'run.cancel', runId, { reason: 'operator asked' }, Date.UTC(2025, 0, 2));
    store.close();
    const again = await startCoordinator({ kit: t.kit('coordinator'), stateDir: join(t.dir, 'state'), listen: '127.0.0.1:0', log: createLogger('test', { level: 'silent' }) });
    // A round close, committed through the running coordinator's store, is followed by a checkpoint.
    again.engine.store.appendEvent('coordinator', 'round.close', runId, { round: 1, weightsSha256: 'ab'.repeat(32) }, Date.UTC(2025, 0, 3));
    const afterClose = auditVerify(auditDir, { ca: caFile });
    expect({ records: afterClose.records, treeSize: afterClose.treeSize }).toEqual({ records: 8, treeSize: 8 });
    await again.stop();
    const lines = linesOf(join(auditDir, 'audit.jsonl')).map((l) => JSON.parse(l) as Line);
    expect(lines.slice(5).map((l) => [l.action, l.actor.name, l.actor.role])).toEqual([
      ['run.cancel', 'alice', 'data-scientist'],
      ['coordinator.start', 'coordinator', 'coordinator'],
      ['round.close', 'coordinator', 'coordinator'],
      ['coordinator.stop', 'coordinator', 'coordinator'],
    ]);
    expect(lines[7]!.target).toEqual({ run: runId, round: 1 });
    expect(lines[5]!.details).toEqual({ eventId: 3, reasonSha256: expect.stringMatching(/^[0-9a-f]{64}$/), reasonBytes: 14, reconciled: true });
    expect(lines[6]!.details).toEqual({ reconciledEvents: 1 });
    const s = auditVerify(auditDir, { ca: caFile });
    expect({ records: s.records, uncheckpointed: s.uncheckpointed, checkpoints: s.checkpoints }).toEqual({ records: 9, uncheckpointed: 0, checkpoints: 3 });
  }, 60_000);

  it('refuses a second coordinator on the same state (COHORT_E_AUDIT_WRITER_LOCKED) before it appends anything, and a failed checkpoint does not append its event twice', async () => {
    const state = join(t.dir, 'state');
    const start = () => startCoordinator({ kit: t.kit('coordinator'), stateDir: state, listen: '127.0.0.1:0', log: createLogger('test', { level: 'silent' }) });
    const first = await start();
    const before = linesOf(join(auditDir, 'audit.jsonl')).length;
    // Before the fix the second appended coordinator.start (it failed only later, binding the port): a fork.
    expect(await caught(start())).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_LOCKED', details: { pid: process.pid } });
    expect(linesOf(join(auditDir, 'audit.jsonl'))).toHaveLength(before);
    // The round close's record is appended (fsync 1), its checkpoint's fsync (2) fails.
    const fsync = appendIo.fsyncSync;
    let calls = 0;
    appendIo.fsyncSync = (fd) => {
      if (++calls === 2) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      fsync(fd);
    };
    try {
      first.engine.store.appendEvent('coordinator', 'round.close', runId, { round: 2 }, Date.UTC(2025, 0, 4));
    } finally {
      appendIo.fsyncSync = fsync;
    }
    first.engine.store.appendEvent('alice', 'run.cancel', runId, {}, Date.UTC(2025, 0, 5));
    await first.stop();
    const lines = linesOf(join(auditDir, 'audit.jsonl')).map((l) => JSON.parse(l) as Line);
    const ids = lines.map((l) => l.details.eventId).filter((id) => id !== undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lines.slice(before - 1).map((l) => l.action)).toEqual(['coordinator.start', 'round.close', 'run.cancel', 'coordinator.stop']);
    expect(auditVerify(auditDir, { ca: caFile })).toMatchObject({ uncheckpointed: 0, trust: 'ca' });
  }, 60_000);
});
