import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crlNumberOf } from '../../../core/pki/crl.ts';
import { createCrl, readCrl, verifyCrl } from '../../../core/pki/index.ts';
import { x509 } from '../../../core/pki/x509.ts';
import { newCa } from './fixtures.ts';

const NOW = new Date('2026-05-01T00:00:00Z');
const DAY = 86_400_000;

const ca = (name = 'demo-consortium'): ReturnType<typeof newCa> => newCa(name, { validityDays: 100, now: NOW });

describe('certificate revocation list', () => {
  it('lists revoked serials with date and reason, signed by the CA, with nextUpdate', async () => {
    const { certPem, ca: authority } = await ca();
    const revoked = [
      { serial: '1a2b3c', revokedAt: new Date('2026-04-01T00:00:00Z'), reason: 'keyCompromise' as const },
      { serial: '7f00', revokedAt: new Date('2026-04-02T00:00:00Z'), reason: 'unspecified' as const },
    ];

    const pem = await createCrl(authority, revoked, { validityDays: 30, crlNumber: 7, now: NOW });
    const crl = await verifyCrl(pem, certPem, 'crl.pem', NOW);

    expect(crl.issuer).toBe('O=demo-consortium, CN=demo-consortium Cohort CA');
    expect(crl.thisUpdate).toEqual(NOW);
    expect(crl.nextUpdate).toEqual(new Date(NOW.getTime() + 30 * DAY));
    expect(crl.revoked).toEqual([
      { serial: '1a2b3c', revokedAt: new Date('2026-04-01T00:00:00Z'), reason: 'keyCompromise' },
      { serial: '7f00', revokedAt: new Date('2026-04-02T00:00:00Z'), reason: 'unspecified' },
    ]);
    expect([...crl.revokedSerials]).toEqual(['1a2b3c', '7f00']);
  });

  it('refuses a CRL from another CA, an expired CRL, and garbage', async () => {
    const mine = await ca();
    const other = await ca('other-consortium');
    const foreign = await createCrl(other.ca, [], { validityDays: 30, crlNumber: 1, now: NOW });
    await expect(verifyCrl(foreign, mine.certPem, 'crl.pem', NOW)).rejects.toMatchObject({ code: 'COHORT_E_PKI_CRL_INVALID' });

    const impostor = await ca('demo-consortium'); // same subject, different key
    const forged = await createCrl(impostor.ca, [], { validityDays: 30, crlNumber: 1, now: NOW });
    await expect(verifyCrl(forged, mine.certPem, 'crl.pem', NOW)).rejects.toMatchObject({
      code: 'COHORT_E_PKI_CRL_INVALID',
      message: 'CRL crl.pem has a signature the consortium CA did not make',
    });

    const crl = await createCrl(mine.ca, [], { validityDays: 30, crlNumber: 1, now: NOW });
    await expect(verifyCrl(crl, mine.certPem, 'crl.pem', new Date(NOW.getTime() + 31 * DAY))).rejects.toMatchObject({
      code: 'COHORT_E_PKI_CRL_INVALID',
      message: 'CRL crl.pem expired at 2026-05-31T00:00:00.000Z (nextUpdate)',
    });
    expect(() => readCrl('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n')).toThrow(expect.objectContaining({ code: 'COHORT_E_PKI_CRL_INVALID' }));
  });

  it('reads back the CRL number it wrote, as openssl reads it', async () => {
    const { ca: authority } = await ca();
    const dir = mkdtempSync(join(tmpdir(), 'cohort-crlnum-'));
    try {
      for (const n of [1, 127, 128, 300, 65_536]) {
        const pem = await createCrl(authority, [], { validityDays: 30, crlNumber: n, now: NOW });
        writeFileSync(join(dir, 'c.pem'), pem);
        const printed = execFileSync('openssl', ['crl', '-in', join(dir, 'c.pem'), '-noout', '-crlnumber'], { encoding: 'utf8' }).trim();
        expect([n, Number.parseInt(printed.replace(/^crlNumber=(0x)?/, ''), 16)]).toEqual([n, n]);
        expect(crlNumberOf(new x509.X509Crl(pem))).toBe(n);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
