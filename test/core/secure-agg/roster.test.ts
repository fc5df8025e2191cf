/**
 * Key custody at the key holder, with real certificates, real X25519 keys, a real consortium
 * key and real CRLs (./ceremony-pki.ts; the test holds the CA key, as the operator does):
 * the roster holds back a site whose certificate or exchange key the operator replaced (which
 * without the roster gets the HE key sealed to the operator's key) and a new site, until the
 * key holder's IT confirms the announced fingerprint; announcements that expired, are dated in
 * the future, live too long or are played back are refused with their own codes; so are sites
 * the key holder's own CRL revokes, and CRLs that are stale or not the consortium CA's. The
 * mirror image at the sites: a sealed key from a certificate the operator issued for the key
 * holder's name (which, without the sites' pin of the key holder's key, a site opens and keeps)
 * is refused, and a site with no pin opens nothing.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { caught } from '../../models/helpers.ts';
import { refusal } from '../../support/in-process-coordinator.ts';
import { SecureAggErrors } from '../../../core/errors/index.ts';
import { verifyCeremonyCrl, type CeremonyCrl } from '../../../core/secure-agg/crl-check.ts';
import { certificateFingerprint, exchangeKeyFingerprint, isFingerprint, signingKeyFingerprint } from '../../../core/secure-agg/fingerprints.ts';
import {
  ANNOUNCEMENT_CLOCK_SKEW_MS,
  announceExchangeKey,
  generateExchangeKey,
  openSealedKey,
  sealSecretKey,
  verifyExchangeKey,
  type ExchangeKeyAnnouncement,
} from '../../../core/secure-agg/key-ceremony.ts';
import { describeSecretKey, generateConsortiumKey, type ConsortiumKey } from '../../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../../core/secure-agg/parameters.ts';
import { confirmMember, emptyRoster, parseRoster, screenAnnouncements, type Roster } from '../../../core/secure-agg/roster.ts';
import { testCa, type TestCa, type TestIdentity } from './ceremony-pki.ts';
import { relabelledKey } from '../../support/key-bytes.ts';

const CONSORTIUM = 'custody-test';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const code = (def: { code: string }): string => def.code;

type ExchangeKey = ReturnType<typeof generateExchangeKey>;

describe('key custody at the key holder: roster, announcement window, its own CRL check', () => {
  let ca: TestCa;
  let holder: TestIdentity;
  let b: TestIdentity;
  let c: TestIdentity;
  let exB: ExchangeKey;
  let exC: ExchangeKey;
  let key: ConsortiumKey;
  let crl: CeremonyCrl;
  /** hospital-b and hospital-c, confirmed with their own certificates and exchange keys. */
  let roster: Roster;

  const announcement = (id: TestIdentity, ex: ExchangeKey, now?: number): { site: string; announcementJson: string } => ({
    site: id.name,
    announcementJson: JSON.stringify(announceExchangeKey(id, ex.publicKeyDer, now === undefined ? {} : { now })),
  });
  const screen = (recipients: { site: string; announcementJson: string }[], options: { roster?: Roster; crl?: CeremonyCrl; accept?: Map<string, string>; now?: number } = {}) =>
    screenAnnouncements({ holder, recipients, roster: options.roster ?? roster, crl: options.crl ?? crl, ...(options.accept ? { accept: options.accept } : {}), ...(options.now ? { now: options.now } : {}) });

  beforeAll(async () => {
    ca = await testCa(CONSORTIUM);
    [holder, b, c] = await Promise.all([ca.issue('hospital-a'), ca.issue('hospital-b'), ca.issue('hospital-c')]);
    exB = generateExchangeKey();
    exC = generateExchangeKey();
    key = await generateConsortiumKey(await consortiumKeyContext());
    crl = await verifyCeremonyCrl(await ca.crl([]), ca.caPem, { source: 'test' });
    // The key holder's IT confirmed both sites once (first ceremony, --accept).
    const first = screen([announcement(b, exB, Date.now() - HOUR_MS), announcement(c, exC, Date.now() - HOUR_MS)], {
      roster: emptyRoster(CONSORTIUM),
      accept: new Map([['hospital-b', exchangeKeyFingerprint(exB.publicKeyDer)], ['hospital-c', exchangeKeyFingerprint(exC.publicKeyDer)]]),
    });
    expect(first.confirmed).toEqual(['hospital-b', 'hospital-c']);
    roster = first.roster;
  }, 60_000);

  it('writes fingerprints as OpenSSH does (SHA256: and 43 base64 characters) of the certificate DER and the X25519 SPKI DER', () => {
    const fp = exchangeKeyFingerprint(exB.publicKeyDer);
    expect(isFingerprint(fp)).toBe(true);
    expect(isFingerprint(certificateFingerprint(b.certPem))).toBe(true);
    expect(fp).not.toBe(exchangeKeyFingerprint(exC.publicKeyDer));
    expect(roster.members.map((m) => [m.site, m.certificateFingerprint, m.exchangeKeyFingerprint])).toEqual([
      ['hospital-b', certificateFingerprint(b.certPem), exchangeKeyFingerprint(exB.publicKeyDer)],
      ['hospital-c', certificateFingerprint(c.certPem), exchangeKeyFingerprint(exC.publicKeyDer)],
    ]);
    expect(parseRoster(JSON.stringify(roster), CONSORTIUM, 'test')).toEqual(roster);
    expect(caught(() => parseRoster(JSON.stringify(roster), 'other-consortium', 'test')).code).toBe(code(SecureAggErrors.KEY_CEREMONY));
  });

  it('seals to roster members whose announcement matches their entry, and records the newest issue time', () => {
    const now = Date.now();
    const r = screen([announcement(b, exB, now), announcement(holder, generateExchangeKey())]);
    expect(r.seal.map((k) => k.site)).toEqual(['hospital-b']);
    expect(r).toMatchObject({ awaiting: [], refused: [], confirmed: [] });
    expect(r.roster.members.find((m) => m.site === 'hospital-b')?.lastIssuedAt).toBe(new Date(now).toISOString());
  });

  it('the operator, holding the CA, re-issues hospital-b with a key of its own: without the roster it gets the HE key; with it, hospital-b is held back', async () => {
    const forged = await ca.issue('hospital-b');
    const operatorExchange = generateExchangeKey();
    const forgedAnnouncement = announcement(forged, operatorExchange);

    // Without the roster: every check the CA alone allows passes, and the operator opens the key.
    const verified = verifyExchangeKey(forgedAnnouncement.announcementJson, { caPem: ca.caPem, consortium: CONSORTIUM, site: 'hospital-b', isRevoked: crl.isRevoked });
    const sealed = sealSecretKey(holder, { site: 'hospital-b', publicKeyDer: verified.publicKeyDer }, key.params, key.secretKey);
    const stolen = openSealedKey(JSON.stringify(sealed), forged, { name: 'hospital-a', signingKey: signingKeyFingerprint(holder.certPem) }, operatorExchange.privateKeyDer);
    expect(Buffer.compare(stolen.secretKey, Buffer.from(key.secretKey))).toBe(0);

    // With the roster: nothing sealed, the site waits for its IT to confirm, showing what it would confirm.
    const held = screen([forgedAnnouncement]);
    expect(held.seal).toEqual([]);
    expect(held.refused).toEqual([]);
    expect(held.awaiting.map((a) => a.confirmation)).toEqual([
      { site: 'hospital-b', certificateFingerprint: certificateFingerprint(forged.certPem), exchangeKeyFingerprint: exchangeKeyFingerprint(operatorExchange.publicKeyDer), reason: 'certificate-and-exchange-key-changed' },
    ]);
    expect(held.roster).toEqual(roster);

    // hospital-b's IT reads out its real fingerprint: it is not the announced one, so the confirmation is refused.
    const real = exchangeKeyFingerprint(exB.publicKeyDer);
    const refused = screen([forgedAnnouncement], { accept: new Map([['hospital-b', real]]) });
    expect(refused.seal).toEqual([]);
    expect(refused.awaiting).toEqual([]);
    expect(refused.refused).toHaveLength(1);
    expect(refused.refused[0]).toMatchObject({ site: 'hospital-b', code: code(SecureAggErrors.CONFIRMATION_MISMATCH) });
    expect(refused.refused[0]?.message).toContain(exchangeKeyFingerprint(operatorExchange.publicKeyDer));
    expect(refused.roster).toEqual(roster);
  });

  it('holds back a new site ("mallory") and a known one with only a new certificate or only a new exchange key', async () => {
    const mallory = await ca.issue('mallory');
    const renewedB = await ca.issue('hospital-b');
    const newExC = generateExchangeKey();
    const r = screen([announcement(mallory, generateExchangeKey()), announcement(renewedB, exB), announcement(c, newExC)]);
    expect(r.seal).toEqual([]);
    expect(r.awaiting.map((a) => [a.confirmation.site, a.confirmation.reason])).toEqual([
      ['mallory', 'new'],
      ['hospital-b', 'certificate-changed'],
      ['hospital-c', 'exchange-key-changed'],
    ]);
  });

  it('seals after --accept <site>=<announced fingerprint>, updating the roster entry; a wrong fingerprint or an unlisted site is refused', () => {
    const newExC = generateExchangeKey();
    const fp = exchangeKeyFingerprint(newExC.publicKeyDer);
    const ok = screen([announcement(c, newExC)], { accept: new Map([['hospital-c', fp]]) });
    expect(ok.seal.map((k) => k.site)).toEqual(['hospital-c']);
    expect(ok.confirmed).toEqual(['hospital-c']);
    expect(ok.roster.members.find((m) => m.site === 'hospital-c')?.exchangeKeyFingerprint).toBe(fp);
    // Confirmed now: the next ceremony seals without asking.
    expect(screen([announcement(c, newExC)], { roster: ok.roster }).seal.map((k) => k.site)).toEqual(['hospital-c']);

    const wrong = screen([announcement(c, newExC)], { accept: new Map([['hospital-c', exchangeKeyFingerprint(exC.publicKeyDer)]]) });
    expect(wrong.seal).toEqual([]);
    expect(wrong.refused.map((x) => [x.site, x.code])).toEqual([['hospital-c', code(SecureAggErrors.CONFIRMATION_MISMATCH)]]);

    const absent = screen([], { accept: new Map([['hospital-d', fp]]) });
    expect(absent.refused.map((x) => [x.site, x.code])).toEqual([['hospital-d', code(SecureAggErrors.CONFIRMATION_MISMATCH)]]);
    expect(absent.refused[0]?.message).toBe(`--accept hospital-d=${fp}: the coordinator lists no exchange-key announcement from hospital-d; nothing is sealed to it`);
  });

  it('confirmMember (the interactive "yes") records the announced certificate and exchange key', () => {
    const newExB = generateExchangeKey();
    const [pending] = screen([announcement(b, newExB)]).awaiting;
    const updated = confirmMember(roster, pending!.key);
    expect(screen([announcement(b, newExB)], { roster: updated }).seal.map((k) => k.site)).toEqual(['hospital-b']);
  });

  describe("the sites' pin of the key holder's key (keyHolderKey), the roster's mirror image", () => {
    const pinOf = (id: TestIdentity): { name: string; signingKey: string } => ({ name: 'hospital-a', signingKey: signingKeyFingerprint(id.certPem) });

    it('the operator, holding the CA, poses as the key holder with a BFV key of its own relabelled as the consortium key: a site checking the name and the CA opens and keeps it; one pinning the key holder\'s key refuses it', async () => {
      const forgedHolder = await ca.issue('hospital-a');
      const operatorKey = await generateConsortiumKey(await consortiumKeyContext());
      const relabelled = relabelledKey(operatorKey.secretKey, key.params);
      expect(describeSecretKey(relabelled)).toEqual({ keyId: key.params.keyId, paramsId: key.params.paramsId });
      // Sealed to hospital-b's announced exchange key: a site with no key yet (new, or it lost its data directory).
      const forged = JSON.stringify(sealSecretKey(forgedHolder, { site: 'hospital-b', publicKeyDer: exB.publicKeyDer }, key.params, relabelled));

      // Without the pin: the sender is named as the kit's key holder and chains to the consortium CA, so
      // a site that takes the key holder's key from whatever certificate comes opens the operator's key
      // under the consortium key's public names, and would encrypt every update under it.
      const opened = openSealedKey(forged, b, pinOf(forgedHolder), exB.privateKeyDer);
      expect(Buffer.compare(opened.secretKey, relabelled)).toBe(0);
      expect(opened.params).toEqual(key.params);

      // With the pin its IT confirmed with the key holder's IT: refused, naming both keys.
      const err = caught(() => openSealedKey(forged, b, pinOf(holder), exB.privateKeyDer));
      expect(err.code).toBe(code(SecureAggErrors.KEY_HOLDER_MISMATCH));
      expect(err.message).toBe(
        `sealed key: signed under a certificate for "hospital-a" whose key is ${signingKeyFingerprint(forgedHolder.certPem)}, but this site pins the key holder's key ${signingKeyFingerprint(holder.certPem)} (keyHolderKey); nothing was opened`,
      );
      // The key holder's own copy opens under the same pin.
      const real = JSON.stringify(sealSecretKey(holder, { site: 'hospital-b', publicKeyDer: exB.publicKeyDer }, key.params, key.secretKey));
      expect(Buffer.compare(openSealedKey(real, b, pinOf(holder), exB.privateKeyDer).secretKey, Buffer.from(key.secretKey))).toBe(0);
    });

    it('opens nothing without a pin (no trust on first use), saying how to get and set it', () => {
      const real = JSON.stringify(sealSecretKey(holder, { site: 'hospital-b', publicKeyDer: exB.publicKeyDer }, key.params, key.secretKey));
      const err = caught(() => openSealedKey(real, b, { name: 'hospital-a', signingKey: undefined }, exB.privateKeyDer));
      expect(err.code).toBe(code(SecureAggErrors.KEY_HOLDER_NOT_PINNED));
      expect(err.message).toBe(
        'site "hospital-b" has no keyHolderKey in its site config, so it opens no sealed HE key: ask the IT of the key holder "hospital-a" to run `cohort site fingerprint` there and read you its signingKeyFingerprint by phone, then set keyHolderKey: <that fingerprint> in this site\'s site.yaml and restart the agent',
      );
    });

    it('pins the key, not the certificate: a certificate renewed for the same key needs no new pin, one for a new key does', async () => {
      const renewed = await ca.reissue(holder);
      expect(certificateFingerprint(renewed.certPem)).not.toBe(certificateFingerprint(holder.certPem));
      expect(signingKeyFingerprint(renewed.certPem)).toBe(signingKeyFingerprint(holder.certPem));
      expect(isFingerprint(signingKeyFingerprint(renewed.certPem))).toBe(true);
      const sealed = JSON.stringify(sealSecretKey(renewed, { site: 'hospital-b', publicKeyDer: exB.publicKeyDer }, key.params, key.secretKey));
      expect(Buffer.compare(openSealedKey(sealed, b, pinOf(holder), exB.privateKeyDer).secretKey, Buffer.from(key.secretKey))).toBe(0);
      const rekeyed = await ca.issue('hospital-a');
      const withNewKey = JSON.stringify(sealSecretKey(rekeyed, { site: 'hospital-b', publicKeyDer: exB.publicKeyDer }, key.params, key.secretKey));
      expect(caught(() => openSealedKey(withNewKey, b, pinOf(holder), exB.privateKeyDer)).code).toBe(code(SecureAggErrors.KEY_HOLDER_MISMATCH));
    });
  });

  describe('the announcement window', () => {
    const refusedCode = (recipients: { site: string; announcementJson: string }[], options: { roster?: Roster } = {}): string[] => screen(recipients, options).refused.map((x) => x.code);

    it('refuses an expired announcement (issued 8 days ago, 7-day lifetime)', () => {
      const r = screen([announcement(b, exB, Date.now() - 8 * DAY_MS)]);
      expect(r.seal).toEqual([]);
      expect(r.refused.map((x) => x.code)).toEqual([code(SecureAggErrors.ANNOUNCEMENT_EXPIRED)]);
      expect(r.refused[0]?.message).toMatch(/^exchange key of hospital-b: the announcement expired at /);
    });

    it('refuses one issued beyond the clock skew in the future, and accepts one within it', () => {
      expect(refusedCode([announcement(b, exB, Date.now() + ANNOUNCEMENT_CLOCK_SKEW_MS + 60_000)])).toEqual([code(SecureAggErrors.ANNOUNCEMENT_FUTURE)]);
      expect(screen([announcement(b, exB, Date.now() + ANNOUNCEMENT_CLOCK_SKEW_MS - 60_000)]).seal.map((k) => k.site)).toEqual(['hospital-b']);
    });

    it('refuses a validly signed announcement that lives longer than 30 days, and the announcer will not make one', () => {
      expect(() => announceExchangeKey(b, exB.publicKeyDer, { lifetimeMs: 31 * DAY_MS })).toThrow(RangeError);
      const issuedAt = new Date().toISOString();
      const expiresAt = new Date(Date.now() + 60 * DAY_MS).toISOString();
      const signed = Buffer.concat([Buffer.from(`cohort-kex-announcement-v2\0${CONSORTIUM}\0hospital-b\0${issuedAt}\0${expiresAt}\0`), exB.publicKeyDer]);
      const long: ExchangeKeyAnnouncement = {
        ...announceExchangeKey(b, exB.publicKeyDer),
        issuedAt,
        expiresAt,
        signature: sign('sha256', signed, createPrivateKey(b.keyPem)).toString('base64'),
      };
      expect(refusedCode([{ site: 'hospital-b', announcementJson: JSON.stringify(long) }])).toEqual([code(SecureAggErrors.ANNOUNCEMENT_LIFETIME)]);
      // Control: the same bytes with a 7-day window verify, so the signature above is made as the announcer makes it.
      const week = new Date(Date.parse(issuedAt) + 7 * DAY_MS).toISOString();
      const control = { ...long, expiresAt: week, signature: sign('sha256', Buffer.concat([Buffer.from(`cohort-kex-announcement-v2\0${CONSORTIUM}\0hospital-b\0${issuedAt}\0${week}\0`), exB.publicKeyDer]), createPrivateKey(b.keyPem)).toString('base64') };
      expect(screen([{ site: 'hospital-b', announcementJson: JSON.stringify(control) }]).seal).toHaveLength(1);
    });

    it('refuses a moved time window: issuedAt and expiresAt are under the signature', () => {
      const a = announceExchangeKey(b, exB.publicKeyDer, { now: Date.now() - 8 * DAY_MS });
      const moved = { ...a, expiresAt: new Date(Date.now() + DAY_MS).toISOString() };
      const r = screen([{ site: 'hospital-b', announcementJson: JSON.stringify(moved) }]);
      expect(r.refused.map((x) => [x.code, x.message])).toEqual([[code(SecureAggErrors.KEY_CEREMONY), 'exchange key of hospital-b: the signature does not verify']]);
    });

    it('refuses a replayed announcement: older than the newest the roster accepted from that site', () => {
      const newest = screen([announcement(b, exB, Date.now())]);
      // Issued after the confirmation (an hour ago) but before the newest accepted.
      const replay = announcement(b, exB, Date.now() - HOUR_MS / 2);
      const r = screen([replay], { roster: newest.roster });
      expect(r.seal).toEqual([]);
      expect(r.refused.map((x) => x.code)).toEqual([code(SecureAggErrors.ANNOUNCEMENT_REPLAYED)]);
      // Before the newer one was seen, the same announcement was fine.
      expect(screen([replay]).seal).toHaveLength(1);
    });

    it('refuses version 1 announcements with a message that says what to do', () => {
      const v2 = announceExchangeKey(b, exB.publicKeyDer);
      const v1 = { v: 1, consortium: v2.consortium, site: v2.site, publicKey: v2.publicKey, certificatePem: v2.certificatePem, signature: v2.signature };
      const r = screen([{ site: 'hospital-b', announcementJson: JSON.stringify(v1) }]);
      expect(r.refused).toEqual([
        {
          site: 'hospital-b',
          code: code(SecureAggErrors.KEY_CEREMONY),
          message: 'exchange key of hospital-b: announcement version 1 (no issue or expiry time) is no longer accepted; upgrade the site agent of hospital-b and restart it so it announces version 2',
        },
      ]);
    });
  });

  describe("the key holder's own CRL check", () => {
    it('refuses a site its CRL revokes even when the coordinator lists its announcement, and seals to the others', async () => {
      const revoking = await verifyCeremonyCrl(await ca.crl([c.serial], { crlNumber: 2 }), ca.caPem, { source: 'test' });
      expect(revoking.crlNumber).toBe(2);
      const r = screen([announcement(b, exB), announcement(c, exC)], { crl: revoking, accept: new Map([['hospital-c', exchangeKeyFingerprint(exC.publicKeyDer)]]) });
      expect(r.seal.map((k) => k.site)).toEqual(['hospital-b']);
      expect(r.refused).toEqual([{ site: 'hospital-c', code: code(SecureAggErrors.SITE_REVOKED), message: `exchange key of hospital-c: signed under certificate ${c.serial}, which the consortium CRL revokes` }]);
    });

    it('refuses a CRL past its nextUpdate, and one older (lower CRL number) than one already seen', async () => {
      const stale = await ca.crl([], { thisUpdate: new Date(Date.now() - 10 * DAY_MS), nextUpdate: new Date(Date.now() - DAY_MS) });
      const err = await refusal(verifyCeremonyCrl(stale, ca.caPem, { source: 'served by the coordinator' }));
      expect(err.code).toBe(code(SecureAggErrors.CRL_STALE));
      expect(err.message).toMatch(/^CRL served by the coordinator: it expired at .* \(nextUpdate\)/);
      const older = await ca.crl([], { crlNumber: 3 });
      expect((await verifyCeremonyCrl(older, ca.caPem, { source: 'test', minCrlNumber: 3 })).crlNumber).toBe(3);
      const rolledBack = await refusal(verifyCeremonyCrl(older, ca.caPem, { source: 'test', minCrlNumber: 4 }));
      expect(rolledBack.code).toBe(code(SecureAggErrors.CRL_STALE));
    });

    it('refuses a CRL signed by another CA, also one whose name is the consortium CA\'s', async () => {
      const namesake = await testCa(CONSORTIUM);
      const other = await testCa('other-consortium');
      const forged = await refusal(verifyCeremonyCrl(await namesake.crl([]), ca.caPem, { source: 'test' }));
      expect([forged.code, forged.message]).toEqual([code(SecureAggErrors.CRL_INVALID), 'CRL test: its signature was not made by the consortium CA of this kit']);
      const foreign = await refusal(verifyCeremonyCrl(await other.crl([]), ca.caPem, { source: 'test' }));
      expect(foreign.code).toBe(code(SecureAggErrors.CRL_INVALID));
      expect(foreign.message).toMatch(/^CRL test: issued by ".*other-consortium.*", not by the consortium CA/);
      for (const pem of ['', 'not a crl']) {
        expect((await refusal(verifyCeremonyCrl(pem, ca.caPem, { source: 'test' }))).code).toBe(code(SecureAggErrors.CRL_INVALID));
      }
    });
  });
});
