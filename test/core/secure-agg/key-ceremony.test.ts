/**
 * The key ceremony's cryptography with real kits from provisionConsortium and a real
 * consortium key: the sealed key opens to the exact bytes for the addressed site only, and
 * every message that does not come from the kit's key holder under the consortium CA, or was
 * changed on the way, is refused with COHORT_E_SECURE_AGG_KEY_CEREMONY.
 */
import { holdsKeyBytes } from '../../support/key-bytes.ts';
import { caught } from '../../models/helpers.ts';
import { createPrivateKey, sign } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../core/errors/index.ts';
import { loadKit, type Kit } from '../../../core/pki/kit.ts';
import { provisionConsortium } from '../../support/provision.ts';
import { certificateFingerprint, exchangeKeyFingerprint, signingKeyFingerprint } from '../../../core/secure-agg/fingerprints.ts';
import {
  ANNOUNCEMENT_LIFETIME_MS,
  announceExchangeKey,
  generateExchangeKey,
  openSealedKey,
  sealSecretKey,
  verifyExchangeKey,
  type SealedHeKey,
} from '../../../core/secure-agg/key-ceremony.ts';
import { generateConsortiumKey, type ConsortiumKey } from '../../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../../core/secure-agg/parameters.ts';
import { tempDir, writeConsortium } from '../pki/fixtures.ts';

const KEY_CEREMONY = SecureAggErrors.KEY_CEREMONY.code;

const consortiumFile = (keyHolder: string): string => `name: ceremony-test
coordinator: { name: coordinator, hosts: [localhost], port: 7443 }
keyHolder: ${keyHolder}
sites: [ { name: hospital-a }, { name: hospital-b }, { name: hospital-c } ]
users: [ { name: alice, role: data-scientist } ]
`;


/**
 * The bytes sealSecretKey signs and uses as associated data, rebuilt here so a test can play
 * a key holder that signs modified fields: then only the AES-GCM tag can catch the change.
 */
function headerBytes(s: SealedHeKey): Buffer {
  const p = s.params;
  return Buffer.from(
    JSON.stringify([
      'cohort-he-key-seal-v1', s.v, s.consortium, s.sender, s.recipient, p.keyId, p.paramsId, p.polyModulusDegree, p.coeffModulusBits, p.plainModulus,
      s.recipientKeySha256, s.ephemeralPublicKey, s.iv, s.certificatePem,
    ]),
  );
}

function resigned(s: SealedHeKey, signer: Kit): string {
  const signed = Buffer.concat([headerBytes(s), Buffer.from(s.ciphertext, 'base64'), Buffer.from(s.tag, 'base64')]);
  return JSON.stringify({ ...s, signature: sign('sha256', signed, createPrivateKey(signer.keyPem)).toString('base64') });
}

/** Flips one bit of a base64 field. */
function flipped(b64: string, at = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return bytes.toString('base64');
}

