/**
 * The HE key ceremony's cryptography: how the key holder's BFV secret key reaches the other
 * hospitals through a coordinator that must not be able to read it, nor swap it for one of
 * its own.
 *
 * 1. Every site makes an X25519 key-agreement pair and publishes the public half in an
 *    {@link ExchangeKeyAnnouncement}, signed with its TLS (certificate) key.
 * 2. The key holder verifies each announcement against the consortium CA (so the coordinator
 *    cannot slip in a key of its own) and seals the secret key to it: ephemeral X25519 ECDH,
 *    HKDF-SHA256 bound to consortium, recipient and key id, AES-256-GCM with the header as
 *    associated data. The sealed key is signed with the key holder's certificate key.
 * 3. The recipient accepts a sealed key only from the site its kit names as key holder,
 *    signed under a certificate of the consortium CA, addressed to itself.
 *
 * Every primitive comes from node:crypto.
 */
import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';
import { describeSecretKey } from './keys.ts';

/** The fields of a kit the ceremony needs. */
export interface CeremonyIdentity {
  readonly name: string;
  readonly consortium: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** A site's X25519 public key, signed by the site's certificate key. JSON on the wire. */
export interface ExchangeKeyAnnouncement {
  readonly v: 1;
  readonly consortium: string;
  readonly site: string;
  /** X25519 public key, SPKI DER, base64. */
  readonly publicKey: string;
  readonly certificatePem: string;
  /** ECDSA-SHA256 by the certificate's key over {@link announcementBytes}, base64. */
  readonly signature: string;
}

/** The public parameters of the consortium key, as the key holder publishes them. */
export interface HeKeyParameters {
  readonly keyId: string;
  readonly paramsId: string;
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly plainModulus: string;
}

/** The secret key sealed to one site. JSON on the wire; the coordinator stores it as is. */
export interface SealedHeKey {
  readonly v: 1;
  readonly consortium: string;
  readonly sender: string;
  readonly recipient: string;
  readonly params: HeKeyParameters;
  /** SHA-256 of the recipient's exchange public key (DER), hex: which key it is sealed to. */
  readonly recipientKeySha256: string;
  /** Ephemeral X25519 public key, SPKI DER, base64. */
  readonly ephemeralPublicKey: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
  readonly certificatePem: string;
  /** ECDSA-SHA256 by the sender's certificate key over header, ciphertext and tag, base64. */
  readonly signature: string;
}

const KEX_CONTEXT = 'cohort-kex-announcement-v1';
const SEAL_CONTEXT = 'cohort-he-key-seal-v1';

function refuse(message: string, details: Record<string, unknown> = {}, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.KEY_CEREMONY, message, { details, cause });
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');
const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A new X25519 key-agreement pair: the public half as SPKI DER, the private half as PKCS#8 DER. */
export function generateExchangeKey(): { publicKeyDer: Buffer; privateKeyDer: Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKeyDer: publicKey.export({ type: 'spki', format: 'der' }), privateKeyDer: privateKey.export({ type: 'pkcs8', format: 'der' }) };
}

