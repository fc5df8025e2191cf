import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { issueCertificate } from '../../../core/pki/ca.ts';
import { ExpiryWatch, type ExpiryWarning } from '../../../core/pki/expiry.ts';
import { generateKeyPair } from '../../../core/pki/keys.ts';
import { peerIdentity } from '../../../core/tls/peer-identity.ts';
import { newCa } from './fixtures.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

/** A real certificate for `name`, issued at NOW for `days`, as a TLS server sees its caller. */
async function caller(name: string, days: number): Promise<{ call: { getAuthContext(): { sslPeerCertificate: PeerCertificate } }; serial: string }> {
  const { ca } = await newCa('demo-consortium', { validityDays: 400, now: NOW });
  const issued = await issueCertificate(ca, { name, role: 'site', consortium: 'demo-consortium' }, (await generateKeyPair()).publicKey, { validityDays: days, now: NOW });
  const x = new X509Certificate(issued.certPem);
  const peer = { subject: { CN: name }, subjectaltname: x.subjectAltName, raw: x.raw, valid_to: x.validTo } as unknown as PeerCertificate;
  return { call: { getAuthContext: () => ({ sslPeerCertificate: peer }) }, serial: issued.serial };
}

describe('warning before a certificate expires', () => {
  it('warns once a day per certificate with fewer than 30 days left, through every authorised call', async () => {
    const warnings: ExpiryWarning[] = [];
    let clock = NOW.getTime() + 65 * DAY;
    const watch = new ExpiryWatch((w) => warnings.push(w), 30, () => clock);
    const guard = { consortium: 'demo-consortium', isRevoked: () => false, noteCertificate: (id: Parameters<ExpiryWatch['note']>[0], at: Date) => watch.note(id, at) };
    const { call, serial } = await caller('hospital-a', 90);
    const fresh = await caller('hospital-b', 365);

    peerIdentity(call, guard); // 25 days left
    peerIdentity(call, guard); // same day: no second warning
    peerIdentity(fresh.call, guard); // 300 days left: none
    clock += DAY;
    peerIdentity(call, guard);

    expect(warnings).toEqual([
      { name: 'hospital-a', role: 'site', serial, notAfter: new Date(Math.floor((NOW.getTime() + 90 * DAY) / 1000) * 1000).toISOString(), daysLeft: 25 },
      { name: 'hospital-a', role: 'site', serial, notAfter: new Date(Math.floor((NOW.getTime() + 90 * DAY) / 1000) * 1000).toISOString(), daysLeft: 24 },
    ]);
  });

  it('says nothing while more than warnDays remain', async () => {
    const warnings: ExpiryWarning[] = [];
    const watch = new ExpiryWatch((w) => warnings.push(w), 30, () => NOW.getTime() + 59 * DAY);
    watch.note({ name: 'x', role: 'site', serial: 'ab' }, new Date(NOW.getTime() + 90 * DAY));
    expect(warnings).toEqual([]);
  });
});
