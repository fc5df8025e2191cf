/**
 * The consortium file's agreement fields: version, requireAgreements and its default, each
 * problem reported with its path; and the day arithmetic of an agreement's state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agreementsRequired, loadConsortiumFile } from '../../core/config/consortium.ts';
import { agreementStatus } from '../../core/governance/agreements.ts';
import { caughtSync } from '../support/caught.ts';
import { registerProvisionCommands } from '../../cli/commands/provision.ts';
import { runCli } from '../cli/commands/run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'cohort-consortium-agreements-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const load = (text: string) => {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  return loadConsortiumFile(file);
};
const base = (head: string, site = '{ name: s1 }') => `${head}name: c\ncoordinator: { name: coord, hosts: [localhost], port: 1 }\nkeyHolder: s1\nsites: [ ${site} ]\n`;

describe('consortium agreements', () => {
  it('requires agreements by default in version 2, not in a file without version, and as the file says otherwise', () => {
    expect(agreementsRequired(load(base('version: 2\n')))).toBe(true);
    expect(agreementsRequired(load(base('')))).toBe(false);
    expect(agreementsRequired(load(base('version: 2\nrequireAgreements: false\n')))).toBe(false);
    expect(agreementsRequired(load(base('requireAgreements: true\n')))).toBe(true);
  });

  it('keeps an agreement as written', () => {
    const c = load(base('version: 2\n', '{ name: s1, agreement: { kind: DUA, reference: DUA-1, signedOn: "2026-02-01", expires: "2027-01-31" } }'));
    expect(c.sites[0]!.agreement).toEqual({ kind: 'DUA', reference: 'DUA-1', signedOn: '2026-02-01', expires: '2027-01-31' });
  });

  it('reports every problem of an agreement with its path', () => {
    const e = caughtSync(() => load(base('version: 3\n', '{ name: s1, agreement: { kind: NDA, reference: "two words", signedOn: "2026-02-30", expires: "2026-13-01", extra: 1 } }')));
    expect(e.code).toBe('COHORT_E_CONFIG_INVALID');
    expect((e.details.problems as string[]).map((p) => p.split(':')[0]).sort()).toEqual([
      'sites[0].agreement.expires',
      'sites[0].agreement.extra',
      'sites[0].agreement.kind',
      'sites[0].agreement.reference',
      'sites[0].agreement.signedOn',
      'version',
    ]);
    const order = caughtSync(() => load(base('', '{ name: s1, agreement: { kind: BAA, reference: B-1, signedOn: "2026-02-01", expires: "2026-01-31" } }')));
    expect(order.details.problems).toEqual(['sites[0].agreement.expires: expires must not be before signedOn']);
  });

  it('is current from signedOn through expires, UTC days, both included', () => {
    const a = { kind: 'BAA' as const, reference: 'B', signedOn: '2026-03-01', expires: '2026-03-31' };
    expect(agreementStatus(a, new Date('2026-02-28T23:59:59.999Z'))).toEqual({ state: 'not-yet', daysLeft: 31 });
    expect(agreementStatus(a, new Date('2026-03-01T00:00:00Z'))).toEqual({ state: 'current', daysLeft: 30 });
    expect(agreementStatus(a, new Date('2026-03-31T23:59:59.999Z'))).toEqual({ state: 'current', daysLeft: 0 });
    expect(agreementStatus(a, new Date('2026-04-01T00:00:00Z'))).toEqual({ state: 'expired', daysLeft: -1 });
    expect(agreementStatus(undefined, new Date())).toEqual({ state: 'missing', daysLeft: null });
  });

  it('provision init warns on stderr when the file has no version (it predates agreements and requires none)', async () => {
    const pass = join(dir, 'pass');
    writeFileSync(pass, 'a passphrase of some length\n', { mode: 0o600 });
    const old = join(dir, 'old.yaml');
    writeFileSync(old, base(''));
    const r = await runCli(registerProvisionCommands, ['provision', 'init', old, '--out', join(dir, 'p-old'), '--ca-passphrase-file', pass, '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.err).toContain('has no version: it is read as version 1, written before agreements existed, and requires none');
    const fresh = join(dir, 'new.yaml');
    writeFileSync(fresh, base('version: 2\n', '{ name: s1, agreement: { kind: BAA, reference: B, signedOn: "2026-01-01", expires: "2099-12-31" } }'));
    const r2 = await runCli(registerProvisionCommands, ['provision', 'init', fresh, '--out', join(dir, 'p-new'), '--ca-passphrase-file', pass, '--json']);
    expect([r2.exitCode, r2.err]).toEqual([0, '']);
  }, 60_000);
});
