/**
 * `cohort audit export` over a real coordinator's audit log (real mTLS calls, the real writer):
 * records since a time, as written (byte-identical lines) and in Elastic Common Schema field
 * names with exact values; a tampered log exports nothing.
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuditCommands } from '../../cli/commands/audit.ts';
import { appendChained } from '../../core/governance/chain-log.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { runCli } from '../cli/commands/run-cli.ts';
import { registerSubmitAndRefuse, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

const SPEC = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));

describe('cohort audit export', () => {
  let t: TestConsortium;
  let auditDir: string;
  let caFile: string;
  let raw: string[];

  beforeAll(async () => {
    t = await startTestConsortium({ name: 'export', sites: ['site-a'], users: [{ name: 'alice', role: 'data-scientist' }] });
    auditDir = join(t.dir, 'state', 'audit');
    caFile = join(t.dir, 'kits', 'coordinator', 'ca.crt');
    await registerSubmitAndRefuse(t, { site: 'site-a', user: 'alice', refused: 'site-a', spec: SPEC });
    await t.coordinator.stop();
    raw = readFileSync(join(auditDir, 'audit.jsonl'), 'utf8').trimEnd().split('\n');
  }, 120_000);

  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  const exportCli = (path: string, ...args: string[]) => runCli(registerAuditCommands, ['audit', 'export', path, '--ca', caFile, ...args]);

  it('exports the records since a time as written, byte for byte', async () => {
    const k = raw.findIndex((l) => (JSON.parse(l) as { action: string }).action === 'run.submit');
    const since = (JSON.parse(raw[k]!) as { time: string }).time;
    const { out, err, exitCode } = await exportCli(auditDir, '--since', since);
    expect({ exitCode, err }).toEqual({ exitCode: 0, err: `audit export: trust ca: ${raw.length} records, ${raw.length} covered by checkpoints signed by coordinator coordinator (CA-issued)\n` });
    const expected = raw.filter((l) => Date.parse((JSON.parse(l) as { time: string }).time) >= Date.parse(since));
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(raw.length);
    expect(out).toBe(`${expected.join('\n')}\n`);
  });

  it('exports in ECS field names with exact values', async () => {
    const { out, exitCode } = await exportCli(auditDir, '--since', '2000-01-01', '--format', 'ecs');
    expect(exitCode).toBe(0);
    const docs = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(docs).toHaveLength(raw.length);
    const i = raw.findIndex((l) => (JSON.parse(l) as { action: string }).action === 'rpc.refused');
    const rec = JSON.parse(raw[i]!) as { time: string; target: { certificate: string }; prev: string };
    expect(docs[i]).toEqual({
      '@timestamp': rec.time,
      ecs: { version: '8.11.0' },
      event: {
        kind: 'event',
        module: 'cohort',
        dataset: 'cohort.audit',
        action: 'rpc.refused',
        outcome: 'failure',
        sequence: i,
        hash: createHash('sha256').update(raw[i]!).digest('hex'),
        original: raw[i],
      },
      user: { name: 'site-a', roles: ['site'] },
      cohort: {
        index: i,
        outcome: 'refused',
        target: { rpc: '/cohort.v1.AdminService/ListRuns', certificate: rec.target.certificate },
        details: { code: 'COHORT_E_RUN_PERMISSION_DENIED' },
        prev: rec.prev,
        checkpointed: true,
      },
    });
    const submit = docs.find((d) => (d.event as { action: string }).action === 'run.submit')!;
    expect([(submit.event as { outcome: string }).outcome, submit.user]).toEqual(['success', { name: 'alice', roles: ['data-scientist'] }]);
  });

  it('exports nothing from a log that does not verify, and refuses an unknown format', async () => {
    const copy = join(t.dir, 'tampered');
    cpSync(auditDir, copy, { recursive: true });
    const lines = [...raw];
    lines[1] = lines[1]!.replace(/"time":"\d/, '"time":"9');
    writeFileSync(join(copy, 'audit.jsonl'), `${lines.join('\n')}\n`);
    const bad = await exportCli(copy, '--since', '2000-01-01', '--format', 'ecs');
    expect([bad.exitCode, bad.out, (JSON.parse(bad.err) as { error: { code: string; details: { index: number } } }).error]).toEqual([1, '', expect.objectContaining({ code: 'COHORT_E_AUDIT_RECORD_ALTERED', details: { index: 1 } })]);
    const fmt = await exportCli(auditDir, '--since', '2000-01-01', '--format', 'cef');
    expect([fmt.exitCode, (JSON.parse(fmt.err) as { error: { code: string } }).error.code]).toEqual([2, 'COHORT_E_GENERAL_USAGE']);
  });

  it('withholds records after the last checkpoint unless --include-tail, and then marks them in ECS', async () => {
    const copy = join(t.dir, 'tail', 'audit');
    cpSync(auditDir, copy, { recursive: true });
    // One record appended after the last checkpoint (the chain holds; no checkpoint covers it).
    appendChained(copy, [{ actor: { name: 'coordinator', role: 'coordinator' }, action: 'run.cancel', target: { run: 'run-x' }, outcome: 'ok' }]);
    const tail = readFileSync(join(copy, 'audit.jsonl'), 'utf8').trimEnd().split('\n').at(-1)!;
    const plain = await exportCli(copy, '--since', '2000-01-01');
    expect([plain.exitCode, plain.out]).toEqual([0, `${raw.join('\n')}\n`]);
    expect(plain.err).toBe(`audit export: trust ca: ${raw.length + 1} records, ${raw.length} covered by checkpoints signed by coordinator coordinator (CA-issued); 1 record after the last checkpoint withheld (vouched for by the hash chain only; --include-tail exports it)\n`);
    const all = await exportCli(copy, '--since', '2000-01-01', '--include-tail');
    expect([all.exitCode, all.out]).toEqual([0, `${[...raw, tail].join('\n')}\n`]);
    const ecs = await exportCli(copy, '--since', '2000-01-01', '--include-tail', '--format', 'ecs');
    const docs = ecs.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { cohort: { checkpointed: boolean } });
    expect(docs.map((d) => d.cohort.checkpointed)).toEqual([...raw.map(() => true), false]);
  });
});
