import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { newPassphraseFile } from '../../../cli/demo/enroll-consortium.ts';
import { registerProvisionCommands } from '../../../cli/commands/provision.ts';
import { loadKit, readState } from '../../../core/pki/index.ts';
import { tempDir, writeConsortium } from '../../core/pki/fixtures.ts';

/** Runs `cohort <args>` in-process; returns what it printed and the exit status it set. */
async function cohort(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { out, err, exitCode } = await runCli(registerProvisionCommands, args);
  return { stdout: out, stderr: err, exitCode };
}

describe('cohort enroll and cohort provision', () => {
  let tmp: ReturnType<typeof tempDir>;
  let out: string;
  let pass: string;
  beforeEach(() => {
    tmp = tempDir('cohort-cli-');
    out = join(tmp.dir, 'operator');
    pass = (newPassphraseFile(join(tmp.dir, 'ca.passphrase')) as { passphraseFile: string }).passphraseFile;
  });
  afterEach(() => tmp.cleanup());

  it('creates the CA from the bare form `provision <file> --out --ca-passphrase-file` and lists who is to enrol', async () => {
    const r = await cohort('provision', writeConsortium(tmp.dir), '--out', out, '--ca-passphrase-file', pass);
    // The test file has no version: init says it requires no agreements.
    expect([r.exitCode, r.stderr.replace(/^warning: \S+ has no version: .*\n$/, '')]).toEqual([0, '']);
    expect(r.stderr).toMatch(/^warning: /);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `created the CA of consortium demo-consortium in ${out} (CA key: encrypted under the passphrase)`,
      'participants to enrol (each runs `cohort enroll --name <name> --out <dir>` and sends you <name>.csr):',
    ]);
    expect(r.stdout).toMatch(/^ {2}hospital-b +site$/m);
    expect(readdirSync(out)).toEqual(['.provisioner']);
  });

  it('enrols, signs, adds a site and revokes, each with --json', async () => {
    await cohort('provision', 'init', writeConsortium(tmp.dir), '--out', out, '--ca-passphrase-file', pass, '--json');
    const mine = join(tmp.dir, 'hospital-a');
    const enrolled = await cohort('enroll', '--name', 'hospital-a', '--out', mine, '--json');
    expect(enrolled.exitCode).toBe(0);
    const e = JSON.parse(enrolled.stdout) as { keyFile: string; requestFile: string; publicKeySha256: string };
    expect([e.keyFile, e.requestFile]).toEqual([join(mine, 'hospital-a.key'), join(mine, 'hospital-a.csr')]);

    const signed = await cohort('provision', 'sign', e.requestFile, '--out', out, '--ca-passphrase-file', pass, '--json');
    expect(signed.exitCode).toBe(0);
    expect(JSON.parse(signed.stdout)).toMatchObject({ name: 'hospital-a', role: 'site', dir: join(out, 'hospital-a'), renewed: false, publicKeySha256: e.publicKeySha256 });
    expect(readdirSync(join(out, 'hospital-a')).sort()).toEqual(['ca.crt', 'hospital-a.crt', 'kit.yaml']);

    expect(JSON.parse((await cohort('provision', 'add-site', 'hospital-d', '--out', out, '--json')).stdout)).toEqual({ name: 'hospital-d', role: 'site' });
    const d = JSON.parse((await cohort('enroll', '--name', 'hospital-d', '--out', join(tmp.dir, 'hospital-d'), '--json')).stdout) as { requestFile: string };
    const dSigned = JSON.parse((await cohort('provision', 'sign', d.requestFile, '--out', out, '--ca-passphrase-file', pass, '--json')).stdout) as { serial: string };

    const revoked = await cohort('provision', 'revoke', 'hospital-d', '--out', out, '--reason', 'superseded', '--ca-passphrase-file', pass, '--json');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ name: 'hospital-d', reason: 'superseded', revokedSerials: [dSigned.serial] });
    expect(readState(out).issued.filter((i) => i.revoked).map((i) => i.name)).toEqual(['hospital-d']);
  });

  it('refuses a request for a name not in the consortium, writing nothing, and a CA command without its passphrase', async () => {
    await cohort('provision', writeConsortium(tmp.dir), '--out', out, '--ca-passphrase-file', pass);
    const m = JSON.parse((await cohort('enroll', '--name', 'mallory', '--out', join(tmp.dir, 'mallory'), '--json')).stdout) as { requestFile: string };
    const refused = await cohort('provision', 'sign', m.requestFile, '--out', out, '--ca-passphrase-file', pass, '--json');
    expect(refused.exitCode).toBe(1);
    expect(JSON.parse(refused.stderr)).toEqual({
      error: {
        code: 'COHORT_E_PKI_REQUEST_UNKNOWN_NAME',
        message: `${m.requestFile} asks for "mallory", which is not a participant of consortium demo-consortium; nothing was written`,
        details: { name: 'mallory', source: m.requestFile },
      },
    });
    expect(readdirSync(out)).toEqual(['.provisioner']);
    expect(readState(out).issued).toEqual([]);

    const locked = await cohort('provision', 'crl', '--out', out);
    expect(locked.exitCode).toBe(1);
    expect(locked.stderr).toBe('error COHORT_E_PKI_CA_KEY_LOCKED: pass --ca-passphrase-file <file> to unlock the CA key\n');
    const both = await cohort('provision', 'crl', '--out', out, '--ca-passphrase-file', pass, '--hsm', join(tmp.dir, 'x.yaml'));
    expect(both.stderr).toBe('error COHORT_E_GENERAL_USAGE: give either --ca-passphrase-file or --hsm, not both\n');
  });

  it('reports refusals as `error <CODE>` on stderr, or as JSON with --json', async () => {
    await cohort('provision', writeConsortium(tmp.dir), '--out', out, '--ca-passphrase-file', pass);
    const again = await cohort('provision', writeConsortium(tmp.dir), '--out', out, '--ca-passphrase-file', pass);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe(`error COHORT_E_PKI_ALREADY_PROVISIONED: ${out} already holds a provisioned consortium (${join(out, '.provisioner')}); pass --force to replace it\n`);

    const unknown = await cohort('provision', 'revoke', 'nobody', '--out', out, '--ca-passphrase-file', pass, '--json');
    expect(unknown.exitCode).toBe(1);
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: { code: 'COHORT_E_PKI_UNKNOWN_NAME', message: `no certificate was issued to "nobody" in ${out}`, details: { name: 'nobody' } },
    });

    const bad = await cohort('provision', 'add-site', 'Bad_Name', '--out', out);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.startsWith('error COHORT_E_PKI_INVALID_INPUT: ')).toBe(true);
  });

  it('replaces a consortium with --force: a new CA, so old certificates no longer chain', async () => {
    const file = writeConsortium(tmp.dir);
    await cohort('provision', file, '--out', out, '--ca-passphrase-file', pass);
    const mine = join(tmp.dir, 'olga');
    await cohort('enroll', '--name', 'olga', '--out', mine);
    await cohort('provision', 'sign', join(mine, 'olga.csr'), '--out', out, '--ca-passphrase-file', pass);
    for (const f of ['olga.crt', 'ca.crt', 'kit.yaml']) copyFileSync(join(out, 'olga', f), join(mine, f));
    const before = loadKit(mine).caPem;
    const r = await cohort('provision', file, '--out', out, '--force', '--ca-passphrase-file', pass);
    expect(r.exitCode).toBe(0);
    expect(readState(out).issued).toEqual([]);
    expect(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8')).not.toBe(before);
  });
});
