/**
 * Provisioning by certificate request: the operator's directory holds the CA (its key
 * encrypted under a passphrase) and public material only; every participant makes its own
 * key where it is used and sends a PKCS#10 request; the role comes from the consortium file.
 * OpenSSL, which this project did not write, makes requests and verifies certificates.
 */
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPassphraseFile } from '../../../cli/demo/enroll-consortium.ts';
import type { CaKeyAccess } from '../../../core/pki/ca-key.ts';
import {
  addSite,
  addUser,
  enroll,
  identityFromCertificate,
  initProvisioner,
  loadKit,
  readCrl,
  readState,
  renewCrl,
  revoke,
  signRequest,
  verifyCrl,
} from '../../../core/pki/index.ts';
import { caught } from '../../support/caught.ts';
import { holdsKeyBytes } from '../../support/key-bytes.ts';
import { provisionConsortium } from '../../support/provision.ts';
import { DEMO_CONSORTIUM, tempDir, tempDirForTest, writeConsortium } from './fixtures.ts';

const execFileAsync = promisify(execFile);
const NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 86_400_000;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const PARTICIPANTS = ['coordinator', 'hospital-a', 'hospital-b', 'alice', 'olga'];

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);
const filesOf = (dir: string): string[] => readdirSync(dir).sort();
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}
/** The code of the CohortError a promise rejects with. */
const code = async (p: Promise<unknown>): Promise<string> => (await caught(p)).code;
const openssl = async (...args: string[]): Promise<string> => {
  const { stdout, stderr } = await execFileAsync('openssl', args);
  return `${stdout}${stderr}`;
};
describe('a consortium enrolled by certificate request', () => {
  const tmp = tempDir();
  const prov = join(tmp.dir, 'operator');
  const own = (name: string): string => join(tmp.dir, 'participants', name);
  let caKey: CaKeyAccess;

  beforeAll(async () => {
    caKey = newPassphraseFile(join(tmp.dir, 'ca.passphrase'));
    await initProvisioner(writeConsortium(tmp.dir), prov, { caKey, now: NOW });
    for (const name of PARTICIPANTS) {
      const r = await enroll(name, own(name));
      const signed = await signRequest(prov, r.requestFile, { caKey, now: NOW });
      for (const f of filesOf(signed.dir)) copyFileSync(join(signed.dir, f), join(own(name), f));
    }
  });
  afterAll(() => tmp.cleanup());

  it('keeps the CA key encrypted: ca.key is a scrypt + AES-256-GCM envelope, no PEM key', () => {
    expect(filesOf(join(prov, '.provisioner'))).toEqual(['audit', 'ca.crt', 'ca.key', 'consortium.yaml', 'crl.pem', 'state.json']);
    const caKeyText = readFileSync(join(prov, '.provisioner', 'ca.key'), 'utf8');
    expect(caKeyText).not.toContain('PRIVATE KEY');
    expect(JSON.parse(caKeyText)).toMatchObject({ v: 1, kdf: 'scrypt', N: 32768, r: 8, p: 1 });
    expect([mode(join(prov, '.provisioner')), mode(join(prov, '.provisioner', 'ca.key')), mode(join(prov, '.provisioner', 'state.json'))]).toEqual(['700', '600', '600']);
  });

  it("holds no participant's private key: the signed kits are certificate, ca.crt and kit.yaml", () => {
    expect(filesOf(prov)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);
    expect(filesOf(join(prov, 'hospital-a'))).toEqual(['ca.crt', 'hospital-a.crt', 'kit.yaml']);
    expect(filesOf(join(prov, 'coordinator'))).toEqual(['agreements.json', 'ca.crt', 'coordinator.crt', 'crl.pem', 'kit.yaml']);
    for (const name of PARTICIPANTS) {
      const der = createPrivateKey(readFileSync(join(own(name), `${name}.key`))).export({ type: 'pkcs8', format: 'der' });
      // The check finds the key where it is (its PEM file), so its silence below means something.
      expect(holdsKeyBytes(readFileSync(join(own(name), `${name}.key`)), der)).toBe(true);
      for (const f of filesUnder(prov)) {
        const bytes = readFileSync(f);
        expect(bytes.includes(Buffer.from('PRIVATE KEY')), f).toBe(false);
        expect(holdsKeyBytes(bytes, der), `${f} holds ${name}'s key`).toBe(false);
      }
    }
  });

  it("writes each participant's key 0600 where it enrolled, and the kit there loads", () => {
    expect(filesOf(own('hospital-b'))).toEqual(['ca.crt', 'hospital-b.crt', 'hospital-b.csr', 'hospital-b.key', 'kit.yaml']);
    expect(mode(join(own('hospital-b'), 'hospital-b.key'))).toBe('600');
    expect(mode(join(own('hospital-b'), 'hospital-b.csr'))).toBe('644');
    const kit = loadKit(own('coordinator'));
    expect([kit.name, kit.role, kit.consortium, kit.coordinatorAddress, kit.coordinatorServerName, kit.crlPath, kit.keyHolder]).toEqual([
      'coordinator',
      'coordinator',
      'demo-consortium',
      'localhost:7443',
      'localhost',
      join(own('coordinator'), 'crl.pem'),
      'hospital-a',
    ]);
  });

  it('certifies the key the participant made, with subject, SANs, usage and validity from the consortium file', () => {
    const site = new X509Certificate(readFileSync(join(own('hospital-a'), 'hospital-a.crt')));
    expect(site.checkPrivateKey(createPrivateKey(readFileSync(join(own('hospital-a'), 'hospital-a.key'))))).toBe(true);
    expect(site.subject).toBe('O=demo-consortium\nOU=site\nCN=hospital-a');
    expect(site.issuer).toBe('O=demo-consortium\nCN=demo-consortium Cohort CA');
    expect(site.subjectAltName).toBe('URI:cohort://demo-consortium/site/hospital-a');
    expect(site.keyUsage).toEqual([CLIENT_AUTH]);
    expect(new Date(site.validTo).getTime()).toBe(Math.floor((NOW.getTime() + 90 * DAY) / 1000) * 1000);

    const coordinator = new X509Certificate(readFileSync(join(own('coordinator'), 'coordinator.crt')));
    expect(coordinator.subjectAltName).toBe('URI:cohort://demo-consortium/coordinator/coordinator, DNS:localhost, IP Address:127.0.0.1');
    expect(coordinator.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(new Date(coordinator.validTo).getTime()).toBe(Math.floor((NOW.getTime() + 365 * DAY) / 1000) * 1000);

    const alice = new X509Certificate(readFileSync(join(own('alice'), 'alice.crt')));
    expect(alice.subject).toBe('O=demo-consortium\nOU=data-scientist\nCN=alice');
  });

  it('passes openssl verify -CAfile ca.crt, and its requests pass openssl req -verify', async () => {
    for (const name of PARTICIPANTS) {
      // At the pinned issue time: a 90-day certificate issued then has expired by now.
      expect(await openssl('verify', '-attime', String(NOW.getTime() / 1000 + DAY / 1000), '-CAfile', join(own(name), 'ca.crt'), join(own(name), `${name}.crt`))).toBe(`${join(own(name), `${name}.crt`)}: OK\n`);
    }
    const req = await openssl('req', '-in', join(own('olga'), 'olga.csr'), '-noout', '-verify', '-subject');
    expect(req).toContain('subject=CN = olga');
    expect(req).toMatch(/verify OK|Certificate request self-signature verify OK/);
  });

  it('records every certificate in state.json with its serial', () => {
    const state = readState(prov);
    expect(state.issued.map((i) => [i.name, i.role, i.revoked])).toEqual([
      ['coordinator', 'coordinator', false],
      ['hospital-a', 'site', false],
      ['hospital-b', 'site', false],
      ['alice', 'data-scientist', false],
      ['olga', 'operator', false],
    ]);
    for (const i of state.issued) expect(identityFromCertificate(readFileSync(join(own(i.name), `${i.name}.crt`), 'utf8')).serial).toBe(i.serial);
  });

  it('starts with an empty CRL signed by the CA, valid for 30 days', async () => {
    const crl = await verifyCrl(readFileSync(join(own('coordinator'), 'crl.pem'), 'utf8'), readFileSync(join(prov, '.provisioner', 'ca.crt'), 'utf8'), 'crl.pem', NOW);
    expect(crl.revokedSerials.size).toBe(0);
    expect(crl.nextUpdate?.getTime()).toBe(NOW.getTime() + 30 * DAY);
  });
});

describe('signing requests made by openssl', () => {
  const tmp = tempDir();
  const prov = join(tmp.dir, 'operator');
  let caKey: CaKeyAccess;
  beforeAll(async () => {
    caKey = newPassphraseFile(join(tmp.dir, 'ca.passphrase'));
    await initProvisioner(writeConsortium(tmp.dir), prov, { caKey });
  });
  afterAll(() => tmp.cleanup());

  async function opensslRequest(subject: string, file: string): Promise<string> {
    const path = join(tmp.dir, file);
    await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${path}.key`, '-out', path, '-subj', subject);
    return path;
  }

  it('accepts `openssl req -newkey ec ... -subj /CN=<name>` and the certificate passes openssl verify', async () => {
    const csr = await opensslRequest('/CN=alice', 'alice.csr');
    const r = await signRequest(prov, csr, { caKey });
    expect([r.name, r.role, r.renewed]).toEqual(['alice', 'data-scientist', false]);
    const cert = join(r.dir, 'alice.crt');
    expect(await openssl('verify', '-CAfile', join(prov, '.provisioner', 'ca.crt'), cert)).toBe(`${cert}: OK\n`);
    expect(new X509Certificate(readFileSync(cert)).checkPrivateKey(createPrivateKey(readFileSync(`${csr}.key`)))).toBe(true);
  });

  it('takes the role from the consortium file, never from the request', async () => {
    const csr = await opensslRequest('/O=other/OU=operator/CN=hospital-a', 'hospital-a.csr');
    const r = await signRequest(prov, csr, { caKey });
    const cert = new X509Certificate(readFileSync(join(r.dir, 'hospital-a.crt')));
    expect([r.role, cert.subject]).toEqual(['site', 'O=demo-consortium\nOU=site\nCN=hospital-a']);
  });

  it('refuses a name the consortium does not have, and writes nothing', async () => {
    const csr = await opensslRequest('/CN=mallory', 'mallory.csr');
    const before = filesUnder(prov).map((f) => [f, readFileSync(f).toString('base64')]);
    expect(await code(signRequest(prov, csr, { caKey }))).toBe('COHORT_E_PKI_REQUEST_UNKNOWN_NAME');
    expect(filesUnder(prov).map((f) => [f, readFileSync(f).toString('base64')])).toEqual(before);
  });

  it('refuses an RSA key, a changed request and a second CN as COHORT_E_PKI_REQUEST_INVALID', async () => {
    const rsa = join(tmp.dir, 'rsa.csr');
    await openssl('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${rsa}.key`, '-out', rsa, '-subj', '/CN=olga');
    expect(await code(signRequest(prov, rsa, { caKey }))).toBe('COHORT_E_PKI_REQUEST_INVALID');

    // The same request with its CN changed after signing: the self-signature no longer verifies.
    const csr = await opensslRequest('/CN=olgb', 'olgb.csr');
    const der = Buffer.from(readFileSync(csr, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('olgb'));
    der.write('olga', at);
    const changed = join(tmp.dir, 'changed.csr');
    writeFileSync(changed, der);
    expect(await code(signRequest(prov, changed, { caKey }))).toBe('COHORT_E_PKI_REQUEST_INVALID');

    const two = await opensslRequest('/CN=olga/CN=alice', 'two.csr');
    expect(await code(signRequest(prov, two, { caKey }))).toBe('COHORT_E_PKI_REQUEST_INVALID');
    expect(readState(prov).issued.map((i) => i.name)).toEqual(['alice', 'hospital-a']);
  });

  it('refuses to sign without the passphrase, with a wrong one, or from a file others can read', async () => {
    const csr = await opensslRequest('/CN=olga', 'olga.csr');
    expect(await code(signRequest(prov, csr))).toBe('COHORT_E_PKI_CA_KEY_LOCKED');
    const wrong = newPassphraseFile(join(tmp.dir, 'wrong.passphrase'));
    expect(await code(signRequest(prov, csr, { caKey: wrong }))).toBe('COHORT_E_PKI_CA_KEY_LOCKED');
    const open = join(tmp.dir, 'open.passphrase');
    copyFileSync((caKey as { passphraseFile: string }).passphraseFile, open);
    chmodSync(open, 0o644);
    expect(await code(signRequest(prov, csr, { caKey: { passphraseFile: open } }))).toBe('COHORT_E_PKI_CA_KEY_LOCKED');
    expect((await signRequest(prov, csr, { caKey })).name).toBe('olga');
  });

  it('renews by a new request: a new certificate for the new key, both recorded, revoke revokes both', async () => {
    const first = readState(prov).issued.find((i) => i.name === 'alice');
    const csr = await opensslRequest('/CN=alice', 'alice-2.csr');
    const r = await signRequest(prov, csr, { caKey });
    expect(r.renewed).toBe(true);
    expect(r.serial).not.toBe(first?.serial);
    expect(new X509Certificate(readFileSync(join(r.dir, 'alice.crt'))).checkPrivateKey(createPrivateKey(readFileSync(`${csr}.key`)))).toBe(true);
    const revoked = await revoke(prov, 'alice', { caKey });
    expect([...revoked.revokedSerials].sort()).toEqual([first?.serial, r.serial].sort());
  });
});

