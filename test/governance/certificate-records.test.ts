/**
 * Certificate issuance, renewal and revocation in the provisioner's hash-chained log
 * (`.provisioner/audit/audit.jsonl`, core/governance/chain-log.ts): each record names the
 * serial, the role and the validity (not before, not after, the days asked for; for a
 * revocation the reason and the CRL number; for a renewal the serials that stay valid), all
 * equal to what the certificates themselves and state.json say, and the log holds no private
 * key, in any encoding, and no certificate.
 */
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChained } from '../../core/governance/chain-log.ts';
import { enroll } from '../../core/pki/enroll.ts';
import { provisionerPaths } from '../../core/pki/layout.ts';
import * as pki from '../../core/pki/provisioner.ts';
import { readState } from '../../core/pki/state.ts';
import { holdsKeyBytes } from '../support/key-bytes.ts';
import { caKeyOf, provisionConsortium, revoke } from '../support/provision.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const LATER = new Date('2026-03-20T09:30:00Z');
const REVOKED_AT = new Date('2026-03-21T10:00:00Z');

interface Line {
  index: number;
  time: string;
  actor: { name: string; role: string };
  action: string;
  target: Record<string, unknown>;
  outcome: string;
  details: Record<string, unknown>;
}

let dir: string;
let out: string;
const logFile = (): string => join(provisionerPaths(out).audit, 'audit.jsonl');
const lines = (): Line[] => readFileSync(logFile(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Line);

/** A certificate's SPKI SHA-256 and validity, read from the certificate itself. */
function certFacts(pem: string): { serial: string; notBefore: string; notAfter: string; publicKeySha256: string } {
  const c = new X509Certificate(pem);
  return {
    serial: c.serialNumber.toLowerCase().replace(/^0+/, ''),
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    publicKeySha256: createHash('sha256').update(c.publicKey.export({ type: 'spki', format: 'der' })).digest('hex'),
  };
}

let firstAlice: string;
let renewedAlice: string;
let renewalKeyPem: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cohort-cert-records-'));
  out = join(dir, 'kits');
  const file = join(dir, 'consortium.yaml');
  writeFileSync(file, 'name: certrec\ncoordinator: { name: coordinator, hosts: [localhost], port: 7443 }\nkeyHolder: hospital-a\nsites: [{ name: hospital-a }]\nusers: [{ name: alice, role: data-scientist }]\n');
  await provisionConsortium(file, out, { now: NOW });
  firstAlice = readFileSync(join(out, 'alice', 'alice.crt'), 'utf8');
  // Renewal: alice enrols a new key and the operator signs her request.
  const scratch = join(dir, 'alice-renewal');
  const { requestFile, keyFile } = await enroll('alice', scratch);
  renewalKeyPem = readFileSync(keyFile, 'utf8');
  await pki.signRequest(out, requestFile, { caKey: caKeyOf(out), now: LATER });
  renewedAlice = readFileSync(join(out, 'alice', 'alice.crt'), 'utf8');
  await revoke(out, 'alice', { reason: 'keyCompromise', now: REVOKED_AT });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('certificates in the provisioner\'s record', () => {
  it('records each issuance with serial, role, validity and the public key\'s hash, equal to the certificate', () => {
    const issued = lines().filter((l) => l.action === 'certificate.issue');
    expect(issued.map((l) => l.details.participant)).toEqual(['coordinator', 'hospital-a', 'alice']);
    for (const l of issued) {
      const name = l.details.participant as string;
      const pem = name === 'alice' ? firstAlice : readFileSync(join(out, name, `${name}.crt`), 'utf8');
      const f = certFacts(pem);
      expect(l).toMatchObject({ actor: { name: 'provisioner' }, outcome: 'ok', time: NOW.toISOString(), target: { certificate: f.serial, ...(name === 'hospital-a' ? { site: 'hospital-a' } : {}) } });
      expect(l.details).toEqual({
        participant: name,
        role: { coordinator: 'coordinator', 'hospital-a': 'site', alice: 'data-scientist' }[name],
        notBefore: f.notBefore,
        notAfter: f.notAfter,
        validityDays: name === 'coordinator' ? 365 : 90,
        publicKeySha256: f.publicKeySha256,
      });
    }
  });

  it('records a renewal with the new serial and validity, and the earlier serial that stays valid', () => {
    const [renewal] = lines().filter((l) => l.action === 'certificate.renew');
    const f = certFacts(renewedAlice);
    expect(renewal).toMatchObject({ outcome: 'ok', time: LATER.toISOString(), target: { certificate: f.serial } });
    expect(renewal!.details).toEqual({
      participant: 'alice',
      role: 'data-scientist',
      notBefore: f.notBefore,
      notAfter: f.notAfter,
      validityDays: 90,
      publicKeySha256: f.publicKeySha256,
      stillValidSerials: [certFacts(firstAlice).serial],
    });
    expect(f.serial).not.toBe(certFacts(firstAlice).serial);
  });

  it('records the revocation of every certificate of the name still in force, with reason, validity and CRL number', () => {
    const state = readState(out);
    const revoked = lines().filter((l) => l.action === 'certificate.revoke');
    const alice = state.issued.filter((i) => i.name === 'alice');
    expect(revoked.map((l) => [l.time, l.target.certificate, l.details])).toEqual(
      alice.map((i) => [REVOKED_AT.toISOString(), i.serial, { participant: 'alice', role: 'data-scientist', reason: 'keyCompromise', issuedAt: i.issuedAt, notAfter: i.notAfter, crlNumber: state.crlNumber }]),
    );
    expect(alice.map((i) => i.serial)).toEqual([certFacts(firstAlice).serial, certFacts(renewedAlice).serial]);
  });

  it('holds no private key (raw, base64, hex) and no certificate, and its chain verifies', () => {
    const bytes = readFileSync(logFile());
    // Every participant's key (the CA's own key is encrypted, and never leaves the provisioner's key store).
    const participantKeys = ['coordinator', 'hospital-a', 'alice'].flatMap((n) => readdirSync(join(out, n)).filter((f) => f.endsWith('.key')).map((f) => readFileSync(join(out, n, f), 'utf8')));
    const keys: Buffer[] = [renewalKeyPem, ...participantKeys].map((pem) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }));
    expect(keys.length).toBeGreaterThanOrEqual(4);
    for (const k of keys) expect(holdsKeyBytes(bytes, k)).toBe(false);
    // The check finds a key when one is there.
    expect(holdsKeyBytes(Buffer.concat([bytes, Buffer.from(keys[0]!.toString('base64'))]), keys[0]!)).toBe(true);
    expect(bytes.toString('utf8')).not.toContain('-----BEGIN');
    expect(() => verifyChained(provisionerPaths(out).audit)).not.toThrow();
  });
});
