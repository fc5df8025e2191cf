/**
 * The CA key and the wrapping key in a real PKCS#11 token (SoftHSM2, no mocks): certificates
 * and a CRL signed inside the token verify with openssl; the private key cannot be read out;
 * create, open, PIN, token and module problems give coded errors; no module stays loaded.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CryptoKey as P11CryptoKey } from 'node-webcrypto-p11';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pkcs11CaKey, pkcs11ModulesInUse, Pkcs11ConfigSchema, Pkcs11WrappingKey, type Pkcs11CaKey } from '../../../core/pki/pkcs11.ts';
import { crypto as nodeCrypto, SIGNING_ALGORITHM, x509 } from '../../../core/pki/x509.ts';
import { caught, caughtSync } from '../../support/caught.ts';
import { setupSoftHsm, type SoftHsm, type SoftHsmToken } from '../../support/softhsm.ts';

const run = promisify(execFile);
const CKR_ATTRIBUTE_SENSITIVE = 0x11;

/** What a graphene (PKCS#11) call throws: a Pkcs11Error, not a CohortError. */
function grapheneError(fn: () => unknown): { code?: number; message: string } {
  try {
    fn();
  } catch (e) {
    return e as { code?: number; message: string };
  }
  throw new Error('expected an error');
}

describe('keys in a PKCS#11 token (SoftHSM2)', () => {
  let hsm: SoftHsm;
  let token: SoftHsmToken;
  let work: string;
  const open: { close(): void }[] = [];
  const track = <T extends { close(): void }>(k: T): T => {
    open.push(k);
    return k;
  };

  beforeAll(() => {
    hsm = setupSoftHsm('cohort-pkcs11-test-');
    token = hsm.initToken('cohort-ca');
    work = mkdtempSync(join(hsm.dir, 'work-'));
  });
  afterEach(() => {
    for (const k of open.splice(0)) k.close();
    expect(pkcs11ModulesInUse()).toEqual([]);
  });
  afterAll(() => hsm.cleanup());

  it('signs a self-signed CA certificate, a leaf certificate and a CRL inside the token, all verified by openssl', async () => {
    const ca = track(await pkcs11CaKey(token.config('ca-signing'), { create: true }));
    const now = new Date();
    const later = new Date(now.getTime() + 86_400_000);
    const caCert = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '4a01',
        name: 'O=test, CN=test Cohort CA',
        notBefore: now,
        notAfter: later,
        keys: { privateKey: ca.privateKey, publicKey: ca.publicKey },
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [new x509.BasicConstraintsExtension(true, 0, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
      },
      ca.crypto,
    );
    // The participant's key is node:crypto's: hand it to the token's provider as an x509.PublicKey.
    const leafKeys = (await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const leafCert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: '4a02',
        subject: 'O=test, CN=hospital-a',
        issuer: caCert.subject,
        notBefore: now,
        notAfter: later,
        publicKey: new x509.PublicKey(await nodeCrypto.subtle.exportKey('spki', leafKeys.publicKey)),
        signingKey: ca.privateKey,
        signingAlgorithm: SIGNING_ALGORITHM,
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
      },
      ca.crypto,
    );
    const crl = await x509.X509CrlGenerator.create(
      { issuer: caCert.subject, thisUpdate: now, nextUpdate: later, entries: [{ serialNumber: '4a03', revocationDate: now }], signingKey: ca.privateKey, signingAlgorithm: SIGNING_ALGORITHM },
      ca.crypto,
    );
    const caPem = join(work, 'ca.pem');
    const leafPem = join(work, 'leaf.pem');
    const crlPem = join(work, 'crl.pem');
    writeFileSync(caPem, caCert.toString('pem'));
    writeFileSync(leafPem, leafCert.toString('pem'));
    writeFileSync(crlPem, x509.PemConverter.encode(crl.rawData, 'X509 CRL'));

    const text = (await run('openssl', ['x509', '-in', caPem, '-noout', '-text'])).stdout;
    expect(text).toContain('ecdsa-with-SHA256');
    expect(text).toMatch(/P-256|prime256v1/);
    expect(text).toContain('CA:TRUE');
    expect((await run('openssl', ['verify', '-CAfile', caPem, caPem])).stdout).toContain(': OK');
    expect((await run('openssl', ['verify', '-CAfile', caPem, leafPem])).stdout).toContain(`${leafPem}: OK`);
    const crlCheck = await run('openssl', ['crl', '-in', crlPem, '-CAfile', caPem, '-noout']);
    expect(`${crlCheck.stdout}${crlCheck.stderr}`).toContain('verify OK');
    // The same checks fail against another CA: openssl really checked the token's signature.
    const other = (await nodeCrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const impostor = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '4a04', name: 'O=test, CN=test Cohort CA', notBefore: now, notAfter: later, keys: other, signingAlgorithm: SIGNING_ALGORITHM, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] }, nodeCrypto);
    const impostorPem = join(work, 'impostor.pem');
    writeFileSync(impostorPem, impostor.toString('pem'));
    await expect(run('openssl', ['verify', '-CAfile', impostorPem, leafPem])).rejects.toThrow();
  });

  it('keeps the private key inside the token: no export, CKA_VALUE unreadable, sensitive and never extractable', async () => {
    const created = track(await pkcs11CaKey(token.config('ca-keep'), { create: true }));
    const spki = Buffer.from(await created.crypto.subtle.exportKey('spki', created.publicKey));
    created.close();
    const ca: Pkcs11CaKey = track(await pkcs11CaKey(token.config('ca-keep'), { create: false }));
    expect(Buffer.from(await ca.crypto.subtle.exportKey('spki', ca.publicKey)).equals(spki)).toBe(true);
    expect(ca.privateKey.extractable).toBe(false);
    for (const format of ['pkcs8', 'jwk'] as const) await expect(ca.crypto.subtle.exportKey(format, ca.privateKey)).rejects.toThrow();
    const p11 = (ca.privateKey as P11CryptoKey).key;
    expect(p11.getAttribute({ extractable: null, sensitive: null, neverExtractable: null, alwaysSensitive: null, token: null, private: null })).toEqual({
      extractable: false,
      sensitive: true,
      neverExtractable: true,
      alwaysSensitive: true,
      token: true,
      private: true,
    });
    const read = grapheneError(() => p11.getAttribute({ value: null }));
    expect(read.code).toBe(CKR_ATTRIBUTE_SENSITIVE);
    // What it signs verifies under the public key, with node:crypto.
    const data = Buffer.from('cohort');
    const signature = await ca.crypto.subtle.sign(SIGNING_ALGORITHM, ca.privateKey, data);
    const pub = await nodeCrypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    expect(await nodeCrypto.subtle.verify(SIGNING_ALGORITHM, pub, signature, data)).toBe(true);
  });

  it('refuses to create a key under a label the token already holds, and to open a label it does not', async () => {
    track(await pkcs11CaKey(token.config('ca-once'), { create: true })).close();
    expect((await caught(pkcs11CaKey(token.config('ca-once'), { create: true }))).code).toBe('COHORT_E_PKI_HSM_KEY_EXISTS');
    expect((await caught(pkcs11CaKey(token.config('ca-never-made'), { create: false }))).code).toBe('COHORT_E_PKI_HSM_KEY_MISSING');
    // An AES key is not a CA key, and a CA key pair's label is not free for an AES key.
    track(Pkcs11WrappingKey.open(token.config('aes-only'), { create: true })).close();
    expect((await caught(pkcs11CaKey(token.config('aes-only'), { create: false }))).code).toBe('COHORT_E_PKI_HSM_KEY_MISSING');
    expect(caughtSync(() => Pkcs11WrappingKey.open(token.config('ca-once'), { create: true })).code).toBe('COHORT_E_PKI_HSM_KEY_EXISTS');
  });

  it('opens a token by slot ID as well as by label', async () => {
    track(await pkcs11CaKey(token.config('ca-slot'), { create: true })).close();
    const bySlot = track(await pkcs11CaKey({ ...token.config('ca-slot'), tokenLabel: undefined, slot: token.slot }, { create: false }));
    expect(bySlot.privateKey.type).toBe('private');
  });

  it('gives COHORT_E_PKI_HSM_UNAVAILABLE for a wrong PIN (also while the token is logged in), an unknown token or slot, a missing PIN file and a module that does not load', async () => {
    track(await pkcs11CaKey(token.config('ca-pin'), { create: true })).close();
    const wrongPin = join(work, 'wrong.pin');
    writeFileSync(wrongPin, '11112222\n', { mode: 0o600 });
    const wrong = await caught(pkcs11CaKey({ ...token.config('ca-pin'), pinFile: wrongPin }, { create: false }));
    expect(wrong.code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
    expect(wrong.message).toContain('PIN');
    expect(wrong.message).not.toContain('11112222');
    // PKCS#11 would not check a PIN while this process is logged in; we do.
    track(await pkcs11CaKey(token.config('ca-pin'), { create: false }));
    expect((await caught(pkcs11CaKey({ ...token.config('ca-pin'), pinFile: wrongPin }, { create: false }))).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
    expect(caughtSync(() => Pkcs11WrappingKey.open({ ...token.config('aes-pin'), pinFile: wrongPin }, { create: true })).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');

    expect((await caught(pkcs11CaKey({ ...token.config('ca-pin'), tokenLabel: 'no-such-token' }, { create: false }))).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
    expect((await caught(pkcs11CaKey({ ...token.config('ca-pin'), tokenLabel: undefined, slot: 424242 }, { create: false }))).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
    expect((await caught(pkcs11CaKey({ ...token.config('ca-pin'), pinFile: join(work, 'none.pin') }, { create: false }))).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
    expect((await caught(pkcs11CaKey({ ...token.config('ca-pin'), module: join(work, 'libnothing.so') }, { create: false }))).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
  });

  it('refuses a PIN file readable by others', async () => {
    const loose = join(work, 'loose.pin');
    writeFileSync(loose, `${token.pin}\n`);
    chmodSync(loose, 0o644);
    expect((await caught(pkcs11CaKey({ ...token.config('ca-loose'), pinFile: loose }, { create: true }))).code).toBe('COHORT_E_PKI_KEY_PERMISSIONS');
  });

  it('wraps and unwraps with an AES-256 key made inside the token, which never lets it out', () => {
    const key = track(Pkcs11WrappingKey.open(token.config('wrap'), { create: true }));
    const secret = Buffer.from(nodeCrypto.getRandomValues(new Uint8Array(32)));
    const wrapped = key.wrap(secret);
    expect(wrapped.length).toBe(12 + 32 + 16);
    expect(wrapped.includes(secret)).toBe(false);
    expect(key.wrap(secret).equals(wrapped)).toBe(false);
    key.close();
    const again = track(Pkcs11WrappingKey.open(token.config('wrap'), { create: false }));
    expect(again.unwrap(wrapped).equals(secret)).toBe(true);
    const altered = Buffer.from(wrapped);
    altered[20] = (altered[20] ?? 0) ^ 1;
    expect(caughtSync(() => again.unwrap(altered)).code).toBe('COHORT_E_PKI_HSM_UNWRAP_FAILED');
    expect(caughtSync(() => again.unwrap(wrapped.subarray(0, 20))).code).toBe('COHORT_E_PKI_HSM_UNWRAP_FAILED');
    expect(caughtSync(() => Pkcs11WrappingKey.open(token.config('wrap-never-made'), { create: false })).code).toBe('COHORT_E_PKI_HSM_KEY_MISSING');
  });

  it('validates its config: exactly one of tokenLabel or slot, and no PIN in it', () => {
    const base = { module: hsm.module, pinFile: token.pinFile, keyLabel: 'k' };
    expect(Pkcs11ConfigSchema.safeParse({ ...base, tokenLabel: 't' }).success).toBe(true);
    expect(Pkcs11ConfigSchema.safeParse({ ...base, slot: 3 }).success).toBe(true);
    expect(Pkcs11ConfigSchema.safeParse(base).success).toBe(false);
    expect(Pkcs11ConfigSchema.safeParse({ ...base, tokenLabel: 't', slot: 3 }).success).toBe(false);
    expect(Pkcs11ConfigSchema.safeParse({ ...base, tokenLabel: 't', pin: '1234' }).success).toBe(false);
  });
});

afterAll(() => {
  // a module left initialised would leak into the next test file of this worker
  expect(pkcs11ModulesInUse()).toEqual([]);
});
