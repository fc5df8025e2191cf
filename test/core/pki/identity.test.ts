import { describe, expect, it } from 'vitest';
import { identityFromCertificate, issueCertificate, normalizeSerial, type Participant } from '../../../core/pki/index.ts';
import { generateKeyPair } from '../../../core/pki/keys.ts';
import type { Role } from '../../../core/pki/roles.ts';
import { newCa } from './fixtures.ts';

/** A participant's own public key, as its request would carry it. */
async function ownKey(): Promise<CryptoKey> {
  return (await generateKeyPair()).publicKey;
}

async function issue(p: Participant): Promise<string> {
  const { ca } = await newCa();
  return (await issueCertificate(ca, p, await ownKey(), { validityDays: 5 })).certPem;
}

describe('identity from a certificate', () => {
  it('reads exact name, role, consortium and serial', async () => {
    const { ca } = await newCa();
    const issued = await issueCertificate(ca, { name: 'ann', role: 'approver', consortium: 'demo-consortium' }, await ownKey(), { validityDays: 5 });

    const id = identityFromCertificate(issued.certPem);

    expect(id).toEqual({ name: 'ann', role: 'approver', consortium: 'demo-consortium', serial: issued.serial });
    expect(issued.serial).toMatch(/^[1-7][0-9a-f]{31}$/);
    expect(identityFromCertificate(new Uint8Array(new (await import('node:crypto')).X509Certificate(issued.certPem).raw))).toEqual(id);
  });

  it('refuses a role that is not a Cohort role', async () => {
    const pem = await issue({ name: 'bob', role: 'janitor' as Role, consortium: 'demo-consortium' });
    expect(() => identityFromCertificate(pem)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PKI_CERT_IDENTITY', message: 'certificate "O=demo-consortium, OU=janitor, CN=bob": OU "janitor" is not a Cohort role' }),
    );
  });

  it('refuses text that is not a certificate', () => {
    expect(() => identityFromCertificate('not a certificate')).toThrow(expect.objectContaining({ code: 'COHORT_E_PKI_CERT_IDENTITY' }));
  });

  it('normalises serials from OpenSSL, Node and the x509 library to one form', () => {
    expect(normalizeSerial('00:AB:0c')).toBe('ab0c');
    expect(normalizeSerial('0ABC')).toBe('abc');
    expect(normalizeSerial('000')).toBe('0');
  });
});