describe('one provision command at a time (.provisioner/lock)', () => {
  const tmp = tempDir();
  const out = join(tmp.dir, 'out');
  let caKey: CaKeyAccess;
  beforeAll(async () => {
    ({ caKey } = await provisionConsortium(writeConsortium(tmp.dir), out));
  });
  afterAll(() => tmp.cleanup());

  it('runs commands started together one after another: every issuance and revocation is kept', async () => {
    const requests = await Promise.all(['hospital-a', 'alice', 'olga'].map(async (n) => (await enroll(n, join(tmp.dir, 'again', n))).requestFile));
    const results = await Promise.all([...requests.map((r) => signRequest(out, r, { caKey })), revoke(out, 'hospital-b', { caKey }), addSite(out, 'hospital-c')]);
    const state = readState(out);
    for (const r of results.slice(0, 3) as { serial: string }[]) expect(state.issued.some((i) => i.serial === r.serial)).toBe(true);
    expect(state.issued.filter((i) => i.revoked).map((i) => i.name)).toEqual(['hospital-b']);
    expect(state.crlNumber).toBe(2);
    expect(state.consortium.sites.map((x) => x.name)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
    expect([...readCrl(readFileSync(join(out, '.provisioner', 'crl.pem'), 'utf8')).revokedSerials]).toEqual(state.issued.filter((i) => i.revoked).map((i) => i.serial));
    expect(filesOf(join(out, '.provisioner'))).toEqual(['audit', 'ca.crt', 'ca.key', 'consortium.yaml', 'crl.pem', 'state.json']);
  });

  it('waits for a command still running, then refuses with COHORT_E_PKI_BUSY and changes nothing', async () => {
    const lock = join(out, '.provisioner', 'lock');
    writeFileSync(lock, `${process.pid}\n`, { mode: 0o600 });
    try {
      const before = readFileSync(join(out, '.provisioner', 'state.json'));
      expect(await code(renewCrl(out, { caKey, lockWaitMs: 200 }))).toBe('COHORT_E_PKI_BUSY');
      expect(readFileSync(join(out, '.provisioner', 'state.json')).equals(before)).toBe(true);
    } finally {
      rmSync(lock, { force: true });
    }
  });

  it('takes over the lock of a command that was killed', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(out, '.provisioner', 'lock'), `${dead}\n`, { mode: 0o600 });
    const r = await renewCrl(out, { caKey, lockWaitMs: 200 });
    expect(r.revokedSerials.length).toBe(1);
    expect(filesOf(join(out, '.provisioner'))).toEqual(['audit', 'ca.crt', 'ca.key', 'consortium.yaml', 'crl.pem', 'state.json']);
  });
});

