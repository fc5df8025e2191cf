import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { registerProvisionCommands } from '../../../cli/commands/provision.ts';
import { readState } from '../../../core/pki/index.ts';
import { tempDir, writeConsortium } from '../../core/pki/fixtures.ts';

/** Runs `cohort <args>` in-process; returns what it printed and the exit status it set. */
async function cohort(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const { out, err, exitCode } = await runCli(registerProvisionCommands, args);
  return { stdout: out, stderr: err, exitCode };
}

describe('cohort provision', () => {
  let tmp: ReturnType<typeof tempDir>;
  let out: string;
  beforeEach(() => {
    tmp = tempDir('cohort-cli-');
    out = join(tmp.dir, 'kits');
  });
  afterEach(() => tmp.cleanup());

  it('provisions from the bare form `provision <file> --out` and lists the kits written', async () => {
    const r = await cohort('provision', writeConsortium(tmp.dir), '--out', out);
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `provisioned consortium demo-consortium in ${out}`,
      'kits written (give each participant its own directory; keep .provisioner/ offline and backed up):',
    ]);
    expect(r.stdout).toMatch(/^ {2}hospital-b +site +\S+hospital-b$/m);
    expect(readdirSync(out).sort()).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);
  });

  it('adds a site, adds a user and revokes, each as a subcommand with --json', async () => {
    await cohort('provision', 'init', writeConsortium(tmp.dir), '--out', out, '--json');

    const site = await cohort('provision', 'add-site', 'hospital-d', '--out', out, '--json');
    expect(site.exitCode).toBe(0);
    expect(JSON.parse(site.stdout)).toMatchObject({ name: 'hospital-d', role: 'site', dir: join(out, 'hospital-d') });

    const user = await cohort('provision', 'add-user', 'aud', '--role', 'auditor', '--out', out, '--json');
    expect(JSON.parse(user.stdout)).toMatchObject({ name: 'aud', role: 'auditor' });

    const revoked = await cohort('provision', 'revoke', 'hospital-d', '--out', out, '--reason', 'superseded', '--json');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ name: 'hospital-d', reason: 'superseded', revokedSerials: [JSON.parse(site.stdout).serial] });
    expect(readState(out).issued.filter((i) => i.revoked).map((i) => i.name)).toEqual(['hospital-d']);
  });

  it('reports refusals as `error <CODE>` on stderr with exit status 1, or as JSON with --json', async () => {
    await cohort('provision', writeConsortium(tmp.dir), '--out', out);

    const again = await cohort('provision', writeConsortium(tmp.dir), '--out', out);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toBe(`error COHORT_E_PKI_ALREADY_PROVISIONED: ${out} already holds a provisioned consortium (${join(out, '.provisioner')}); pass --force to replace it\n`);

    const unknown = await cohort('provision', 'revoke', 'nobody', '--out', out, '--json');
    expect(unknown.exitCode).toBe(1);
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: { code: 'COHORT_E_PKI_UNKNOWN_NAME', message: `no certificate was issued to "nobody" in ${out}`, details: { name: 'nobody' } },
    });

    const bad = await cohort('provision', 'add-site', 'Bad_Name', '--out', out);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.startsWith('error COHORT_E_PKI_INVALID_INPUT: ')).toBe(true);
  });

  it('replaces a consortium with --force', async () => {
    const file = writeConsortium(tmp.dir);
    await cohort('provision', file, '--out', out);
    const first = readState(out).issued[0]?.serial;
    const r = await cohort('provision', file, '--out', out, '--force');
    expect(r.exitCode).toBe(0);
    expect(readState(out).issued[0]?.serial).not.toBe(first);
  });
});
