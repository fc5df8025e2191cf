/**
 * Agreements before access, through the real CLI: `cohort provision sign` refuses a site whose
 * BAA has expired and a person with no agreement (and signs both when the consortium file
 * predates agreements: the defence is what refuses), each check in the provisioner's
 * hash-chained audit log; a real coordinator over mTLS refuses a run that would involve a site
 * whose agreement lapsed, each site's check in its signed audit log, and accepts the run once
 * the renewed agreement is copied into its kit, without a restart.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditVerify, registerAuditCommands } from '../../cli/commands/audit.ts';
import { registerProvisionCommands } from '../../cli/commands/provision.ts';
import { registerRunCommands } from '../../cli/commands/run.ts';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { createLogger } from '../../core/logging.ts';
import { loadKit } from '../../core/pki/kit.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/heart-logistic.yaml');

interface Line {
  index: number;
  actor: { name: string; role: string };
  action: string;
  target: Record<string, unknown>;
  outcome: string;
  details: Record<string, unknown>;
}

const linesOf = (file: string): Line[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function consortiumYaml(port: number, version: 2 | null): string {
  return (
    (version === null ? '' : `version: ${version}\n`) +
    `name: agree\ncoordinator: { name: coordinator, hosts: [127.0.0.1, localhost], port: ${port} }\nkeyHolder: hospital-a\n` +
    'sites:\n' +
    '  - { name: hospital-a, agreement: { kind: BAA, reference: BAA-A-1, signedOn: "2026-01-01", expires: "2099-12-31" } }\n' +
    '  - { name: hospital-b, agreement: { kind: BAA, reference: BAA-B-1, signedOn: "2020-01-01", expires: "2020-12-31" } }\n' +
    'users:\n' +
    '  - { name: alice, role: data-scientist, agreement: { kind: DUA, reference: DUA-7, signedOn: "2026-01-01", expires: "2099-12-31" } }\n' +
    '  - { name: bob, role: data-scientist }\n'
  );
}

const provision = (args: string[]) => runCli(registerProvisionCommands, args);
const errorOf = (err: string): { code: string; details: Record<string, unknown> } => (JSON.parse(err) as { error: { code: string; details: Record<string, unknown> } }).error;

describe('agreements before access', () => {
  let dir: string;
  let prov: string;
  let pass: string;
  let port: number;

  async function initAndEnrol(out: string, file: string, names: readonly string[]): Promise<void> {
    const init = await runCli(registerProvisionCommands, ['provision', 'init', file, '--out', out, '--ca-passphrase-file', pass, '--json']);
    // A file without version is told it requires no agreements (a warning on stderr); nothing else is said.
    expect([init.exitCode, init.err.replace(/^warning: \S+ has no version: .*\n$/, '')]).toEqual([0, '']);
    for (const name of names) await runCliJson(registerProvisionCommands, ['enroll', '--name', name, '--out', join(out, name), '--json']);
  }
  const sign = (out: string, name: string) => provision(['provision', 'sign', join(out, name, `${name}.csr`), '--out', out, '--ca-passphrase-file', pass, '--json']);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-agreements-'));
    pass = join(dir, 'ca.pass');
    writeFileSync(pass, 'a passphrase of some length\n', { mode: 0o600 });
    port = await freePort();
    writeFileSync(join(dir, 'v2.yaml'), consortiumYaml(port, 2));
    writeFileSync(join(dir, 'v1.yaml'), consortiumYaml(port, null));
    prov = join(dir, 'prov');
    await initAndEnrol(prov, join(dir, 'v2.yaml'), ['coordinator', 'hospital-a', 'hospital-b', 'alice', 'bob']);
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('signs a current agreement, refuses an expired one and a missing one, writing nothing for them, and audits every check', async () => {
    expect((await sign(prov, 'coordinator')).exitCode).toBe(0);
    expect((await sign(prov, 'hospital-a')).exitCode).toBe(0);
    const b = await sign(prov, 'hospital-b');
    expect(b.exitCode).toBe(1);
    expect(errorOf(b.err).code).toBe('COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED');
    expect(existsSync(join(prov, 'hospital-b', 'hospital-b.crt'))).toBe(false);
    const bob = await sign(prov, 'bob');
    expect(bob.exitCode).toBe(1);
    expect(errorOf(bob.err).code).toBe('COHORT_E_GOVERNANCE_AGREEMENT_MISSING');
    expect(existsSync(join(prov, 'bob', 'bob.crt'))).toBe(false);
    expect((await sign(prov, 'alice')).exitCode).toBe(0);

    const log = linesOf(join(prov, '.provisioner', 'audit', 'audit.jsonl'));
    expect(log.map((r) => [r.action, r.outcome, r.details.participant ?? null])).toEqual([
      ['consortium.init', 'ok', null],
      ['certificate.issue', 'ok', 'coordinator'],
      ['agreement.check', 'ok', 'hospital-a'],
      ['certificate.issue', 'ok', 'hospital-a'],
      ['agreement.check', 'refused', 'hospital-b'],
      ['agreement.check', 'refused', 'bob'],
      ['agreement.check', 'ok', 'alice'],
      ['certificate.issue', 'ok', 'alice'],
    ]);
    expect(log.every((r) => r.actor.name === 'provisioner' && r.actor.role === 'provisioner')).toBe(true);
    expect(log[0]!.details).toEqual({ consortium: 'agree', requireAgreements: true, caKeyStore: 'passphrase' });
    expect(log[4]!.target).toEqual({ site: 'hospital-b' });
    expect(log[4]!.details).toEqual({
      participant: 'hospital-b', role: 'site', purpose: 'certificate', state: 'expired',
      kind: 'BAA', reference: 'BAA-B-1', signedOn: '2020-01-01', expires: '2020-12-31', code: 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED',
    });
    expect(log[5]!.details).toEqual({ participant: 'bob', role: 'data-scientist', purpose: 'certificate', state: 'missing', code: 'COHORT_E_GOVERNANCE_AGREEMENT_MISSING' });

    // The operator verifies the provisioner's record: a hash chain, no checkpoints (trust none).
    const v = await runCliJson(registerAuditCommands, ['audit', 'verify', join(prov, '.provisioner', 'audit'), '--allow-unchecked', '--json']);
    expect(v).toMatchObject({ records: 8, checkpoints: 0, trust: 'none' });
    // A changed byte in the refused check is caught.
    const file = join(prov, '.provisioner', 'audit', 'audit.jsonl');
    const copy = join(dir, 'tampered.jsonl');
    writeFileSync(copy, readFileSync(file, 'utf8').replace('"state":"expired"', '"state":"current"'));
    const t = await runCli(registerAuditCommands, ['audit', 'verify', copy, '--allow-unchecked', '--json']);
    expect(t.exitCode).toBe(1);
    expect(errorOf(t.err)).toMatchObject({ code: 'COHORT_E_AUDIT_RECORD_ALTERED', details: { index: 4 } });
  }, 120_000);

  it('without the requirement (a file that predates agreements: no version) the same requests are signed', async () => {
    const old = join(dir, 'prov-v1');
    await initAndEnrol(old, join(dir, 'v1.yaml'), ['hospital-b', 'bob']);
    expect((await sign(old, 'hospital-b')).exitCode).toBe(0);
    expect((await sign(old, 'bob')).exitCode).toBe(0);
    expect(linesOf(join(old, '.provisioner', 'audit', 'audit.jsonl')).map((r) => r.action)).toEqual(['consortium.init', 'certificate.issue', 'certificate.issue']);
  }, 120_000);

  it("caps a certificate's end of validity at the last day of the signer's agreement", async () => {
    const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const expires = day(10);
    await runCliJson(registerProvisionCommands, ['provision', 'agreement', 'alice', '--kind', 'DUA', '--reference', 'DUA-8', '--signed-on', day(-30), '--expires', expires, '--out', prov, '--json']);
    const r = await sign(prov, 'alice');
    expect(r.exitCode).toBe(0);
    expect((JSON.parse(r.out) as { notAfter: string }).notAfter).toBe(`${expires}T23:59:59.000Z`);
    expect(new Date(new X509Certificate(readFileSync(join(prov, 'alice', 'alice.crt'))).validTo).toISOString()).toBe(`${expires}T23:59:59.000Z`);
    await runCliJson(registerProvisionCommands, ['provision', 'agreement', 'alice', '--kind', 'DUA', '--reference', 'DUA-7', '--signed-on', '2026-01-01', '--expires', '2099-12-31', '--out', prov, '--json']);
  }, 120_000);

  describe('at the coordinator', () => {
    let coordinator: RunningCoordinator;
    const state = (): string => join(dir, 'coord-state');
    const agreement = (ref: string, from: string, to: string) =>
      runCliJson(registerProvisionCommands, ['provision', 'agreement', 'hospital-b', '--kind', 'BAA', '--reference', ref, '--signed-on', from, '--expires', to, '--out', prov, '--json']);
    const submit = () => runCli(registerRunCommands, ['run', 'submit', SPEC, '--kit', join(prov, 'alice'), '--codec', 'plain', '--json']);

    beforeAll(async () => {
      // hospital-b's renewed BAA lets it enrol; then its term lapses (the operator records the real dates).
      await agreement('BAA-B-2', '2026-01-01', '2099-12-31');
      expect((await sign(prov, 'hospital-b')).exitCode).toBe(0);
      expect(await agreement('BAA-B-2', '2024-01-01', '2025-06-30')).toMatchObject({ name: 'hospital-b', role: 'site', agreementsFile: join(prov, 'coordinator', 'agreements.json') });
      coordinator = await startCoordinator({ kit: loadKit(join(prov, 'coordinator')), stateDir: state(), listen: `127.0.0.1:${port}`, log: createLogger('test', { level: 'silent' }) });
      for (const site of ['hospital-a', 'hospital-b']) {
        const c = siteClient(loadKit(join(prov, site)), `127.0.0.1:${port}`);
        await unary((o, cb) => c.register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
        c.close();
      }
    }, 120_000);

    afterAll(async () => {
      await coordinator?.stop();
    });

    it('refuses a run that would involve hospital-b, whose BAA expired, and audits each site\'s check', async () => {
      const r = await submit();
      expect(r.exitCode).toBe(1);
      // (Details do not cross gRPC; the message names the site and the agreement.)
      const e = JSON.parse(r.err) as { error: { code: string; message: string } };
      expect(e.error.code).toBe('COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED');
      expect(e.error.message).toContain('the BAA BAA-B-2 of site hospital-b expired after 2025-06-30');
      expect(coordinator.engine.store.listRuns()).toEqual([]);
      const checks = linesOf(join(state(), 'audit', 'audit.jsonl')).filter((l) => l.action === 'agreement.check');
      expect(checks.map((c) => ({ actor: c.actor, target: c.target, outcome: c.outcome, details: c.details }))).toEqual([
        { actor: { name: 'coordinator', role: 'coordinator' }, target: {}, outcome: 'ok', details: { participant: 'alice', role: 'data-scientist', purpose: 'submit', state: 'current', kind: 'DUA', reference: 'DUA-7', signedOn: '2026-01-01', expires: '2099-12-31' } },
        { actor: { name: 'coordinator', role: 'coordinator' }, target: { site: 'hospital-a' }, outcome: 'ok', details: { participant: 'hospital-a', role: 'site', purpose: 'run', state: 'current', requestedBy: 'alice', kind: 'BAA', reference: 'BAA-A-1', signedOn: '2026-01-01', expires: '2099-12-31' } },
        { actor: { name: 'coordinator', role: 'coordinator' }, target: { site: 'hospital-b' }, outcome: 'refused', details: { participant: 'hospital-b', role: 'site', purpose: 'run', state: 'expired', requestedBy: 'alice', kind: 'BAA', reference: 'BAA-B-2', signedOn: '2024-01-01', expires: '2025-06-30', code: 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED' } },
      ]);
    }, 120_000);

    it('accepts the run once the renewed agreement is recorded and agreements.json copied into the kit, without a restart', async () => {
      await agreement('BAA-B-3', '2025-07-01', '2099-12-31');
      const r = await submit();
      expect(r.exitCode).toBe(0);
      expect(coordinator.engine.store.listRuns()).toHaveLength(1);
      await coordinator.stop();
      const lines = linesOf(join(state(), 'audit', 'audit.jsonl'));
      expect(lines.filter((l) => l.action === 'agreement.check').map((l) => [l.target.site ?? l.details.participant, l.outcome, l.details.reference])).toEqual([
        ['alice', 'ok', 'DUA-7'],
        ['hospital-a', 'ok', 'BAA-A-1'],
        ['hospital-b', 'refused', 'BAA-B-2'],
        ['alice', 'ok', 'DUA-7'],
        ['hospital-a', 'ok', 'BAA-A-1'],
        ['hospital-b', 'ok', 'BAA-B-3'],
      ]);
      // The coordinator's log, with these records, verifies under the consortium CA.
      const s = auditVerify(join(state(), 'audit'), { ca: join(prov, 'coordinator', 'ca.crt') });
      expect(s.trust).toBe('ca');
      expect(s.uncheckpointed).toBe(0);
    }, 120_000);
  });
});
