/**
 * The HE key ceremony's cryptography: how the key holder's BFV secret key reaches the other
 * hospitals through a coordinator that must not be able to read it, nor swap it for one of
 * its own.
 *
 * 1. Every site makes an X25519 key-agreement pair and publishes the public half in an
 *    {@link ExchangeKeyAnnouncement}, signed with its TLS (certificate) key, with an issue
 *    and an expiry time under the signature (re-announced on every connect and every 12 h).
 * 2. The key holder verifies each announcement against the consortium CA (so the coordinator
 *    cannot slip in a key of its own), its own copy of the CA-signed CRL and the announcement's
 *    time window, checks it against its roster of confirmed sites (./roster.ts, so the
 *    operator, who holds the CA, cannot either), and seals the secret key to it: ephemeral X25519 ECDH,
 *    HKDF-SHA256 bound to consortium, recipient and key id, AES-256-GCM with the header as
 *    associated data. The sealed key is signed with the key holder's certificate key.
 * 3. The recipient accepts a sealed key only from the site its kit names as key holder,
 *    signed under a certificate of the consortium CA whose public key is the one the
 *    recipient's IT pinned (confirmed out of band with the key holder's IT: the operator, who
 *    runs the CA, can issue a certificate for the key holder's name but not for its key),
 *    addressed to itself.
 *
 * Every primitive comes from node:crypto.
 */
import {
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
} from 'node:crypto';
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';
import { certificateFingerprint, exchangeKeyFingerprint, signingKeyFingerprint } from './fingerprints.ts';
import { describeSecretKey } from './keys.ts';
import { siteCertificateKey } from './certificate-key.ts';

