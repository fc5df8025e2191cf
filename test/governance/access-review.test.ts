/**
 * `cohort access review` over a real provisioner directory and the audit log a real
 * coordinator wrote over mTLS: each certificate's status, last seen and flags, with exact
 * values, for a holder seen, one never seen, one revoked after a refused call, and one whose
 * role was changed (a renewal under a new role); and an agreement about to lapse.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAccessCommands } from '../../cli/commands/access.ts';
import { enroll } from '../../core/pki/enroll.ts';
import { recordAgreement, signRequest } from '../../core/pki/provisioner.ts';
import { readState, writeState } from '../../core/pki/state.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';
import { caKeyOf, revoke } from '../support/provision.ts';
import { registerSubmitAndRefuse, startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

const SPEC = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));
const DAY = 86_400_000;

interface Line { time: string; actor: { name: string; role: string }; action: string; outcome: string }

describe('cohort access review', () => {
  let t: TestConsortium;
  let kits: string;
  let renewedAt: string;
  let lines: Line[];

  beforeAll(async () => {
    t = await startTestConsortium({ name: 'review', sites: ['site-a', 'site-b'], users: [{ name: 'alice', role: 'data-scientist' }, { name: 'olga', role: 'data-scientist' }] });
    kits = join(t.dir, 'kits');
    // olga becomes an operator: the consortium record changes her role, and her new request is signed under it.
    const state = readState(kits);
    writeState(kits, { ...state, consortium: { ...state.consortium, users: state.consortium.users.map((u) => (u.name === 'olga' ? { ...u, role: 'operator' as const } : u)) } });
    const { requestFile } = await enroll('olga', join(t.dir, 'olga-new'));
    const renewed = await signRequest(kits, requestFile, { caKey: caKeyOf(kits) });
    expect([renewed.role, renewed.renewed]).toEqual(['operator', true]);
    renewedAt = readState(kits).issued.at(-1)!.issuedAt;

    await registerSubmitAndRefuse(t, { site: 'site-a', user: 'alice', refused: 'site-b', spec: SPEC });
    await t.coordinator.stop();
    await revoke(kits, 'site-b', { reason: 'keyCompromise' });
    lines = readFileSync(join(t.dir, 'state', 'audit', 'audit.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);
  }, 120_000);

  afterAll(() => rmSync(t.dir, { recursive: true, force: true }));

  const lastOk = (name: string): string => lines.filter((l) => l.actor.name === name && l.outcome === 'ok').at(-1)!.time;

  it('lists every certificate with its status and last seen, flagging the unused and the role-changed', async () => {
    const now = new Date(Date.parse(renewedAt) + 2 * DAY);
    const siteADay = new Date(now.getTime() + 10 * DAY).toISOString().slice(0, 10);
    await recordAgreement(kits, 'site-a', { kind: 'BAA', reference: 'BAA-7', signedOn: '2026-01-01', expires: siteADay });
    const r = (await runCliJson(registerAccessCommands, ['access', 'review', '--out', kits, '--audit', join(t.dir, 'state', 'audit'), '--now', now.toISOString(), '--unused-days', '2', '--expiring-days', '30', '--json'])) as {
      certificates: { name: string; role: string; serial: string; status: string; lastSeen: string | null; lastRefused: string | null; roles: string[]; flags: string[]; revocationReason: string | null; daysLeft: number }[];
      agreements: unknown[];
      flagged: number;
      thresholds: unknown;
      requireAgreements: boolean;
    };
    const issued = readState(kits).issued;
    const daysLeft = (serial: string): number => Math.floor((Date.parse(issued.find((i) => i.serial === serial)!.notAfter) - now.getTime()) / DAY);
    const refusedAt = lines.find((l) => l.action === 'rpc.refused')!.time;
    expect(r.certificates.map((c) => ({ name: c.name, role: c.role, status: c.status, lastSeen: c.lastSeen, lastRefused: c.lastRefused, roles: c.roles, flags: c.flags, revocationReason: c.revocationReason, daysLeft: c.daysLeft }))).toEqual([
      { name: 'coordinator', role: 'coordinator', status: 'active', lastSeen: lastOk('coordinator'), lastRefused: null, roles: ['coordinator'], flags: [], revocationReason: null, daysLeft: daysLeft(issued[0]!.serial) },
      { name: 'site-a', role: 'site', status: 'active', lastSeen: lastOk('site-a'), lastRefused: null, roles: ['site'], flags: [], revocationReason: null, daysLeft: 87 },
      { name: 'site-b', role: 'site', status: 'revoked', lastSeen: null, lastRefused: refusedAt, roles: ['site'], flags: [], revocationReason: 'keyCompromise', daysLeft: 87 },
      { name: 'alice', role: 'data-scientist', status: 'active', lastSeen: lastOk('alice'), lastRefused: null, roles: ['data-scientist'], flags: [], revocationReason: null, daysLeft: 87 },
      { name: 'olga', role: 'data-scientist', status: 'active', lastSeen: null, lastRefused: null, roles: ['data-scientist', 'operator'], flags: ['unused', 'role-changed'], revocationReason: null, daysLeft: 87 },
      { name: 'olga', role: 'operator', status: 'active', lastSeen: null, lastRefused: null, roles: ['data-scientist', 'operator'], flags: ['unused', 'role-changed'], revocationReason: null, daysLeft: 88 },
    ]);
    expect(r.certificates.map((c) => c.serial)).toEqual(issued.map((i) => i.serial));
    expect(lastOk('alice')).toBe(lines.find((l) => l.action === 'run.submit')!.time);
    expect(r.agreements).toEqual([{ name: 'site-a', role: 'site', kind: 'BAA', reference: 'BAA-7', signedOn: '2026-01-01', expires: siteADay, state: 'current', daysLeft: 10, flags: ['expiring-soon'] }]);
    expect(r.flagged).toBe(3);
    expect(r.thresholds).toEqual({ unusedDays: 2, expiringDays: 30 });
    expect(r.requireAgreements).toBe(false);
  });

  it('flags certificates expiring soon and, past the agreement, the expired agreement', async () => {
    const now = new Date(Date.parse(renewedAt) + 80 * DAY);
    const r = (await runCliJson(registerAccessCommands, ['access', 'review', '--out', kits, '--audit', join(t.dir, 'state', 'audit'), '--now', now.toISOString(), '--unused-days', '365', '--expiring-days', '14', '--json'])) as {
      certificates: { name: string; role: string; flags: string[]; daysLeft: number }[];
      agreements: { name: string; state: string; flags: string[]; daysLeft: number }[];
    };
    expect(r.certificates.map((c) => [c.name, c.role, c.daysLeft, c.flags])).toEqual([
      ['coordinator', 'coordinator', r.certificates[0]!.daysLeft, []],
      ['site-a', 'site', 9, ['expiring-soon']],
      ['site-b', 'site', 9, []],
      ['alice', 'data-scientist', 9, ['expiring-soon']],
      ['olga', 'data-scientist', 9, ['expiring-soon', 'role-changed']],
      ['olga', 'operator', 10, ['expiring-soon', 'role-changed']],
    ]);
    expect(r.certificates[0]!.daysLeft).toBeGreaterThan(14);
    expect(r.agreements.map((a) => [a.name, a.state, a.daysLeft, a.flags])).toEqual([['site-a', 'expired', -68, ['expired']]]);
  });

  it('refuses a bad --now with a coded usage error', async () => {
    const { exitCode, err } = await runCli(registerAccessCommands, ['access', 'review', '--out', kits, '--now', 'yesterday', '--json']);
    expect(exitCode).toBe(2);
    expect((JSON.parse(err) as { error: { code: string } }).error.code).toBe('COHORT_E_GOVERNANCE_TIME_INVALID');
  });
});
