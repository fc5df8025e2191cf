/**
 * Incidents raised from a real coordinator's audit log, written by the real writer over real
 * mTLS calls: a site hammering an admin RPC it may not call, a site calling on after its
 * certificate was revoked, a model exported without approval (the registry's `model.export`
 * record, appended with the real writer), and the log itself altered. `cohort incident list`
 * records each once with its time of discovery and the notification date 60 days later, and
 * runs the hook once per new incident.
 */
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerIncidentCommands } from '../../cli/commands/incident.ts';
import { AuditLog } from '../../core/audit/audit-log.ts';
import { detectIncidents } from '../../core/governance/incidents.ts';
import { isCohortError } from '../../core/errors/index.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';
import { revoke } from '../support/provision.ts';
import { refusal, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

interface Line { index: number; time: string; actor: { name: string; role: string }; action: string; target: Record<string, unknown>; details: Record<string, unknown> }
interface IncidentOut { id: string; rule: string; summary: string; actor: { name: string; role: string } | null; records: number[]; firstSeen: string; lastSeen: string; details: Record<string, unknown>; discoveredAt: string; notifyBy: string }

const linesOf = (file: string): Line[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
const plus60 = (iso: string): string => {
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 60);
  return d.toISOString().slice(0, 10);
};

describe('incidents from the audit stream', () => {
  let t: TestConsortium;
  let auditDir: string;
  let caFile: string;
  let revokedSerial: string;

  beforeAll(async () => {
    t = await startTestConsortium({ name: 'incidents', sites: ['site-a', 'site-b'], users: [{ name: 'olga', role: 'operator' }] });
    auditDir = join(t.dir, 'state', 'audit');
    caFile = join(t.dir, 'kits', 'coordinator', 'ca.crt');
    // site-b calls an admin RPC six times: six refusals (PERMISSION_DENIED) within a minute.
    const wrong = adminClient(t.kit('site-b'), t.address);
    for (let i = 0; i < 6; i++) expect((await refusal(unary((o, cb) => wrong.listRuns({}, o, cb)))).code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    wrong.close();
    // site-a opens its channel, is revoked, and keeps calling on the open connection until the coordinator's CRL watcher reloads.
    const a = siteClient(t.kit('site-a'), t.address);
    await unary((o, cb) => a.register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
    revokedSerial = (await revoke(join(t.dir, 'kits'), 'site-a', { reason: 'keyCompromise' })).serial;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await unary((o, cb) => a.heartbeat({}, o, cb));
      } catch (e) {
        if (isCohortError(e) && e.code === 'COHORT_E_PKI_CERT_REVOKED') break;
        throw e;
      }
      if (Date.now() > deadline) throw new Error('the coordinator never reloaded the CRL');
      await new Promise((r) => setTimeout(r, 100));
    }
    a.close();
    await t.coordinator.stop();
    // The registry (another branch) records an export with approved: false when an operator passes --allow-unapproved;
    // the real writer appends that record, as the coordinator does after the registry's transaction.
    const kit = t.kit('coordinator');
    const log = AuditLog.open(auditDir, { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
    log.append({ actor: { name: 'olga', role: 'operator' }, action: 'model.export', target: { run: 'run-1', model: 'model-1' }, outcome: 'ok', details: { name: 'heart', version: 1, weightsSha256: 'ab'.repeat(32), approved: false, allowUnapproved: true } });
    log.checkpoint();
    log.close();
  }, 180_000);

  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  it('raises each rule once from the real log, with discovery time and the date 60 days later; the hook runs once per new incident', async () => {
    const hookDir = join(t.dir, 'hook');
    const hook = `mkdir -p '${hookDir}' && cat > '${hookDir}'/"$COHORT_INCIDENT_ID-$COHORT_INCIDENT_RULE.json"`;
    const before = new Date().toISOString();
    const r = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', auditDir, '--ca', caFile, '--hook', hook, '--json'])) as { incidents: IncidentOut[]; discovered: string[]; hooks: { id: string; exitCode: number }[] };
    const after = new Date().toISOString();
    const lines = linesOf(join(auditDir, 'audit.jsonl'));
    const refusedB = lines.filter((l) => l.action === 'rpc.refused' && l.actor.name === 'site-b');
    const refusedA = lines.filter((l) => l.action === 'rpc.refused' && l.actor.name === 'site-a');
    const exported = lines.find((l) => l.action === 'model.export')!;
    expect(refusedB).toHaveLength(6);
    expect(refusedA.length).toBeGreaterThanOrEqual(1);

    expect(r.incidents.map((i) => ({ rule: i.rule, actor: i.actor, records: i.records, details: i.details, summary: i.summary }))).toEqual([
      {
        rule: 'repeated-refusals', actor: { name: 'site-b', role: 'site' }, records: refusedB.map((l) => l.index),
        details: { refusals: 6, threshold: 5, windowMinutes: 10, codes: 'COHORT_E_RUN_PERMISSION_DENIED' },
        summary: '6 refused calls from site site-b within 10 minutes',
      },
      {
        rule: 'revoked-certificate', actor: { name: 'site-a', role: 'site' }, records: refusedA.map((l) => l.index),
        details: { certificate: revokedSerial, attempts: refusedA.length },
        summary: `site site-a tried to connect with a revoked certificate (${refusedA.length} call${refusedA.length === 1 ? '' : 's'})`,
      },
      {
        rule: 'unapproved-export', actor: { name: 'olga', role: 'operator' }, records: [exported.index],
        details: { model: 'model-1', run: 'run-1', allowUnapproved: true },
        summary: 'operator olga exported model model-1 without approval',
      },
    ]);
    for (const i of r.incidents) {
      expect(i.discoveredAt >= before && i.discoveredAt <= after).toBe(true);
      expect(i.notifyBy).toBe(plus60(i.discoveredAt));
    }
    expect(r.incidents[0]!.firstSeen).toBe(refusedB[0]!.time);
    expect(r.incidents[0]!.lastSeen).toBe(refusedB[5]!.time);
    expect(r.discovered).toEqual(r.incidents.map((i) => i.id));
    expect(r.hooks).toEqual(r.incidents.map((i) => ({ id: i.id, exitCode: 0 })));
    expect(readdirSync(hookDir).sort()).toEqual(r.incidents.map((i) => `${i.id}-${i.rule}.json`).sort());
    expect(JSON.parse(readFileSync(join(hookDir, `${r.incidents[2]!.id}-unapproved-export.json`), 'utf8'))).toEqual(r.incidents[2]);
    expect(existsSync(join(t.dir, 'state', 'incidents', 'incidents.jsonl'))).toBe(true);

    // A second scan finds nothing new: the same incidents, the same discovery times, no hook run.
    const again = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', auditDir, '--hook', hook, '--json'])) as { incidents: IncidentOut[]; discovered: string[]; hooks: unknown[] };
    expect(again.incidents).toEqual(r.incidents);
    expect([again.discovered, again.hooks]).toEqual([[], []]);

    const shown = (await runCliJson(registerIncidentCommands, ['incident', 'show', r.incidents[1]!.id, '--audit', auditDir, '--json'])) as IncidentOut;
    expect(shown).toEqual(r.incidents[1]);
    const missing = await runCli(registerIncidentCommands, ['incident', 'show', 'inc-000000000000', '--audit', auditDir, '--json']);
    expect(missing.exitCode).toBe(1);
    expect((JSON.parse(missing.err) as { error: { code: string } }).error.code).toBe('COHORT_E_GOVERNANCE_INCIDENT_NOT_FOUND');
  });

  it('raises audit-verification-failed for an altered record, and below the threshold no refusal incident', async () => {
    const copy = join(t.dir, 'altered', 'audit');
    cpSync(auditDir, copy, { recursive: true });
    const file = join(copy, 'audit.jsonl');
    const text = readFileSync(file, 'utf8').split('\n');
    const altered = text[2]!.replace(/"time":"\d/, '"time":"9');
    expect(altered).not.toBe(text[2]);
    text[2] = altered;
    writeFileSync(file, text.join('\n'));
    const r = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', copy, '--ca', caFile, '--threshold', '7', '--json'])) as { incidents: IncidentOut[] };
    expect(r.incidents.map((i) => [i.rule, i.details, i.records])).toEqual(expect.arrayContaining([['audit-verification-failed', { code: 'COHORT_E_AUDIT_RECORD_ALTERED', index: 2 }, [2]]]));
    expect(r.incidents.map((i) => i.rule).sort()).toEqual(['audit-verification-failed', 'revoked-certificate', 'unapproved-export']);
  });

  it('raises audit-verification-failed for a log cut with its checkpoints.jsonl deleted: none left (LOG_UNCHECKED), or below the checkpoint the last scan kept (LOG_TRUNCATED)', async () => {
    const n = linesOf(join(auditDir, 'audit.jsonl')).length;
    const cut = (name: string): string => {
      const copy = join(t.dir, name, 'audit');
      cpSync(auditDir, copy, { recursive: true });
      const file = join(copy, 'audit.jsonl');
      writeFileSync(file, `${readFileSync(file, 'utf8').split('\n').slice(0, 2).join('\n')}\n`);
      rmSync(join(copy, 'checkpoints.jsonl'));
      return copy;
    };
    const failures = (r: { incidents: IncidentOut[] }) => r.incidents.filter((i) => i.rule === 'audit-verification-failed').map((i) => i.details);
    // Never scanned before: no checkpoint covers the two records left.
    const first = cut('cut-unscanned');
    expect(failures((await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', first, '--ca', caFile, '--json'])) as { incidents: IncidentOut[] })).toEqual([{ code: 'COHORT_E_AUDIT_LOG_UNCHECKED', index: null }]);
    // Scanned while whole: the scan keeps the checkpoint it verified; the cut is then found below it.
    const whole = join(t.dir, 'cut-scanned', 'audit');
    cpSync(auditDir, whole, { recursive: true });
    expect(failures((await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', whole, '--ca', caFile, '--json'])) as { incidents: IncidentOut[] })).toEqual([]);
    const file = join(whole, 'audit.jsonl');
    writeFileSync(file, `${readFileSync(file, 'utf8').split('\n').slice(0, 2).join('\n')}\n`);
    rmSync(join(whole, 'checkpoints.jsonl'));
    expect(failures((await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', whole, '--ca', caFile, '--json'])) as { incidents: IncidentOut[] })).toEqual([{ code: 'COHORT_E_AUDIT_LOG_TRUNCATED', index: 2 }]);
    expect(n).toBeGreaterThan(2);
  });

  it('finds a burst of refusals wherever it starts (a sliding window), with an id that does not depend on where a scan began counting', async () => {
    const kit = t.kit('coordinator');
    const dir = join(t.dir, 'sliding', 'audit');
    const log = AuditLog.open(dir, { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    // One early refusal, then five within half a minute: 9.9 .. 10.4 minutes after it.
    for (const m of [0, 9.9, 10.1, 10.2, 10.3, 10.4]) log.append({ time: new Date(t0 + m * 60_000), actor: { name: 'mallory', role: 'data-scientist' }, action: 'rpc.refused', target: { rpc: 'ApproveModel' }, outcome: 'refused', details: { code: 'COHORT_E_RUN_PERMISSION_DENIED' } });
    log.checkpoint();
    log.close();
    const found = detectIncidents(join(dir, 'audit.jsonl'), { caPem: kit.caPem }).filter((f) => f.rule === 'repeated-refusals');
    expect(found.map((f) => [f.records, f.firstSeen, f.lastSeen, f.details.refusals])).toEqual([[[1, 2, 3, 4, 5], new Date(t0 + 9.9 * 60_000).toISOString(), new Date(t0 + 10.4 * 60_000).toISOString(), 5]]);
    // The same burst seen from a log without the early refusal: the same id.
    const alone = join(t.dir, 'sliding-alone', 'audit');
    const log2 = AuditLog.open(alone, { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
    for (const m of [9.9, 10.1, 10.2, 10.3, 10.4]) log2.append({ time: new Date(t0 + m * 60_000), actor: { name: 'mallory', role: 'data-scientist' }, action: 'rpc.refused', target: { rpc: 'ApproveModel' }, outcome: 'refused', details: { code: 'COHORT_E_RUN_PERMISSION_DENIED' } });
    log2.checkpoint();
    log2.close();
    const again = detectIncidents(join(alone, 'audit.jsonl'), { caPem: kit.caPem }).filter((f) => f.rule === 'repeated-refusals');
    expect(again).toHaveLength(1);
    expect(again[0]!.id).toBe(found[0]!.id);
  });

  it('delivers every incident to the hook until it succeeds: show is read-only, a failing hook exits non-zero and is retried next scan', async () => {
    const copy = join(t.dir, 'delivery', 'audit');
    cpSync(auditDir, copy, { recursive: true });
    const incidents = join(t.dir, 'delivery', 'incidents');
    // A scan without a hook (an auditor listing) records the incidents, delivered to no one yet.
    const listed = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', copy, '--json'])) as { incidents: IncidentOut[] };
    const ids = listed.incidents.map((i) => i.id);
    expect(ids).toHaveLength(3);
    // show reads the record only: it neither scans nor runs a hook.
    const hookDir = join(t.dir, 'delivery', 'hook');
    const hook = `mkdir -p '${hookDir}' && cat > '${hookDir}'/"$COHORT_INCIDENT_ID.json"`;
    const shown = (await runCliJson(registerIncidentCommands, ['incident', 'show', ids[0]!, '--audit', copy, '--hook', hook, '--json'])) as IncidentOut;
    expect(shown.id).toBe(ids[0]);
    expect(existsSync(hookDir)).toBe(false);
    // A failing hook: non-zero exit, each failure reported, nothing marked delivered.
    const failing = await runCli(registerIncidentCommands, ['incident', 'list', '--audit', copy, '--hook', 'exit 7', '--json']);
    expect(failing.exitCode).toBe(1);
    expect((JSON.parse(failing.out) as { hooks: { id: string; exitCode: number }[] }).hooks).toEqual(ids.map((id) => ({ id, exitCode: 7 })));
    // The next scan with a working hook delivers all three, found earlier; the one after delivers none.
    const ok = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', copy, '--hook', hook, '--json'])) as { discovered: string[]; hooks: { id: string; exitCode: number }[] };
    expect(ok.discovered).toEqual([]);
    expect(ok.hooks).toEqual(ids.map((id) => ({ id, exitCode: 0 })));
    expect(readdirSync(hookDir).sort()).toEqual(ids.map((id) => `${id}.json`).sort());
    const again = (await runCliJson(registerIncidentCommands, ['incident', 'list', '--audit', copy, '--hook', 'exit 9', '--json'])) as { hooks: unknown[] };
    expect(again.hooks).toEqual([]);
    expect(existsSync(join(incidents, 'lock'))).toBe(false);
  });

  it('raises unapproved-export for an unapproved model.download as well as model.export', () => {
    const kit = t.kit('coordinator');
    const dir = join(t.dir, 'download', 'audit');
    const log = AuditLog.open(dir, { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
    log.append({ actor: { name: 'dana', role: 'data-scientist' }, action: 'model.download', target: { run: 'run-2', model: 'model-2' }, outcome: 'ok', details: { approved: false } });
    log.append({ actor: { name: 'dana', role: 'data-scientist' }, action: 'model.download', target: { run: 'run-3', model: 'model-3' }, outcome: 'ok', details: { approved: true } });
    log.checkpoint();
    log.close();
    const found = detectIncidents(join(dir, 'audit.jsonl'), { caPem: kit.caPem });
    expect(found.map((f) => [f.rule, f.records, f.summary])).toEqual([['unapproved-export', [0], 'data-scientist dana downloaded model model-2 without approval']]);
  });
});
