import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addSite,
  addUser,
  identityFromCertificate,
  loadKit,
  provisionConsortium,
  readCrl,
  readState,
  renewCrl,
  revoke,
  verifyCrl,
  type ProvisionResult,
} from '../../../core/pki/index.ts';
import { provisionedForTest, tempDir, writeConsortium } from './fixtures.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8);
}

function filesOf(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('provisioning a two-site consortium', () => {
  const tmp = tempDir();
  const out = join(tmp.dir, 'out');
  let result: ProvisionResult;

  beforeAll(async () => {
    result = await provisionConsortium(writeConsortium(tmp.dir), out, { now: NOW });
  });
  afterAll(() => tmp.cleanup());

  it('writes one kit per participant and the provisioner state, nothing else', () => {
    expect(filesOf(out)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);
    expect(result.kits.map((k) => [k.name, k.role])).toEqual([
      ['coordinator', 'coordinator'],
      ['hospital-a', 'site'],
      ['hospital-b', 'site'],
      ['alice', 'data-scientist'],
      ['olga', 'operator'],
    ]);
    expect(filesOf(join(out, '.provisioner'))).toEqual(['ca.crt', 'ca.key', 'consortium.yaml', 'crl.pem', 'state.json']);
  });

  it('puts only its own key in each kit, never the CA key, and the CRL only in the coordinator kit', () => {
    expect(filesOf(join(out, 'coordinator'))).toEqual(['ca.crt', 'coordinator.crt', 'coordinator.key', 'crl.pem', 'kit.yaml']);
    expect(filesOf(join(out, 'hospital-a'))).toEqual(['ca.crt', 'hospital-a.crt', 'hospital-a.key', 'kit.yaml']);
    expect(filesOf(join(out, 'hospital-b'))).toEqual(['ca.crt', 'hospital-b.crt', 'hospital-b.key', 'kit.yaml']);
    expect(filesOf(join(out, 'alice'))).toEqual(['alice.crt', 'alice.key', 'ca.crt', 'kit.yaml']);
    const caKey = readFileSync(join(out, '.provisioner', 'ca.key'), 'utf8');
    const keys = result.kits.map((k) => readFileSync(join(k.dir, `${k.name}.key`), 'utf8'));
    expect(new Set([caKey, ...keys]).size).toBe(keys.length + 1);
  });

  it('makes keys and the provisioner state owner-only', () => {
    expect(mode(join(out, '.provisioner'))).toBe('700');
    expect(mode(join(out, '.provisioner', 'ca.key'))).toBe('600');
    expect(mode(join(out, '.provisioner', 'state.json'))).toBe('600');
    for (const kit of result.kits) {
      expect(mode(kit.dir)).toBe('700');
      expect(mode(join(kit.dir, `${kit.name}.key`))).toBe('600');
      expect(mode(join(kit.dir, `${kit.name}.crt`))).toBe('644');
    }
  });

  it('issues certificates whose subject, SANs and key usage carry identity and role (read by OpenSSL)', () => {
    const site = new X509Certificate(readFileSync(join(out, 'hospital-a', 'hospital-a.crt')));
    expect(site.subject).toBe('O=demo-consortium\nOU=site\nCN=hospital-a');
    expect(site.issuer).toBe('O=demo-consortium\nCN=demo-consortium Cohort CA');
    expect(site.subjectAltName).toBe('URI:cohort://demo-consortium/site/hospital-a');
    expect(site.keyUsage).toEqual([CLIENT_AUTH]);
    expect(site.ca).toBe(false);
    expect(new Date(site.validTo).getTime()).toBe(Math.floor((NOW.getTime() + 825 * DAY) / 1000) * 1000);

    const coordinator = new X509Certificate(readFileSync(join(out, 'coordinator', 'coordinator.crt')));
    expect(coordinator.subject).toBe('O=demo-consortium\nOU=coordinator\nCN=coordinator');
    expect(coordinator.subjectAltName).toBe('URI:cohort://demo-consortium/coordinator/coordinator, DNS:localhost, IP Address:127.0.0.1');
    expect(coordinator.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);

    const alice = new X509Certificate(readFileSync(join(out, 'alice', 'alice.crt')));
    expect(alice.subject).toBe('O=demo-consortium\nOU=data-scientist\nCN=alice');
    expect(alice.subjectAltName).toBe('URI:cohort://demo-consortium/data-scientist/alice');

    const ca = new X509Certificate(readFileSync(join(out, '.provisioner', 'ca.crt')));
    expect(ca.ca).toBe(true);
    for (const cert of [site, coordinator, alice]) {
      expect(cert.checkIssued(ca)).toBe(true);
      expect(cert.verify(ca.publicKey)).toBe(true);
    }
  });

  it('writes kit.yaml with the coordinator address, the key holder and paths relative to the kit', () => {
    expect(readFileSync(join(out, 'hospital-b', 'kit.yaml'), 'utf8')).toBe(
      '# Cohort credentials kit. Keep hospital-b.key secret.\n' +
        'name: hospital-b\nrole: site\nconsortium: demo-consortium\ncoordinatorAddress: localhost:7443\n' +
        'coordinatorServerName: localhost\nca: ca.crt\ncertificate: hospital-b.crt\nkey: hospital-b.key\nkeyHolder: hospital-a\n',
    );
    const kit = loadKit(join(out, 'coordinator'));
    expect([kit.name, kit.role, kit.consortium, kit.coordinatorAddress, kit.crlPath, kit.keyHolder]).toEqual([
      'coordinator',
      'coordinator',
      'demo-consortium',
      'localhost:7443',
      join(out, 'coordinator', 'crl.pem'),
      'hospital-a',
    ]);
  });

  it('records every issued certificate in state.json with its serial', () => {
    const state = readState(out);
    expect(state.issued.map((i) => [i.name, i.role, i.serial, i.revoked])).toEqual(result.kits.map((k) => [k.name, k.role, k.serial, false]));
    for (const k of result.kits) {
      expect(identityFromCertificate(readFileSync(join(k.dir, `${k.name}.crt`), 'utf8')).serial).toBe(k.serial);
    }
  });

  it('starts with an empty CRL signed by the CA, valid for 30 days', async () => {
    const crl = await verifyCrl(readFileSync(join(out, 'coordinator', 'crl.pem'), 'utf8'), readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8'), 'crl.pem', NOW);
    expect(crl.revokedSerials.size).toBe(0);
    expect(crl.nextUpdate?.getTime()).toBe(NOW.getTime() + 30 * DAY);
  });
});

describe('changing a provisioned consortium', () => {
  it('add-site issues exactly one new kit and leaves every existing file byte-identical', async () => {
    const { out, result: first } = await provisionedForTest();
    const before = new Map(first.kits.flatMap((k) => filesOf(k.dir).map((f) => [join(k.dir, f), readFileSync(join(k.dir, f))] as const)));
    before.set(join(out, '.provisioner', 'ca.crt'), readFileSync(join(out, '.provisioner', 'ca.crt')));

    const added = await addSite(out, 'hospital-c');

    expect([added.name, added.role, added.dir]).toEqual(['hospital-c', 'site', join(out, 'hospital-c')]);
    expect(filesOf(out)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'hospital-c', 'olga']);
    expect(filesOf(added.dir)).toEqual(['ca.crt', 'hospital-c.crt', 'hospital-c.key', 'kit.yaml']);
    for (const [path, bytes] of before) expect(readFileSync(path).equals(bytes), path).toBe(true);
    expect(loadKit(added.dir).name).toBe('hospital-c');
    const state = readState(out);
    expect(state.consortium.sites.map((s) => s.name)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect(state.issued.at(-1)?.serial).toBe(added.serial);
  });

  it('revoke lists the serial in the CRL of the provisioner and of the coordinator kit, and re-issues nothing', async () => {
    const { out, result: first } = await provisionedForTest({ now: NOW });
    const b = first.kits.find((k) => k.name === 'hospital-b');
    const certBefore = readFileSync(join(out, 'hospital-b', 'hospital-b.crt'));
    const later = new Date(NOW.getTime() + DAY);

    const r = await revoke(out, 'hospital-b', { reason: 'keyCompromise', now: later });

    expect(r).toEqual({
      name: 'hospital-b',
      role: 'site',
      serial: b?.serial,
      reason: 'keyCompromise',
      crlFiles: [join(out, '.provisioner', 'crl.pem'), join(out, 'coordinator', 'crl.pem')],
      revokedSerials: [b?.serial],
    });
    const kitCrl = readFileSync(join(out, 'coordinator', 'crl.pem'), 'utf8');
    expect(readFileSync(join(out, '.provisioner', 'crl.pem'), 'utf8')).toBe(kitCrl);
    expect(kitCrl.startsWith('-----BEGIN X509 CRL-----\n')).toBe(true);
    const crl = await verifyCrl(kitCrl, readFileSync(join(out, 'coordinator', 'ca.crt'), 'utf8'), 'crl.pem', later);
    expect(crl.revoked).toEqual([{ serial: b?.serial, revokedAt: later, reason: 'keyCompromise' }]);
    expect(crl.nextUpdate?.getTime()).toBe(later.getTime() + 30 * DAY);
    expect(readFileSync(join(out, 'hospital-b', 'hospital-b.crt')).equals(certBefore)).toBe(true);
    const record = readState(out).issued.find((i) => i.name === 'hospital-b');
    expect([record?.revoked, record?.revokedAt, record?.reason]).toEqual([true, later.toISOString(), 'keyCompromise']);

    const renewed = await renewCrl(out, { now: new Date(later.getTime() + DAY) });
    expect(renewed.revokedSerials).toEqual([b?.serial]);
    expect(readCrl(readFileSync(join(out, 'coordinator', 'crl.pem'), 'utf8')).nextUpdate?.getTime()).toBe(later.getTime() + 31 * DAY);
  });

  it('refuses what would overwrite or confuse the consortium, with exact codes', async () => {
    const { tmp, file, out } = await provisionedForTest();
    const caBefore = readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8');

    await expect(provisionConsortium(file, out)).rejects.toMatchObject({ code: 'COHORT_E_PKI_ALREADY_PROVISIONED' });
    expect(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8')).toBe(caBefore);
    await expect(addSite(out, 'hospital-a')).rejects.toMatchObject({ code: 'COHORT_E_PKI_NAME_EXISTS' });
    await expect(addSite(out, 'alice')).rejects.toMatchObject({ code: 'COHORT_E_PKI_NAME_EXISTS' });
    await expect(addSite(out, 'Hospital_C')).rejects.toMatchObject({ code: 'COHORT_E_PKI_INVALID_INPUT' });
    await expect(addUser(out, 'bob', 'janitor')).rejects.toMatchObject({ code: 'COHORT_E_PKI_INVALID_INPUT' });
    await expect(revoke(out, 'nobody')).rejects.toMatchObject({ code: 'COHORT_E_PKI_UNKNOWN_NAME' });
    await expect(revoke(out, 'alice', { reason: 'bored' })).rejects.toMatchObject({ code: 'COHORT_E_PKI_INVALID_INPUT' });
    await revoke(out, 'alice');
    await expect(revoke(out, 'alice')).rejects.toMatchObject({ code: 'COHORT_E_PKI_ALREADY_REVOKED' });
    await expect(addSite(join(tmp, 'elsewhere'), 'x')).rejects.toMatchObject({ code: 'COHORT_E_PKI_NOT_PROVISIONED' });
    expect(filesOf(out)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);

    writeFileSync(join(out, '.provisioner', 'state.json'), '{"version": 1}');
    await expect(addSite(out, 'hospital-c')).rejects.toMatchObject({ code: 'COHORT_E_PKI_STATE_INVALID' });
  });

  it('--force replaces the CA and every kit', async () => {
    const { file, out } = await provisionedForTest();
    await addSite(out, 'hospital-c');
    const caBefore = readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8');

    await provisionConsortium(file, out, { force: true });

    expect(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8')).not.toBe(caBefore);
    expect(filesOf(out)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);
    expect(loadKit(join(out, 'hospital-a')).caPem).toBe(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8'));
  });

  it('refuses an invalid consortium file before writing anything', async () => {
    const tmp = tempDir();
    try {
      const file = writeConsortium(tmp.dir, 'name: x\n');
      await expect(provisionConsortium(file, join(tmp.dir, 'out'))).rejects.toMatchObject({ code: 'COHORT_E_CONFIG_INVALID' });
      expect(filesOf(tmp.dir)).toEqual(['consortium.yaml']);
    } finally {
      tmp.cleanup();
    }
  });
});
