/**
 * A site's policy can require the operator's agreement reference before it accepts any run:
 * the kit the operator signed (through the real CLI) carries the agreement on record, and the
 * site's RunWorker declines every offer unless that agreement names the reference its IT
 * configured and is in force today. Without the policy the same offers are accepted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerProvisionCommands } from '../../cli/commands/provision.ts';
import type { Agreement } from '../../core/config/consortium.ts';
import { loadKit } from '../../core/pki/kit.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';

const SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), rounds: 1, minSites: 1 };
const PLAIN = { kind: 'plain' } as const;

describe('site policy: requireAgreementReference', () => {
  let dir: string;
  let extract: string;
  const agreements = new Map<string, Agreement | undefined>();
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-site-agreement-'));
    const pass = join(dir, 'ca.pass');
    writeFileSync(pass, 'a passphrase of some length\n', { mode: 0o600 });
    // Version 1 (agreements not required by the operator): the kits record whatever agreement the file holds.
    writeFileSync(
      join(dir, 'consortium.yaml'),
      'name: sitepol\ncoordinator: { name: coordinator, hosts: [localhost], port: 7443 }\nkeyHolder: current\n' +
        'sites:\n' +
        '  - { name: current, agreement: { kind: BAA, reference: BAA-2026-014, signedOn: "2026-01-01", expires: "2099-12-31" } }\n' +
        '  - { name: lapsed, agreement: { kind: BAA, reference: BAA-2026-014, signedOn: "2020-01-01", expires: "2020-12-31" } }\n' +
        '  - { name: none }\n',
    );
    const out = join(dir, 'prov');
    const init = await runCli(registerProvisionCommands, ['provision', 'init', join(dir, 'consortium.yaml'), '--out', out, '--ca-passphrase-file', pass, '--json']);
    // A file without version is told it requires no agreements (a warning on stderr); nothing else is said.
    expect([init.exitCode, init.err.replace(/^warning: \S+ has no version: .*\n$/, '')]).toEqual([0, '']);
    for (const name of ['current', 'lapsed', 'none']) {
      await runCliJson(registerProvisionCommands, ['enroll', '--name', name, '--out', join(out, name), '--json']);
      await runCliJson(registerProvisionCommands, ['provision', 'sign', join(out, name, `${name}.csr`), '--out', out, '--ca-passphrase-file', pass, '--json']);
      agreements.set(name, loadKit(join(out, name)).agreement);
    }
    const [h] = await generateHospitals({ sites: 1, seed: 3, rowsPerSite: 120, outDir: join(dir, 'extracts') });
    extract = h!.path;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function decide(site: string, requireAgreementReference: string | null): Promise<{ accept: boolean; reasonCode: string }> {
    const d = join(dir, `site-${n++}`);
    const config = SiteConfigSchema.parse({
      dataDir: join(d, 'state'),
      keyFile: join(d, 'at-rest.key'),
      datasets: { heart: { path: extract, columns: syntheticColumnMapping() } },
      policy: { allowPlaintext: true, requireAgreementReference, privacy: { maxEpsilon: null }, release: { recordCounts: 'exact' } },
    });
    const atRest = initSiteStorage(config);
    const agreement = agreements.get(site);
    const worker = new RunWorker({
      site, runId: `run-${n}`, spec: SPEC, config,
      states: new RunStateStore(config.dataDir, atRest), heKeys: new HeKeyStore(config.dataDir, atRest), ledger: PrivacyLedger.open(privacyLedgerDir(config.dataDir), atRest),
      ...(agreement === undefined ? {} : { agreement }),
    });
    try {
      const r = await worker.decide('alice', PLAIN);
      return { accept: r.accept, reasonCode: r.reasonCode };
    } finally {
      worker.dispose();
    }
  }

  it('the kit carries the agreement the operator had on record', () => {
    expect(agreements.get('current')).toEqual({ kind: 'BAA', reference: 'BAA-2026-014', signedOn: '2026-01-01', expires: '2099-12-31' });
    expect(agreements.get('none')).toBeUndefined();
  });

  it('accepts only when the recorded agreement names the required reference and is in force', async () => {
    expect(await decide('current', 'BAA-2026-014')).toEqual({ accept: true, reasonCode: '' });
    expect(await decide('current', 'BAA-2026-999')).toEqual({ accept: false, reasonCode: 'COHORT_E_GOVERNANCE_AGREEMENT_REFERENCE_MISMATCH' });
    expect(await decide('lapsed', 'BAA-2026-014')).toEqual({ accept: false, reasonCode: 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED' });
    expect(await decide('none', 'BAA-2026-014')).toEqual({ accept: false, reasonCode: 'COHORT_E_GOVERNANCE_AGREEMENT_REFERENCE_MISMATCH' });
  }, 120_000);

  it('without the policy the same sites accept (the check is what declines)', async () => {
    expect(await decide('lapsed', null)).toEqual({ accept: true, reasonCode: '' });
    expect(await decide('none', null)).toEqual({ accept: true, reasonCode: '' });
  }, 120_000);
});
