/**
 * The consortium certificate authority: a self-signed ECDSA P-256 root that issues one
 * certificate per participant. Identity and role live in the subject (CN name,
 * O consortium, OU role) and in a SAN URI, so every server can authorise from the
 * certificate alone.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { cohortUri, normalizeSerial } from './identity.ts';
import { generateKeyPair, privateKeyToPem, signingKeyFromPem } from './keys.ts';
import type { Role } from './roles.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

/** One day in milliseconds: validity periods are counted in days. */
export const DAY_MS = 86_400_000;
/** Certificates start a little in the past so that a participant whose clock is behind can still use them. */
const BACKDATE_MS = 5 * 60_000;

/** A CA ready to sign: its certificate and its signing key. */
export interface CertificateAuthority {
  readonly cert: x509.X509Certificate;
  readonly signingKey: CryptoKey;
}

/** A newly issued certificate with its key, both PEM. */
export interface IssuedCredentials {
  readonly certPem: string;
  readonly keyPem: string;
  /** Lowercase hex, no leading zeros (see normalizeSerial). */
  readonly serial: string;
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

/** Creates a new self-signed consortium CA (path length 0: it signs only participants). */
export async function createCa(consortium: string, options: ValidityOptions): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: caSubject(consortium),
    keys,
    serialNumber: randomSerial(),
    signingAlgorithm: SIGNING_ALGORITHM,
    ...window(options),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: pem(cert), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** Loads a CA from its PEM certificate and PKCS#8 PEM key. */
export async function loadCa(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  return { cert: new x509.X509Certificate(certPem), signingKey: await signingKeyFromPem(keyPem) };
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

/**
 * Issues a certificate and a fresh key for one participant. The coordinator's
 * certificate serves TLS (serverAuth) and may also dial (clientAuth); everyone
 * else's is for clients only.
 */
export async function issueCertificate(ca: CertificateAuthority, p: Participant, options: ValidityOptions): Promise<IssuedCredentials> {
  const keys = await generateKeyPair();
  const usages = p.role === 'coordinator' ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth];
  const serial = randomSerial();
  const validity = window(options);
  const cert = await x509.X509CertificateGenerator.create({
    subject: participantSubject(p),
    issuer: ca.cert.subjectName,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    serialNumber: serial,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages, false),
      new x509.SubjectAlternativeNameExtension(subjectAltNames(p), false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      authorityKeyId(ca),
    ],
  });
  return { certPem: pem(cert), keyPem: await privateKeyToPem(keys.privateKey), serial: normalizeSerial(serial), notAfter: validity.notAfter };
}