/** The fields of a kit the ceremony needs. */
export interface CeremonyIdentity {
  readonly name: string;
  readonly consortium: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** The announcement format: version 2 added issuedAt and expiresAt (version 1 is refused). */
export const ANNOUNCEMENT_VERSION = 2;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How long a site's announcement lives; the agent re-announces well before (every 12 h and on every connect). */
export const ANNOUNCEMENT_LIFETIME_MS = 7 * DAY_MS;
/** The longest lifetime the key holder accepts. */
export const MAX_ANNOUNCEMENT_LIFETIME_MS = 30 * DAY_MS;
/** How far in the key holder's future an announcement may be issued (clocks differ). */
export const ANNOUNCEMENT_CLOCK_SKEW_MS = 5 * MINUTE_MS;

/** A site's X25519 public key, signed by the site's certificate key. JSON on the wire. */
export interface ExchangeKeyAnnouncement {
  readonly v: typeof ANNOUNCEMENT_VERSION;
  readonly consortium: string;
  readonly site: string;
  /** X25519 public key, SPKI DER, base64. */
  readonly publicKey: string;
  /** When the site announced, ISO 8601 UTC with milliseconds (`Date#toISOString`); signed. */
  readonly issuedAt: string;
  /** Until when the key holder may use it, same format; signed. */
  readonly expiresAt: string;
  readonly certificatePem: string;
  /** ECDSA-SHA256 by the certificate's key over {@link announcementBytes}, base64. */
  readonly signature: string;
}

/** An announcement that passed {@link verifyExchangeKey}. */
export interface VerifiedExchangeKey {
  readonly site: string;
  /** X25519 public key, SPKI DER. */
  readonly publicKeyDer: Buffer;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly certificatePem: string;
  /** See ./fingerprints.ts. */
  readonly certificateFingerprint: string;
  readonly exchangeKeyFingerprint: string;
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

const KEX_CONTEXT = 'cohort-kex-announcement-v2';
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

/** A clock reading as milliseconds: now when undefined. */
export const msOf = (t: Date | number | undefined): number => (t === undefined ? Date.now() : typeof t === 'number' ? t : t.getTime());

function announcementBytes(a: Pick<ExchangeKeyAnnouncement, 'consortium' | 'site' | 'issuedAt' | 'expiresAt'>, publicKeyDer: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${KEX_CONTEXT}\0${a.consortium}\0${a.site}\0${a.issuedAt}\0${a.expiresAt}\0`), Buffer.from(publicKeyDer)]);
}

/**
 * Signs the site's exchange public key with its certificate key, valid from `now` for
 * `lifetimeMs` (default {@link ANNOUNCEMENT_LIFETIME_MS}, at most {@link MAX_ANNOUNCEMENT_LIFETIME_MS}).
 */
export function announceExchangeKey(me: CeremonyIdentity, publicKeyDer: Uint8Array, options: { now?: Date | number; lifetimeMs?: number } = {}): ExchangeKeyAnnouncement {
  const lifetime = options.lifetimeMs ?? ANNOUNCEMENT_LIFETIME_MS;
  if (!(lifetime > 0 && lifetime <= MAX_ANNOUNCEMENT_LIFETIME_MS)) throw new RangeError(`announcement lifetime must be in (0, ${MAX_ANNOUNCEMENT_LIFETIME_MS}] ms, got ${lifetime}`);
  const issued = msOf(options.now);
  const times = { consortium: me.consortium, site: me.name, issuedAt: new Date(issued).toISOString(), expiresAt: new Date(issued + lifetime).toISOString() };
  const signature = sign('sha256', announcementBytes(times, publicKeyDer), createPrivateKey(me.keyPem));
  return { v: ANNOUNCEMENT_VERSION, ...times, publicKey: b64(publicKeyDer), certificatePem: me.certPem, signature: b64(signature) };
}

/** A time as announcements write it (`Date#toISOString`), in ms; undefined for anything else. */
function announcedTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && new Date(ms).toISOString() === value ? ms : undefined;
}

/** What {@link verifyExchangeKey} checks an announcement against. */
export interface AnnouncementExpectation {
  readonly caPem: string;
  readonly consortium: string;
  readonly site: string;
  /** The verifier's clock (default: now). */
  readonly now?: Date | number;
  /** Revocation by serial (normalised hex), from a CRL the verifier checked itself (./crl-check.ts). */
  readonly isRevoked?: (serial: string) => boolean;
}

/**
 * Verifies an announcement (JSON) for `site`. Throws SECURE_AGG_KEY_CEREMONY when it is
 * malformed, version 1, for another site or consortium, or not signed by a valid certificate
 * of the consortium CA for that site; SECURE_AGG_SITE_REVOKED when `isRevoked` lists that
 * certificate; then, once the signature verifies, ANNOUNCEMENT_EXPIRED, ANNOUNCEMENT_FUTURE
 * (issued more than {@link ANNOUNCEMENT_CLOCK_SKEW_MS} ahead) or ANNOUNCEMENT_LIFETIME
 * (longer than {@link MAX_ANNOUNCEMENT_LIFETIME_MS}). Replay needs the verifier's memory: ./roster.ts.
 */
export function verifyExchangeKey(json: string, expect: AnnouncementExpectation): VerifiedExchangeKey {
  const site = expect.site;
  const what = `exchange key of ${site}`;
  let a: ExchangeKeyAnnouncement;
  try {
    a = JSON.parse(json) as ExchangeKeyAnnouncement;
  } catch (e) {
    throw refuse(`${what}: not JSON`, { site }, e);
  }
  if (typeof a !== 'object' || a === null) throw refuse(`${what}: not a JSON object`, { site });
  if ((a.v as number) === 1) {
    throw refuse(`${what}: announcement version 1 (no issue or expiry time) is no longer accepted; upgrade the site agent of ${site} and restart it so it announces version ${ANNOUNCEMENT_VERSION}`, { site, version: 1 });
  }
  if (a.v !== ANNOUNCEMENT_VERSION || a.site !== site || a.consortium !== expect.consortium || typeof a.publicKey !== 'string' || typeof a.signature !== 'string' || typeof a.certificatePem !== 'string') {
    throw refuse(`${what}: malformed or announced for "${String(a.site)}" of "${String(a.consortium)}"`, { site });
  }
  const issuedAtMs = announcedTime(a.issuedAt);
  const expiresAtMs = announcedTime(a.expiresAt);
  if (issuedAtMs === undefined || expiresAtMs === undefined) throw refuse(`${what}: issuedAt and expiresAt must be ISO 8601 UTC times (Date#toISOString)`, { site });
  const now = msOf(expect.now);
  const key = siteCertificateKey(a.certificatePem, expect.caPem, expect.consortium, site, what, now);
  const serial = identityFromCertificate(a.certificatePem).serial;
  if (expect.isRevoked?.(serial) === true) {
    throw new CohortError(SecureAggErrors.SITE_REVOKED, `${what}: signed under certificate ${serial}, which the consortium CRL revokes`, { details: { site, serial } });
  }
  const der = unb64(a.publicKey);
  if (!verify('sha256', announcementBytes(a, der), key, unb64(a.signature))) {
    throw refuse(`${what}: the signature does not verify`, { site });
  }
  if (createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyType !== 'x25519') throw refuse(`${what}: not an X25519 key`, { site });
  const times = { site, issuedAt: a.issuedAt, expiresAt: a.expiresAt };
  if (expiresAtMs <= now) {
    throw new CohortError(SecureAggErrors.ANNOUNCEMENT_EXPIRED, `${what}: the announcement expired at ${a.expiresAt} (issued ${a.issuedAt}); the site re-announces when its agent connects`, { details: times });
  }
  if (issuedAtMs > now + ANNOUNCEMENT_CLOCK_SKEW_MS) {
    throw new CohortError(SecureAggErrors.ANNOUNCEMENT_FUTURE, `${what}: the announcement is issued at ${a.issuedAt}, more than ${ANNOUNCEMENT_CLOCK_SKEW_MS / MINUTE_MS} minutes after this key holder's clock (${new Date(now).toISOString()})`, { details: times });
  }
  if (!(expiresAtMs > issuedAtMs && expiresAtMs - issuedAtMs <= MAX_ANNOUNCEMENT_LIFETIME_MS)) {
    throw new CohortError(SecureAggErrors.ANNOUNCEMENT_LIFETIME, `${what}: the announcement lives from ${a.issuedAt} to ${a.expiresAt}; at most ${MAX_ANNOUNCEMENT_LIFETIME_MS / DAY_MS} days are accepted`, { details: times });
  }
  return {
    site,
    publicKeyDer: der,
    issuedAtMs,
    expiresAtMs,
    certificatePem: a.certificatePem,
    certificateFingerprint: certificateFingerprint(a.certificatePem),
    exchangeKeyFingerprint: exchangeKeyFingerprint(der),
  };
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

/** Whom a site accepts the sealed HE key from. */
export interface KeyHolderPin {
  /** The key holder its kit names. */
  readonly name: string;
  /**
   * The fingerprint of the key holder's certificate key (./fingerprints.ts
   * `signingKeyFingerprint`) that this site's IT confirmed out of band (site config
   * `keyHolderKey`); undefined when none is configured, and then nothing is opened.
   */
  readonly signingKey: string | undefined;
}

/** SECURE_AGG_KEY_HOLDER_NOT_PINNED for `site`, saying how to get and set the pin. */
export function keyHolderNotPinned(site: string, keyHolder: string): CohortError {
  return new CohortError(
    SecureAggErrors.KEY_HOLDER_NOT_PINNED,
    `site "${site}" has no keyHolderKey in its site config, so it opens no sealed HE key: ask the IT of the key holder "${keyHolder}" to run \`cohort site fingerprint\` there and read you its signingKeyFingerprint by phone, then set keyHolderKey: <that fingerprint> in this site's site.yaml and restart the agent`,
    { details: { site, keyHolder } },
  );
}

/**
 * Opens a sealed key addressed to `me`, checking that it comes from `keyHolder.name` under the
 * consortium CA, signed under the pinned key `keyHolder.signingKey`. Returns the secret key
 * envelope and its parameters. Throws SECURE_AGG_KEY_HOLDER_NOT_PINNED when no key is pinned
 * (before reading anything), SECURE_AGG_KEY_HOLDER_MISMATCH when the sender's certificate key
 * is not the pinned one, SECURE_AGG_KEY_CEREMONY on any other mismatch: a wrong sender,
 * recipient, signature or tag.
 */
export function openSealedKey(json: string, me: CeremonyIdentity, keyHolder: KeyHolderPin, exchangePrivateKeyDer: Uint8Array): { secretKey: Buffer; params: HeKeyParameters } {
  // No trust on first use: the sites without a key yet are exactly the ones a forged copy targets.
  if (keyHolder.signingKey === undefined) throw keyHolderNotPinned(me.name, keyHolder.name);
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
  if (s.sender !== keyHolder.name) throw refuse(`sealed key comes from "${s.sender}", but this consortium's key holder is "${keyHolder.name}"`, { sender: s.sender, keyHolder: keyHolder.name });
  const senderKey = siteCertificateKey(s.certificatePem, me.caPem, me.consortium, keyHolder.name, 'sealed key');
  const senderFingerprint = signingKeyFingerprint(s.certificatePem);
  if (senderFingerprint !== keyHolder.signingKey) {
    throw new CohortError(
      SecureAggErrors.KEY_HOLDER_MISMATCH,
      `sealed key: signed under a certificate for "${keyHolder.name}" whose key is ${senderFingerprint}, but this site pins the key holder's key ${keyHolder.signingKey} (keyHolderKey); nothing was opened`,
      { details: { keyHolder: keyHolder.name, signingKey: senderFingerprint, pinned: keyHolder.signingKey } },
    );
  }
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
