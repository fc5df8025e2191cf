/**
 * A participant's identity as its certificate states it: CN = name, O = consortium,
 * OU = role, and a SAN URI `cohort://<consortium>/<role>/<name>` that must agree.
 * Servers take identity and role from here, never from a message field.
 */
import type { PeerCertificate } from 'node:tls';
import { PARTICIPANT_NAME } from '../config/consortium.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { isRole, type Role } from './roles.ts';
import { x509 } from './x509.ts';

/** Who a certificate belongs to. `serial` is lowercase hex without leading zeros. */
export interface Identity {
  readonly name: string;
  readonly role: Role;
  readonly consortium: string;
  readonly serial: string;
}

/** The SAN URI every Cohort certificate carries. */
export function cohortUri(consortium: string, role: Role, name: string): string {
  return `cohort://${consortium}/${role}/${name}`;
}

/**
 * Canonical form of a serial number (hex, any case, maybe zero-padded or with
 * colons) so that serials from OpenSSL, Node and @peculiar/x509 compare equal.
 */
export function normalizeSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

function parse(input: PeerCertificate | string | Uint8Array): x509.X509Certificate {
  try {
    if (typeof input === 'string') return new x509.X509Certificate(input);
    // Copies into a plain ArrayBuffer-backed view, the BufferSource the library accepts.
    if (input instanceof Uint8Array) return new x509.X509Certificate(new Uint8Array(input));
    if (input.raw === undefined) throw new TypeError('peer certificate has no raw DER');
    return new x509.X509Certificate(new Uint8Array(input.raw));
  } catch (e) {
    throw new CohortError(PkiErrors.CERT_IDENTITY, 'certificate could not be parsed as X.509', { cause: e });
  }
}

function singleField(cert: x509.X509Certificate, field: 'CN' | 'O' | 'OU'): string {
  const values = cert.subjectName.getField(field);
  if (values.length !== 1 || values[0] === undefined) {
    throw new CohortError(
      PkiErrors.CERT_IDENTITY,
      `certificate subject "${cert.subject}" must have exactly one ${field}, found ${values.length}`,
      { details: { subject: cert.subject, field } },
    );
  }
  return values[0];
}

function sanUris(cert: x509.X509Certificate): string[] {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return san === null ? [] : san.names.items.filter((n) => n.type === 'url').map((n) => n.value);
}

/**
 * Reads name, role, consortium and serial from a certificate (a TLS peer certificate,
 * PEM text or DER bytes). Throws COHORT_E_PKI_CERT_IDENTITY when a field is missing, the
 * role is not a Cohort role, or the SAN URI disagrees with the subject. Does not check
 * the signature or revocation: TLS did the first, `peerIdentity` does the second.
 */
export function identityFromCertificate(input: PeerCertificate | string | Uint8Array): Identity {
  const cert = parse(input);
  const name = singleField(cert, 'CN');
  const consortium = singleField(cert, 'O');
  const role = singleField(cert, 'OU');
  const fail = (why: string): never => {
    throw new CohortError(PkiErrors.CERT_IDENTITY, `certificate "${cert.subject}": ${why}`, {
      details: { subject: cert.subject },
    });
  };
  if (!isRole(role)) return fail(`OU "${role}" is not a Cohort role`);
  if (!PARTICIPANT_NAME.test(name)) return fail(`CN "${name}" is not a participant name`);
  if (!PARTICIPANT_NAME.test(consortium)) return fail(`O "${consortium}" is not a consortium name`);
  const expectedUri = cohortUri(consortium, role, name);
  if (!sanUris(cert).includes(expectedUri)) return fail(`subject alternative names lack the URI ${expectedUri}`);
  return Object.freeze({ name, role, consortium, serial: normalizeSerial(cert.serialNumber) });
}
