/**
 * The consortium certificate authority: a self-signed ECDSA P-256 root that certifies
 * each participant's own public key (sent in a certificate request; the CA never makes a
 * participant's key). Identity and role live in the subject (CN name, O consortium, OU
 * role) and in a SAN URI, so every server can authorise from the certificate alone.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { PARTICIPANT_NAME } from '../config/consortium.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { cohortUri, normalizeSerial } from './identity.ts';
import type { Role } from './roles.ts';
import { crypto as nodeCrypto, KEY_ALGORITHM, SIGNING_ALGORITHM, x509 } from './x509.ts';

/** One day in milliseconds: validity periods are counted in days. */
export const DAY_MS = 86_400_000;
/** Certificates start a little in the past so that a participant whose clock is behind can still use them. */
const BACKDATE_MS = 5 * 60_000;

/** A CA ready to sign: its certificate, its signing key and the WebCrypto provider that holds it (node:crypto, or a PKCS#11 token). */
export interface CertificateAuthority {
  readonly cert: x509.X509Certificate;
  readonly signingKey: CryptoKey;
  readonly crypto: Crypto;
}

/** A newly issued certificate, PEM. */
export interface IssuedCertificate {
  readonly certPem: string;
  /** Lowercase hex, no leading zeros (see normalizeSerial). */
  readonly serial: string;
  /** Backdated a little from the issue time, for clock skew. */
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Who a certificate is issued to. `hosts` (DNS names or IPs) only for the coordinator. */
export interface Participant {
  readonly name: string;
  readonly role: Role;
  readonly consortium: string;
  readonly hosts?: readonly string[];
}

export interface ValidityOptions {
  readonly validityDays: number;
  /** Issue time; defaults to now. Tests pin it. */
  readonly now?: Date;
  /** The latest end of validity allowed (the end of the participant's agreement), whatever validityDays asks for. */
  readonly notAfterCap?: Date;
}

/**
 * 16 random bytes, first byte in 0x10..0x7f: positive (no DER sign byte), no leading
 * zero nibble, so every tool prints the same 32 hex digits. 127 bits of randomness.
 */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x10 + ((bytes[0] ?? 0) % 0x70);
  return bytes.toString('hex');
}

function window(options: ValidityOptions): { notBefore: Date; notAfter: Date } {
  const now = (options.now ?? new Date()).getTime();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + options.validityDays * DAY_MS) };
}

function pem(cert: x509.X509Certificate): string {
  return `${cert.toString('pem')}\n`;
}

/** The CA's subject: `O=<consortium>, CN=<consortium> Cohort CA`. */
function caSubject(consortium: string): x509.JsonName {
  return [{ O: [consortium] }, { CN: [`${consortium} Cohort CA`] }];
}

/** Creates the self-signed consortium CA certificate for a key pair held by `crypto` (path length 0: it signs only participants). */
export async function createCaCertificate(consortium: string, keys: { privateKey: CryptoKey; publicKey: CryptoKey; crypto: Crypto }, options: ValidityOptions): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: caSubject(consortium),
      keys: { privateKey: keys.privateKey, publicKey: keys.publicKey },
      serialNumber: randomSerial(),
      signingAlgorithm: SIGNING_ALGORITHM,
      ...window(options),
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, keys.crypto),
      ],
    },
    keys.crypto,
  );
  return pem(cert);
}

/** A CA from its PEM certificate and an unlocked signing key. */
export function loadCa(certPem: string, key: { privateKey: CryptoKey; crypto: Crypto }): CertificateAuthority {
  return { cert: new x509.X509Certificate(certPem), signingKey: key.privateKey, crypto: key.crypto };
}

/** The CA's key identifier, for the AuthorityKeyIdentifier of what it signs (certificates and CRLs). */
export function authorityKeyId(ca: CertificateAuthority): x509.AuthorityKeyIdentifierExtension {
  const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski === null) throw new TypeError('CA certificate has no subject key identifier');
  return new x509.AuthorityKeyIdentifierExtension(ski.keyId);
}

/** Subject: `O=<consortium>, OU=<role>, CN=<name>`. */
function participantSubject(p: Participant): x509.JsonName {
  return [{ O: [p.consortium] }, { OU: [p.role] }, { CN: [p.name] }];
}

function subjectAltNames(p: Participant): x509.JsonGeneralNames {
  const names: x509.JsonGeneralNames = [{ type: 'url', value: cohortUri(p.consortium, p.role, p.name) }];
  for (const host of p.hosts ?? []) {
    names.push({ type: isIP(host) === 0 ? 'dns' : 'ip', value: host });
  }
  return names;
}

