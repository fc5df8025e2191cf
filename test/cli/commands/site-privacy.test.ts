import type { Command } from 'commander';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sitePrivacyCommand } from '../../../cli/commands/site-privacy.ts';
import { loadKeyFile, readSealedFile, writeSealedFile } from '../../../core/crypto/at-rest.ts';
import { LEDGER_ASSOCIATED_DATA, LEDGER_FILE, PrivacyLedger } from '../../../site-agent/privacy/ledger.ts';
import { runCli, runCliJson } from './run-cli.ts';

const register = (program: Command): void => {
  program.command('site').addCommand(sitePrivacyCommand());
};

describe('cohort site privacy', () => {
  let dir: string;
  let config: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-site-privacy-'));
    config = join(dir, 'site.yaml');
    writeFileSync(config, 'dataDir: data\nkeyFile: site.key\ndatasets: {}\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ledgerDir = (): string => join(dir, 'data', 'privacy');

  function writeLedger(): void {
    const key = loadKeyFile(join(dir, 'site.key'), { create: true });
    let t = Date.parse('2025-03-01T10:00:00.000Z');
    const ledger = PrivacyLedger.open(ledgerDir(), key, { now: () => new Date((t += 60_000)) });
    ledger.append({ runId: 'run-a', event: 'accept', round: 0, recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: 0, steps: 0 });
    ledger.append({ runId: 'run-a', event: 'round', round: 1, recordEpsilon: 0.5, siteEpsilon: Infinity, epsilon: 0.5, delta: 1e-5, steps: 20 });
    ledger.append({ runId: 'run-a', event: 'stop', round: 2, recordEpsilon: 0.75, siteEpsilon: Infinity, epsilon: 0.75, delta: 1e-5, steps: 40 });
    ledger.append({ runId: 'run-b', event: 'accept', round: 0, recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: 0, steps: 0 });
    ledger.append({ runId: 'run-b', event: 'round', round: 1, recordEpsilon: 2, siteEpsilon: 1.5, epsilon: 1.5, delta: 2e-5, steps: 10 });
  }

  it('prints each run, the totals and the verified chain as one JSON object', async () => {
    writeLedger();
    const json = await runCliJson(register, ['site', 'privacy', '--config', config, '--json']);
    expect(json).toEqual({
      ledger: join(ledgerDir(), LEDGER_FILE),
      verified: true,
      runs: [
        { runId: 'run-a', epsilon: 0.75, delta: 1e-5, recordEpsilon: 0.75, siteEpsilon: null, rounds: 2, steps: 40, lastUpdate: '2025-03-01T10:03:00.000Z', stopped: true },
        { runId: 'run-b', epsilon: 1.5, delta: 2e-5, recordEpsilon: 2, siteEpsilon: 1.5, rounds: 1, steps: 10, lastUpdate: '2025-03-01T10:05:00.000Z', stopped: false },
      ],
      total: { epsilon: 2.25, delta: 3.0000000000000004e-5 },
      // No reservations in this ledger (accepts without one): what the runs hold is what they spent.
      committed: { epsilon: 2.25, delta: 3.0000000000000004e-5 },
      budget: { maxEpsilon: 10, maxDelta: null },
      release: { recordCounts: 'rounded to 10', siteMetrics: false },
    });
  });

  it('prints a readable report without --json', async () => {
    writeLedger();
    const { out, err, exitCode } = await runCli(register, ['site', 'privacy', '--config', config]);
    expect(exitCode).toBe(0);
    expect(err).toBe('');
    expect(out).toBe(
      `privacy ledger ${join(ledgerDir(), LEDGER_FILE)}\n` +
        'chain verified: yes\n' +
        'run run-a: epsilon 0.75 (record 0.75, site unbounded), delta 0.00001, 2 rounds, 40 steps, stopped, last update 2025-03-01T10:03:00.000Z\n' +
        'run run-b: epsilon 1.5 (record 2, site 1.5), delta 0.00002, 1 rounds, 10 steps, in progress, last update 2025-03-01T10:05:00.000Z\n' +
        'total: epsilon 2.25, delta 0.00003 (sums over runs)\n' +
        'budget: epsilon maximum 10, 7.75 remaining; delta no cap\n' +
        'released without noise (policy.release): record counts rounded to 10; own metrics kept at the site; consortium metrics only as a sum of at least minSites sites\n',
    );
  });

  it("shows a running run's reservation and counts it against the cap", async () => {
    writeLedger();
    const key = loadKeyFile(join(dir, 'site.key'));
    const ledger = PrivacyLedger.open(ledgerDir(), key, { now: () => new Date('2025-03-01T11:00:00.000Z') });
    ledger.append({ runId: 'run-c', event: 'accept', round: 0, recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: 1e-5, steps: 0, reservedEpsilon: 3, reservedDelta: 1e-5 });
    const { out } = await runCli(register, ['site', 'privacy', '--config', config]);
    expect(out).toContain('run run-c: epsilon 0 (record 0, site 0), delta 0.00001, 0 rounds, 0 steps, in progress, reserved epsilon 3, last update 2025-03-01T11:00:00.000Z\n');
    expect(out).toContain('committed: epsilon 5.25, delta 0.00004 (spent, with running runs\' reservations)\n');
    expect(out).toContain('budget: epsilon maximum 10, 4.75 remaining; delta no cap\n');
  });

  it("shows an empty ledger for a site that has run nothing, with the policy's caps", async () => {
    loadKeyFile(join(dir, 'site.key'), { create: true });
    writeFileSync(config, 'dataDir: data\nkeyFile: site.key\ndatasets: {}\npolicy:\n  privacy:\n    maxEpsilon: 4\n    maxDelta: 0.001\n');
    const json = await runCliJson(register, ['site', 'privacy', '--config', config, '--json']);
    expect(json).toMatchObject({ verified: true, runs: [], total: { epsilon: 0, delta: 0 }, budget: { maxEpsilon: 4, maxDelta: 0.001 } });
  });

  it('shows a tampered ledger as not verified and exits with status 1', async () => {
    writeLedger();
    const key = loadKeyFile(join(dir, 'site.key'));
    const path = join(ledgerDir(), LEDGER_FILE);
    const payload = JSON.parse(readSealedFile(path, key, LEDGER_ASSOCIATED_DATA).toString('utf8'));
    payload.entries[2].epsilon = 0.1;
    writeSealedFile(path, key, Buffer.from(JSON.stringify(payload)), LEDGER_ASSOCIATED_DATA);
    const { out, exitCode } = await runCli(register, ['site', 'privacy', '--config', config, '--json']);
    expect(exitCode).toBe(1);
    const json = JSON.parse(out);
    expect(json.verified).toBe(false);
    expect(json.problem).toBe(
      `COHORT_E_PRIVACY_LEDGER_TAMPERED: ${path}: entry 2 does not match its hash (its content changed); the ledger was modified, or entries removed or reordered`,
    );
  });

  it('reports a missing key file with its code', async () => {
    const { err, exitCode } = await runCli(register, ['site', 'privacy', '--config', config]);
    expect(exitCode).toBe(1);
    expect(err).toBe(`error COHORT_E_SITE_KEY_FILE_MISSING: key file ${join(dir, 'site.key')} does not exist\n`);
  });
});