describe('HE key ceremony (X25519 + HKDF-SHA256 + AES-256-GCM, signed under the consortium CA)', () => {
  let kits: Record<string, Kit>;
  /** A second consortium with the same name and site names, under its own CA. */
  let foreign: Record<string, Kit>;
  let key: ConsortiumKey;
  let exchangeB: { publicKeyDer: Buffer; privateKeyDer: Buffer };
  let sealedToB: SealedHeKey;

  beforeAll(async () => {
    const { dir, cleanup } = tempDir('cohort-ceremony-');
    try {
      await provisionConsortium(writeConsortium(dir, consortiumFile('hospital-a')), join(dir, 'kits'));
      await provisionConsortium(writeConsortium(dir, consortiumFile('hospital-a'), 'foreign.yaml'), join(dir, 'foreign'));
      const load = (root: string): Record<string, Kit> =>
        Object.fromEntries(['hospital-a', 'hospital-b', 'hospital-c'].map((n) => [n, loadKit(join(dir, root, n))]));
      kits = load('kits');
      foreign = load('foreign');
    } finally {
      cleanup();
    }
    key = await generateConsortiumKey(await consortiumKeyContext());
    exchangeB = generateExchangeKey();
    sealedToB = sealSecretKey(kits['hospital-a'] as Kit, { site: 'hospital-b', publicKeyDer: exchangeB.publicKeyDer }, key.params, key.secretKey);
  }, 60_000);

  const kit = (name: string): Kit => kits[name] as Kit;
  const openAsB = (json: string, exchangePrivate = exchangeB.privateKeyDer): ReturnType<typeof openSealedKey> =>
    openSealedKey(json, kit('hospital-b'), { name: kit('hospital-b').keyHolder as string, signingKey: signingKeyFingerprint(kit('hospital-a').certPem) }, exchangePrivate);

  it('provisions every kit with the consortium file\'s key holder', () => {
    expect(kit('hospital-b').keyHolder).toBe('hospital-a');
    expect(kit('hospital-c').keyHolder).toBe('hospital-a');
  });

  it('opens a sealed key to the exact key bytes and parameters at the addressed site', () => {
    const opened = openAsB(JSON.stringify(sealedToB));
    expect(Buffer.compare(opened.secretKey, Buffer.from(key.secretKey))).toBe(0);
    expect(opened.params).toEqual(key.params);
  });

  it('never carries the key envelope in clear: no base64 or hex of it, nor of any aligned 48-byte window', () => {
    const json = JSON.stringify(sealedToB);
    const secret = Buffer.from(key.secretKey);
    expect(secret.byteLength).toBeGreaterThan(1000);
    expect(json).not.toContain(secret.toString('base64').slice(0, 64));
    expect(json).not.toContain(secret.toString('hex').slice(0, 64));
    // The magic, version and ids ("CBSK" 01 000000 paramsId keyId) and the SEAL payload after them.
    expect(holdsKeyBytes(Buffer.from(json), secret)).toBe(false);
    // The ciphertext is exactly as long as the envelope (GCM adds only the separate tag).
    expect(Buffer.from(sealedToB.ciphertext, 'base64').byteLength).toBe(secret.byteLength);
  });

  it('refuses a sealed key from a site that is not the kit\'s key holder, even one signed correctly by that site', () => {
    const byC = sealSecretKey(kit('hospital-c'), { site: 'hospital-b', publicKeyDer: exchangeB.publicKeyDer }, key.params, key.secretKey);
    const err = caught(() => openAsB(JSON.stringify(byC)));
    expect(err.code).toBe(KEY_CEREMONY);
    expect(err.message).toBe('sealed key comes from "hospital-c", but this consortium\'s key holder is "hospital-a"');
  });

  it('refuses a sealed key signed by the key holder\'s namesake under another consortium CA', () => {
    const foreignHolder = foreign['hospital-a'] as Kit;
    expect(foreignHolder.consortium).toBe(kit('hospital-a').consortium);
    const sealed = sealSecretKey(foreignHolder, { site: 'hospital-b', publicKeyDer: exchangeB.publicKeyDer }, key.params, key.secretKey);
    const err = caught(() => openAsB(JSON.stringify(sealed)));
    expect(err.code).toBe(KEY_CEREMONY);
    expect(err.message).toBe('sealed key: the certificate was not issued by the consortium CA');
  });

  it('refuses a sealed key that claims the key holder as sender but carries another site\'s certificate', () => {
    const sealed = sealSecretKey({ ...kit('hospital-c'), name: 'hospital-a' }, { site: 'hospital-b', publicKeyDer: exchangeB.publicKeyDer }, key.params, key.secretKey);
    const err = caught(() => openAsB(JSON.stringify(sealed)));
    expect(err.code).toBe(KEY_CEREMONY);
    expect(err.message).toBe('sealed key: the certificate belongs to site "hospital-c" of "ceremony-test", expected site "hospital-a" of "ceremony-test"');
  });

  it('refuses a key sealed to another site, whichever exchange key the reader holds', () => {
    const exchangeC = generateExchangeKey();
    const toC = sealSecretKey(kit('hospital-a'), { site: 'hospital-c', publicKeyDer: exchangeC.publicKeyDer }, key.params, key.secretKey);
    const err = caught(() => openAsB(JSON.stringify(toC), exchangeC.privateKeyDer));
    expect(err.code).toBe(KEY_CEREMONY);
    expect(err.message).toBe('sealed key is addressed to "hospital-c" of "ceremony-test", not to this site "hospital-b" of "ceremony-test"');
    // Re-addressing it to hospital-b breaks the key holder's signature.
    const readdressed = caught(() => openAsB(JSON.stringify({ ...toC, recipient: 'hospital-b' }), exchangeC.privateKeyDer));
    expect(readdressed.code).toBe(KEY_CEREMONY);
    expect(readdressed.message).toBe('sealed key: the key holder\'s signature does not verify');
  });

  it('refuses a modified ciphertext, tag or header (params.keyId) by the signature', () => {
    const cases: Record<string, SealedHeKey> = {
      ciphertext: { ...sealedToB, ciphertext: flipped(sealedToB.ciphertext, 100) },
      tag: { ...sealedToB, tag: flipped(sealedToB.tag) },
      keyId: { ...sealedToB, params: { ...sealedToB.params, keyId: '0'.repeat(32) } },
      plainModulus: { ...sealedToB, params: { ...sealedToB.params, plainModulus: '65537' } },
    };
    for (const [what, changed] of Object.entries(cases)) {
      const err = caught(() => openAsB(JSON.stringify(changed)));
      expect(err.code, what).toBe(KEY_CEREMONY);
      expect(err.message, what).toBe('sealed key: the key holder\'s signature does not verify');
    }
  });

  it('refuses a modified ciphertext, tag or header even when re-signed by the key holder: the AES-GCM tag catches it', () => {
    const holder = kit('hospital-a');
    // Control: re-signing unchanged fields reproduces a valid message, so the helper signs what sealSecretKey signs.
    expect(Buffer.compare(openAsB(resigned(sealedToB, holder)).secretKey, Buffer.from(key.secretKey))).toBe(0);
    const cases: Record<string, SealedHeKey> = {
      ciphertext: { ...sealedToB, ciphertext: flipped(sealedToB.ciphertext, 100) },
      tag: { ...sealedToB, tag: flipped(sealedToB.tag) },
      // The key id enters both the HKDF info and the associated data.
      keyId: { ...sealedToB, params: { ...sealedToB.params, keyId: '0'.repeat(32) } },
      iv: { ...sealedToB, iv: flipped(sealedToB.iv) },
    };
    for (const [what, changed] of Object.entries(cases)) {
      const err = caught(() => openAsB(resigned(changed, holder)));
      expect(err.code, what).toBe(KEY_CEREMONY);
      expect(err.message, what).toBe('sealed key: authentication failed (modified in transit or sealed to another key)');
    }
  });

  it('refuses a key sealed to an older exchange key of the recipient', () => {
    const renewed = generateExchangeKey();
    const err = caught(() => openAsB(JSON.stringify(sealedToB), renewed.privateKeyDer));
    expect(err.code).toBe(KEY_CEREMONY);
    expect(err.message).toBe('sealed key was sealed to another exchange key of this site (it was re-created since); ask the key holder to seal again');
  });

  it('refuses non-JSON, and sealing a key under another key\'s parameters', async () => {
    expect(caught(() => openAsB('{not json')).code).toBe(KEY_CEREMONY);
    // A second key sealed under the first key's header: every signature and tag is valid.
    const other = await generateConsortiumKey(await consortiumKeyContext());
    expect(caught(() => sealSecretKey(kit('hospital-a'), { site: 'hospital-b', publicKeyDer: exchangeB.publicKeyDer }, key.params, other.secretKey)).message).toBe(
      `the secret key is ${other.params.keyId}, the parameters name ${key.params.keyId}`,
    );
  });

  describe('exchange-key announcements', () => {
    const expectFor = (site: string): { caPem: string; consortium: string; site: string } => ({ caPem: kit('hospital-a').caPem, consortium: 'ceremony-test', site });

    it('verifies a site\'s own announcement and returns its X25519 key', () => {
      const a = announceExchangeKey(kit('hospital-b'), exchangeB.publicKeyDer);
      const verified = verifyExchangeKey(JSON.stringify(a), expectFor('hospital-b'));
      expect(Buffer.compare(verified.publicKeyDer, exchangeB.publicKeyDer)).toBe(0);
      expect(verified.exchangeKeyFingerprint).toBe(exchangeKeyFingerprint(exchangeB.publicKeyDer));
      expect(verified.certificateFingerprint).toBe(certificateFingerprint(kit('hospital-b').certPem));
      expect(verified.expiresAtMs - verified.issuedAtMs).toBe(ANNOUNCEMENT_LIFETIME_MS);
    });

    it('refuses an announcement for another site', () => {
      const a = announceExchangeKey(kit('hospital-b'), exchangeB.publicKeyDer);
      const err = caught(() => verifyExchangeKey(JSON.stringify(a), expectFor('hospital-c')));
      expect(err.code).toBe(KEY_CEREMONY);
      expect(err.message).toBe('exchange key of hospital-c: malformed or announced for "hospital-b" of "ceremony-test"');
    });

    it('refuses an announcement for a site made and signed with a different site\'s certificate and key', () => {
      const a = announceExchangeKey({ ...kit('hospital-c'), name: 'hospital-b' }, exchangeB.publicKeyDer);
      const err = caught(() => verifyExchangeKey(JSON.stringify(a), expectFor('hospital-b')));
      expect(err.code).toBe(KEY_CEREMONY);
      expect(err.message).toBe('exchange key of hospital-b: the certificate belongs to site "hospital-c" of "ceremony-test", expected site "hospital-b" of "ceremony-test"');
    });

    it('refuses an announcement that carries the site\'s certificate but is signed by another site\'s key', () => {
      const a = announceExchangeKey({ ...kit('hospital-b'), keyPem: kit('hospital-c').keyPem }, exchangeB.publicKeyDer);
      const err = caught(() => verifyExchangeKey(JSON.stringify(a), expectFor('hospital-b')));
      expect(err.code).toBe(KEY_CEREMONY);
      expect(err.message).toBe('exchange key of hospital-b: the signature does not verify');
    });

    it('refuses an announcement whose key was swapped after signing', () => {
      const a = announceExchangeKey(kit('hospital-b'), exchangeB.publicKeyDer);
      const swapped = { ...a, publicKey: generateExchangeKey().publicKeyDer.toString('base64') };
      expect(caught(() => verifyExchangeKey(JSON.stringify(swapped), expectFor('hospital-b'))).message).toBe('exchange key of hospital-b: the signature does not verify');
    });

    it('refuses an announcement from the namesake site of another consortium CA', () => {
      const a = announceExchangeKey(foreign['hospital-b'] as Kit, exchangeB.publicKeyDer);
      const err = caught(() => verifyExchangeKey(JSON.stringify(a), expectFor('hospital-b')));
      expect(err.code).toBe(KEY_CEREMONY);
      expect(err.message).toBe('exchange key of hospital-b: the certificate was not issued by the consortium CA');
    });
  });
});