/** A verified certificate request: the name it asks for and the public key to certify. */
export interface CertificateRequest {
  readonly name: string;
  readonly publicKey: CryptoKey;
  /** SHA-256 of the request's public key (SPKI DER), hex: what the requester can compare. */
  readonly publicKeySha256: string;
}

function badRequest(message: string, source: string, cause?: unknown): CohortError {
  return new CohortError(PkiErrors.REQUEST_INVALID, `${source}: ${message}`, { details: { source }, cause });
}

/**
 * Reads a PKCS#10 request (PEM or DER): its self-signature must verify, its key must be
 * ECDSA P-256, and its subject must be exactly one CN that is a participant name. Anything
 * else the request asks for (other subject fields, extensions, a role) is ignored: the
 * certificate's content comes from the consortium file.
 */
export async function readCertificateRequest(data: string | Uint8Array, source = 'request'): Promise<CertificateRequest> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(typeof data === 'string' ? data : new Uint8Array(data));
  } catch (e) {
    throw badRequest('not a PKCS#10 certificate request', source, e);
  }
  const alg = csr.publicKey.algorithm as EcKeyAlgorithm;
  if (alg.name !== 'ECDSA' && alg.name !== 'ECDH' && alg.name !== 'EC') throw badRequest(`the key is ${alg.name}, not ECDSA P-256`, source);
  let publicKey: CryptoKey;
  try {
    publicKey = await csr.publicKey.export(KEY_ALGORITHM, ['verify'], nodeCrypto);
  } catch (e) {
    throw badRequest('the key is not an ECDSA P-256 key', source, e);
  }
  if ((publicKey.algorithm as EcKeyAlgorithm).namedCurve !== 'P-256') throw badRequest(`the key is on ${(publicKey.algorithm as EcKeyAlgorithm).namedCurve}, not P-256`, source);
  let signed = false;
  try {
    signed = await csr.verify(nodeCrypto);
  } catch (e) {
    throw badRequest('its signature cannot be checked', source, e);
  }
  if (!signed) throw badRequest('its signature does not verify (the request was changed, or not signed by its own key)', source);
  const subject = csr.subjectName.toJSON();
  const cns = subject.flatMap((rdn) => rdn['CN'] ?? []);
  if (cns.length !== 1 || typeof cns[0] !== 'string') throw badRequest(`the subject must name exactly one CN, found ${cns.length}`, source);
  const name = cns[0];
  if (!PARTICIPANT_NAME.test(name)) throw badRequest(`CN "${name}" is not a participant name (expected ${PARTICIPANT_NAME.source})`, source);
  const spki = await nodeCrypto.subtle.exportKey('spki', publicKey);
  const digest = Buffer.from(await nodeCrypto.subtle.digest('SHA-256', spki)).toString('hex');
  return { name, publicKey, publicKeySha256: digest };
}

/**
 * Certifies a participant's own public key. The coordinator's certificate serves TLS
 * (serverAuth) and may also dial (clientAuth); everyone else's is for clients only.
 */
export async function issueCertificate(ca: CertificateAuthority, p: Participant, publicKey: CryptoKey, options: ValidityOptions): Promise<IssuedCertificate> {
  const usages = p.role === 'coordinator' ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth];
  const serial = randomSerial();
  // No certificate outlives its CA, whatever the validity asked for.
  const asked = window(options);
  const capped = options.notAfterCap !== undefined && options.notAfterCap < asked.notAfter ? options.notAfterCap : asked.notAfter;
  const validity = { notBefore: asked.notBefore, notAfter: capped > ca.cert.notAfter ? ca.cert.notAfter : capped };
  // As SPKI bytes, not a CryptoKey: the CA's provider (a PKCS#11 token) takes only keys of its own.
  const spki = new x509.PublicKey(await nodeCrypto.subtle.exportKey('spki', publicKey));
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: participantSubject(p),
      issuer: ca.cert.subjectName,
      publicKey: spki,
      signingKey: ca.signingKey,
      serialNumber: serial,
      signingAlgorithm: SIGNING_ALGORITHM,
      ...validity,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(usages, false),
        new x509.SubjectAlternativeNameExtension(subjectAltNames(p), false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey, false, nodeCrypto),
        authorityKeyId(ca),
      ],
    },
    ca.crypto,
  );
  return { certPem: pem(cert), serial: normalizeSerial(serial), notBefore: validity.notBefore, notAfter: validity.notAfter };
}