describe('certificates within the CA', () => {
  it('ends a certificate with its CA, however long its validity', async () => {
    const tmp = tempDirForTest();
    const file = writeConsortium(tmp.dir, DEMO_CONSORTIUM + 'pki: { caValidityDays: 100 }\n');
    const prov = join(tmp.dir, 'out');
    const caKey = newPassphraseFile(join(tmp.dir, 'p'));
    await initProvisioner(file, prov, { caKey, now: NOW });
    const { requestFile } = await enroll('coordinator', join(tmp.dir, 'coordinator'));
    const signed = await signRequest(prov, requestFile, { caKey, now: new Date(NOW.getTime() + 50 * DAY) });
    const ca = new X509Certificate(readFileSync(join(prov, '.provisioner', 'ca.crt')));
    expect(signed.notAfter).toBe(new Date(ca.validTo).toISOString());
    expect(new Date(ca.validTo).getTime()).toBe(Math.floor((NOW.getTime() + 100 * DAY) / 1000) * 1000);
  });
});

describe('changing an enrolled consortium', () => {
  it('add-site adds a name and nothing else; the site enrols and its request is signed; existing files stay byte-identical', async () => {
    const tmp = tempDirForTest();
    const out = join(tmp.dir, 'out');
    const { caKey } = await provisionConsortium(writeConsortium(tmp.dir), out);
    const before = new Map(filesUnder(out).map((f) => [f, readFileSync(f)] as const));
    expect(await addSite(out, 'hospital-c')).toEqual({ name: 'hospital-c', role: 'site' });
    expect(filesOf(out)).toEqual(['.provisioner', 'alice', 'coordinator', 'hospital-a', 'hospital-b', 'olga']);
    const { requestFile } = await enroll('hospital-c', join(tmp.dir, 'hospital-c'));
    const signed = await signRequest(out, requestFile, { caKey });
    expect([signed.name, signed.role, signed.renewed]).toEqual(['hospital-c', 'site', false]);
    // state.json and the coordinator kit's agreements.json name the new site; the provisioner's audit log only grows.
    for (const [path, bytes] of before) {
      if (path.endsWith('state.json') || path.endsWith('agreements.json')) continue;
      if (path.endsWith('audit.jsonl')) expect(readFileSync(path).subarray(0, bytes.length).equals(bytes), path).toBe(true);
      else expect(readFileSync(path).equals(bytes), path).toBe(true);
    }
    expect(readState(out).consortium.sites.map((s) => s.name)).toEqual(['hospital-a', 'hospital-b', 'hospital-c']);
  });

  it('revoke lists every serial of the name in both CRLs and re-issues nothing; crl renews', async () => {
    const tmp = tempDirForTest();
    const out = join(tmp.dir, 'out');
    const { caKey } = await provisionConsortium(writeConsortium(tmp.dir), out, { now: NOW });
    const b = readState(out).issued.find((i) => i.name === 'hospital-b');
    const certBefore = readFileSync(join(out, 'hospital-b', 'hospital-b.crt'));
    const later = new Date(NOW.getTime() + DAY);

    const r = await revoke(out, 'hospital-b', { reason: 'keyCompromise', now: later, caKey });

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
    const crl = await verifyCrl(kitCrl, readFileSync(join(out, 'coordinator', 'ca.crt'), 'utf8'), 'crl.pem', later);
    expect(crl.revoked).toEqual([{ serial: b?.serial, revokedAt: later, reason: 'keyCompromise' }]);
    expect(readFileSync(join(out, 'hospital-b', 'hospital-b.crt')).equals(certBefore)).toBe(true);
    expect(await openssl('crl', '-in', join(out, 'coordinator', 'crl.pem'), '-noout', '-CAfile', join(out, 'coordinator', 'ca.crt'))).toMatch(/verify OK/);

    const renewed = await renewCrl(out, { now: new Date(later.getTime() + DAY), caKey });
    expect(renewed.revokedSerials).toEqual([b?.serial]);
    expect(readCrl(readFileSync(join(out, 'coordinator', 'crl.pem'), 'utf8')).nextUpdate?.getTime()).toBe(later.getTime() + 31 * DAY);
  });

  it('refuses what would overwrite or confuse the consortium, with exact codes', async () => {
    const tmp = tempDirForTest();
    const out = join(tmp.dir, 'out');
    const file = writeConsortium(tmp.dir);
    const { caKey } = await provisionConsortium(file, out);
    const caBefore = readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8');
    expect(await code(initProvisioner(file, out, { caKey }))).toBe('COHORT_E_PKI_ALREADY_PROVISIONED');
    expect(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8')).toBe(caBefore);
    expect(await code(addSite(out, 'hospital-a'))).toBe('COHORT_E_PKI_NAME_EXISTS');
    expect(await code(addSite(out, 'alice'))).toBe('COHORT_E_PKI_NAME_EXISTS');
    expect(await code(addSite(out, 'Hospital_C'))).toBe('COHORT_E_PKI_INVALID_INPUT');
    expect(await code(addUser(out, 'bob', 'janitor'))).toBe('COHORT_E_PKI_INVALID_INPUT');
    expect(await code(revoke(out, 'nobody', { caKey }))).toBe('COHORT_E_PKI_UNKNOWN_NAME');
    expect(await code(revoke(out, 'alice', { reason: 'bored', caKey }))).toBe('COHORT_E_PKI_INVALID_INPUT');
    await revoke(out, 'alice', { caKey });
    expect(await code(revoke(out, 'alice', { caKey }))).toBe('COHORT_E_PKI_ALREADY_REVOKED');
    expect(await code(addSite(join(tmp.dir, 'elsewhere'), 'x'))).toBe('COHORT_E_PKI_NOT_PROVISIONED');
    expect(await code(enroll('hospital-a', join(out, 'hospital-a')))).toBe('COHORT_E_PKI_ENROLLMENT_EXISTS');
    expect(await code(initProvisioner(file, join(tmp.dir, 'no-key')))).toBe('COHORT_E_PKI_CA_KEY_LOCKED');
    writeFileSync(join(out, '.provisioner', 'state.json'), '{"version": 1}');
    expect(await code(addSite(out, 'hospital-c'))).toBe('COHORT_E_PKI_STATE_INVALID');
  });

  it('--force replaces the CA', async () => {
    const tmp = tempDirForTest();
    const out = join(tmp.dir, 'out');
    const file = writeConsortium(tmp.dir);
    await provisionConsortium(file, out);
    const caBefore = readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8');
    await provisionConsortium(file, out, { force: true });
    expect(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8')).not.toBe(caBefore);
    expect(loadKit(join(out, 'hospital-a')).caPem).toBe(readFileSync(join(out, '.provisioner', 'ca.crt'), 'utf8'));
  });

  it('refuses an invalid consortium file before writing anything', async () => {
    const tmp = tempDirForTest();
    const file = writeConsortium(tmp.dir, 'name: x\n');
    const caKey = newPassphraseFile(join(tmp.dir, 'p'));
    expect(await code(initProvisioner(file, join(tmp.dir, 'out'), { caKey }))).toBe('COHORT_E_CONFIG_INVALID');
    expect(filesOf(tmp.dir)).toEqual(['consortium.yaml', 'p']);
  });
});