/** The public half of an exchange private key (PKCS#8 DER), as SPKI DER. */
export function exchangePublicKeyOf(privateKeyDer: Uint8Array): Buffer {
  return createPublicKey(createPrivateKey({ key: Buffer.from(privateKeyDer), format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
}

function announcementBytes(consortium: string, site: string, publicKeyDer: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${KEX_CONTEXT}\0${consortium}\0${site}\0`), Buffer.from(publicKeyDer)]);
}

/** Signs the site's exchange public key with its certificate key. */
export function announceExchangeKey(me: CeremonyIdentity, publicKeyDer: Uint8Array): ExchangeKeyAnnouncement {
  const signature = sign('sha256', announcementBytes(me.consortium, me.name, publicKeyDer), createPrivateKey(me.keyPem));
  return { v: 1, consortium: me.consortium, site: me.name, publicKey: b64(publicKeyDer), certificatePem: me.certPem, signature: b64(signature) };
}

/**
 * Checks that `certPem` was issued by the consortium CA, is valid now, and belongs to site
 * `site` of `consortium`; returns its public key.
 */
function siteCertificateKey(certPem: string, caPem: string, consortium: string, site: string, what: string): KeyObject {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw refuse(`${what}: the certificate is not PEM X.509`, { site }, e);
  }
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw refuse(`${what}: the certificate was not issued by the consortium CA`, { site });
  const now = Date.now();
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) throw refuse(`${what}: the certificate is not valid now (${cert.validFrom} .. ${cert.validTo})`, { site });
  const id = identityFromCertificate(certPem);
  if (id.role !== 'site' || id.name !== site || id.consortium !== consortium) {
    throw refuse(`${what}: the certificate belongs to ${id.role} "${id.name}" of "${id.consortium}", expected site "${site}" of "${consortium}"`, { site, holder: id.name });
  }
  return cert.publicKey;
}

/**
 * Verifies an announcement (JSON) for `site` and returns its X25519 public key (SPKI DER).
 * Throws SECURE_AGG_KEY_CEREMONY when it is malformed, for another site or consortium, or
 * not signed by a certificate of the consortium CA for that site.
 */
export function verifyExchangeKey(json: string, expect: { caPem: string; consortium: string; site: string }): Buffer {
  let a: ExchangeKeyAnnouncement;
  try {
    a = JSON.parse(json) as ExchangeKeyAnnouncement;
  } catch (e) {
    throw refuse(`exchange key of ${expect.site}: not JSON`, { site: expect.site }, e);
  }
  if (a.v !== 1 || a.site !== expect.site || a.consortium !== expect.consortium || typeof a.publicKey !== 'string' || typeof a.signature !== 'string') {
    throw refuse(`exchange key of ${expect.site}: malformed or announced for "${String(a.site)}" of "${String(a.consortium)}"`, { site: expect.site });
  }
  const key = siteCertificateKey(a.certificatePem, expect.caPem, expect.consortium, expect.site, `exchange key of ${expect.site}`);
  const der = unb64(a.publicKey);
  if (!verify('sha256', announcementBytes(a.consortium, a.site, der), key, unb64(a.signature))) {
    throw refuse(`exchange key of ${expect.site}: the signature does not verify`, { site: expect.site });
  }
  if (createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyType !== 'x25519') throw refuse(`exchange key of ${expect.site}: not an X25519 key`, { site: expect.site });
  return der;
}

type SealedHeader = Omit<SealedHeKey, 'ciphertext' | 'tag' | 'signature'>;

/** The header as associated data and signed bytes: a fixed field order, so both sides agree. */
function headerBytes(h: SealedHeader): Buffer {
  const p = h.params;
  return Buffer.from(
    JSON.stringify([SEAL_CONTEXT, h.v, h.consortium, h.sender, h.recipient, p.keyId, p.paramsId, p.polyModulusDegree, p.coeffModulusBits, p.plainModulus, h.recipientKeySha256, h.ephemeralPublicKey, h.iv, h.certificatePem]),
  );
}

function wrappingKey(shared: Buffer, ephemeralDer: Uint8Array, recipientDer: Uint8Array, h: Pick<SealedHeader, 'consortium' | 'recipient' | 'params'>): Buffer {
  const salt = createHash('sha256').update(ephemeralDer).update(recipientDer).digest();
  const info = `${SEAL_CONTEXT}\0${h.consortium}\0${h.recipient}\0${h.params.keyId}`;
  return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
}

/** Seals the secret key envelope to one site's verified exchange public key (SPKI DER). */
export function sealSecretKey(sender: CeremonyIdentity, recipient: { site: string; publicKeyDer: Uint8Array }, params: HeKeyParameters, secretKey: Uint8Array): SealedHeKey {
  const names = describeSecretKey(secretKey);
  if (names.keyId !== params.keyId || names.paramsId !== params.paramsId) throw refuse(`the secret key is ${names.keyId}, the parameters name ${params.keyId}`);
  const eph = generateKeyPairSync('x25519');
  const ephemeralDer = eph.publicKey.export({ type: 'spki', format: 'der' });
  const recipientKey = createPublicKey({ key: Buffer.from(recipient.publicKeyDer), format: 'der', type: 'spki' });
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKey });
  const header: SealedHeader = {
    v: 1,
    consortium: sender.consortium,
    sender: sender.name,
    recipient: recipient.site,
    params,
    recipientKeySha256: sha256hex(recipient.publicKeyDer),
    ephemeralPublicKey: b64(ephemeralDer),
    iv: b64(randomBytes(12)),
    certificatePem: sender.certPem,
  };
  const key = wrappingKey(shared, ephemeralDer, recipient.publicKeyDer, header);
  const aad = headerBytes(header);
  const cipher = createCipheriv('aes-256-gcm', key, unb64(header.iv));
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(secretKey), cipher.final()]);
  const tag = cipher.getAuthTag();
  const signature = sign('sha256', Buffer.concat([aad, ciphertext, tag]), createPrivateKey(sender.keyPem));
  key.fill(0);
  shared.fill(0);
  return { ...header, ciphertext: b64(ciphertext), tag: b64(tag), signature: b64(signature) };
}

/**
 * Opens a sealed key addressed to `me`, checking that it comes from `keyHolder` under the
 * consortium CA. Returns the secret key envelope and its parameters. Throws
 * SECURE_AGG_KEY_CEREMONY on any mismatch: a wrong sender, recipient, signature or tag.
 */
export function openSealedKey(json: string, me: CeremonyIdentity, keyHolder: string, exchangePrivateKeyDer: Uint8Array): { secretKey: Buffer; params: HeKeyParameters } {
  let s: SealedHeKey;
  try {
    s = JSON.parse(json) as SealedHeKey;
  } catch (e) {
    throw refuse('sealed key: not JSON', {}, e);
  }
  if (s.v !== 1 || typeof s.params !== 'object' || s.params === null) throw refuse('sealed key: malformed');
  if (s.consortium !== me.consortium || s.recipient !== me.name) {
    throw refuse(`sealed key is addressed to "${s.recipient}" of "${s.consortium}", not to this site "${me.name}" of "${me.consortium}"`, { recipient: s.recipient });
  }
  if (s.sender !== keyHolder) throw refuse(`sealed key comes from "${s.sender}", but this consortium's key holder is "${keyHolder}"`, { sender: s.sender, keyHolder });
  const senderKey = siteCertificateKey(s.certificatePem, me.caPem, me.consortium, keyHolder, 'sealed key');
  // headerBytes and wrappingKey read the header's named fields only.
  const aad = headerBytes(s);
  const ciphertext = unb64(s.ciphertext);
  const tag = unb64(s.tag);
  if (!verify('sha256', Buffer.concat([aad, ciphertext, tag]), senderKey, unb64(s.signature))) throw refuse('sealed key: the key holder\'s signature does not verify');
  const privateKey = createPrivateKey({ key: Buffer.from(exchangePrivateKeyDer), format: 'der', type: 'pkcs8' });
  const myPublicDer = exchangePublicKeyOf(exchangePrivateKeyDer);
  if (sha256hex(myPublicDer) !== s.recipientKeySha256) throw refuse('sealed key was sealed to another exchange key of this site (it was re-created since); ask the key holder to seal again');
  const ephemeralDer = unb64(s.ephemeralPublicKey);
  const shared = diffieHellman({ privateKey, publicKey: createPublicKey({ key: ephemeralDer, format: 'der', type: 'spki' }) });
  const key = wrappingKey(shared, ephemeralDer, myPublicDer, s);
  let secretKey: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, unb64(s.iv));
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    secretKey = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (e) {
    throw refuse('sealed key: authentication failed (modified in transit or sealed to another key)', {}, e);
  } finally {
    key.fill(0);
    shared.fill(0);
  }
  const names = describeSecretKey(secretKey);
  if (names.keyId !== s.params.keyId || names.paramsId !== s.params.paramsId) throw refuse(`sealed key holds key ${names.keyId}, its header names ${s.params.keyId}`);
  return { secretKey, params: s.params };
}
