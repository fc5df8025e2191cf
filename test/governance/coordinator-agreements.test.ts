/**
 * Agreements at a real coordinator over mTLS, beyond submission: a site whose agreement lapsed
 * cannot join a recruiting run by registering after it was submitted (each check audited).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollConsortium } from '../../cli/demo/enroll-consortium.ts';
import { submitRun } from '../../cli/commands/run.ts';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { createLogger } from '../../core/logging.ts';
import { loadKit } from '../../core/pki/kit.ts';
import type { CaKeyAccess } from '../../core/pki/ca-key.ts';
import { recordAgreement, revoke } from '../../core/pki/provisioner.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/heart-logistic.yaml');

interface Line { action: string; target: Record<string, unknown>; outcome: string; details: Record<string, unknown> }
const linesOf = (file: string): Line[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

describe('agreements at the coordinator after submission', () => {
  let dir: string;
  let out: string;
  let coordinator: RunningCoordinator;
  let addr: string;
  let caKey: CaKeyAccess;
  const state = (): string => join(dir, 'state');

  async function register(site: string): Promise<void> {
    const c = siteClient(loadKit(join(out, site)), addr);
    try {
      await unary((o, cb) => c.register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
    } finally {
      c.close();
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-coord-agreements-'));
    const file = join(dir, 'c.yaml');
    const current = (ref: string) => `{ kind: BAA, reference: ${ref}, signedOn: "2026-01-01", expires: "2099-12-31" }`;
    writeFileSync(file, 'version: 2\nname: g\ncoordinator: { name: coordinator, hosts: [127.0.0.1, localhost], port: 7443 }\nkeyHolder: site-a\n' +
      `sites:\n  - { name: site-a, agreement: ${current('A1')} }\n  - { name: site-b, agreement: ${current('B1')} }\n` +
      'users:\n  - { name: alice, role: data-scientist, agreement: { kind: DUA, reference: D1, signedOn: "2026-01-01", expires: "2099-12-31" } }\n');
    out = join(dir, 'kits');
    caKey = (await enrollConsortium(file, { provisionerDir: out })).caKey;
    coordinator = await startCoordinator({ kit: loadKit(join(out, 'coordinator')), stateDir: state(), listen: '127.0.0.1:0', log: createLogger('t', { level: 'silent' }) });
    addr = `127.0.0.1:${coordinator.port}`;
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not invite a site whose agreement lapsed when it registers after the run was submitted, and audits the check', async () => {
    // site-b's BAA lapses after its certificate was signed.
    await recordAgreement(out, 'site-b', { kind: 'BAA', reference: 'B1', signedOn: '2026-01-01', expires: '2026-06-30' });
    await register('site-a');
    const run = await submitRun(loadKit(join(out, 'alice')), SPEC, 'plain', addr);
    await register('site-b');
    expect(coordinator.engine.store.runSites(run.runId).map((s) => `${s.site}:${s.state}`)).toEqual(['site-a:INVITED']);
    const checks = linesOf(join(state(), 'audit', 'audit.jsonl')).filter((l) => l.action === 'agreement.check');
    expect(checks.map((c) => [c.target.site ?? c.details.participant, c.outcome, c.details.purpose, c.details.runId ?? null, c.details.code ?? null])).toEqual([
      ['alice', 'ok', 'submit', null, null],
      ['site-a', 'ok', 'run', null, null],
      ['site-b', 'refused', 'join-run', run.runId, 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED'],
    ]);
    // Renewed: the next registration (a reconnect) joins the run.
    await recordAgreement(out, 'site-b', { kind: 'BAA', reference: 'B2', signedOn: '2026-01-01', expires: '2099-12-31' });
    await register('site-b');
    expect(coordinator.engine.store.runSites(run.runId).map((s) => `${s.site}:${s.state}`)).toEqual(['site-a:INVITED', 'site-b:INVITED']);
  }, 120_000);

  it('refuses (and audits) a submission when the kit requires agreements and agreements.json is missing or unreadable, instead of checking nothing', async () => {
    const kitDir = join(out, 'coordinator');
    expect(loadKit(kitDir).requireAgreements).toBe(true);
    const file = join(kitDir, 'agreements.json');
    const saved = readFileSync(file, 'utf8');
    const before = linesOf(join(state(), 'audit', 'audit.jsonl')).length;
    const runsBefore = coordinator.engine.store.listRuns().length;
    try {
      rmSync(file);
      await expect(submitRun(loadKit(join(out, 'alice')), SPEC, 'plain', addr)).rejects.toMatchObject({ code: 'COHORT_E_GOVERNANCE_AGREEMENTS_INVALID' });
      writeFileSync(file, '{ not json');
      await expect(submitRun(loadKit(join(out, 'alice')), SPEC, 'plain', addr)).rejects.toMatchObject({ code: 'COHORT_E_GOVERNANCE_AGREEMENTS_INVALID' });
    } finally {
      writeFileSync(file, saved);
    }
    expect(coordinator.engine.store.listRuns()).toHaveLength(runsBefore);
    const added = linesOf(join(state(), 'audit', 'audit.jsonl')).slice(before);
    expect(added.map((l) => [l.action, l.outcome, l.details.purpose, l.details.requestedBy, l.details.code])).toEqual([
      ['agreement.check', 'refused', 'run', 'alice', 'COHORT_E_GOVERNANCE_AGREEMENTS_INVALID'],
      ['agreement.check', 'refused', 'run', 'alice', 'COHORT_E_GOVERNANCE_AGREEMENTS_INVALID'],
    ]);
  }, 120_000);

  it("refuses a submission from a person whose own agreement lapsed after signing, and audits the submitter's check", async () => {
    const before = linesOf(join(state(), 'audit', 'audit.jsonl')).length;
    const runsBefore = coordinator.engine.store.listRuns().length;
    await recordAgreement(out, 'alice', { kind: 'DUA', reference: 'D1', signedOn: '2026-01-01', expires: '2026-06-30' });
    try {
      await expect(submitRun(loadKit(join(out, 'alice')), SPEC, 'plain', addr)).rejects.toMatchObject({ code: 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED' });
    } finally {
      await recordAgreement(out, 'alice', { kind: 'DUA', reference: 'D1', signedOn: '2026-01-01', expires: '2099-12-31' });
    }
    expect(coordinator.engine.store.listRuns()).toHaveLength(runsBefore);
    const submitter = linesOf(join(state(), 'audit', 'audit.jsonl')).slice(before).filter((l) => l.details.purpose === 'submit');
    expect(submitter.map((l) => [l.outcome, l.target, l.details.participant, l.details.role, l.details.state, l.details.code ?? null])).toEqual([
      ['refused', {}, 'alice', 'data-scientist', 'expired', 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED'],
    ]);
  }, 120_000);

  it('leaves a revoked (departed) site out of the check and of the invitations, instead of refusing every later run', async () => {
    // site-b leaves: its BAA ends and its certificate is revoked; the coordinator's CRL watcher reloads the kit's crl.pem.
    await recordAgreement(out, 'site-b', { kind: 'BAA', reference: 'B2', signedOn: '2026-01-01', expires: '2026-06-30' });
    await revoke(out, 'site-b', { caKey, reason: 'cessationOfOperation' });
    const deadline = Date.now() + 60_000;
    let run: { runId: string } | undefined;
    while (run === undefined) {
      try {
        run = await submitRun(loadKit(join(out, 'alice')), SPEC, 'plain', addr);
      } catch (e) {
        // Refused for site-b's lapsed BAA until the coordinator has loaded the new CRL.
        expect((e as { code: string }).code).toBe('COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED');
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect(coordinator.engine.store.runSites(run.runId).map((s) => `${s.site}:${s.state}`)).toEqual(['site-a:INVITED']);
    const last = linesOf(join(state(), 'audit', 'audit.jsonl')).filter((l) => l.action === 'agreement.check').slice(-2);
    expect(last.map((l) => [l.details.participant, l.outcome, l.details.purpose])).toEqual([['alice', 'ok', 'submit'], ['site-a', 'ok', 'run']]);
  }, 120_000);
});
