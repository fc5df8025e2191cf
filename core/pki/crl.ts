/**
 * The consortium's certificate revocation list. The coordinator loads it into its TLS
 * context (OpenSSL refuses revoked client certificates during the handshake) and also
 * checks each call's serial against it, for connections opened before a revocation.
 */
import { CohortError, PkiErrors } from '../errors/index.ts';
import { authorityKeyId, DAY_MS, type CertificateAuthority } from './ca.ts';
import { normalizeSerial } from './identity.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

const CRL_NUMBER_OID = '2.5.29.20';

/** RFC 5280 reason codes that make sense for a participant's certificate. */
export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export function isRevocationReason(value: unknown): value is RevocationReason {
  return typeof value === 'string' && (REVOCATION_REASONS as readonly string[]).includes(value);
}

/** One revoked certificate, as the provisioner records it. */
export interface RevokedCertificate {
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

export interface CrlOptions {
  /** Days from thisUpdate to nextUpdate; after nextUpdate OpenSSL rejects every client. */
  readonly validityDays: number;
  /** Monotonic CRL number (RFC 5280 5.2.3), so relying parties can tell newer from older. */
  readonly crlNumber: number;
  readonly now?: Date;
}

/** DER INTEGER of a non-negative safe integer (the CRL number extension's value). */
export function derInteger(n: number): Uint8Array<ArrayBuffer> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`CRL number must be a non-negative integer, got ${n}`);
  const bytes: number[] = [];
  let rest = n;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}

/** The CRL number's value (a DER INTEGER), when it fits a safe integer. */
export function crlNumberOf(crl: x509.X509Crl): number | undefined {
  const ext = crl.extensions.find((e) => e.type === CRL_NUMBER_OID);
  if (ext === undefined) return undefined;
  const der = new Uint8Array(ext.value);
  if (der[0] !== 0x02 || der[1] === undefined || der[1] !== der.length - 2 || der.length > 10) return undefined;
  let n = 0;
  for (const b of der.subarray(2)) n = n * 256 + b;
  return Number.isSafeInteger(n) ? n : undefined;
}

function evenHex(serial: string): string {
  const hex = normalizeSerial(serial);
  return hex.length % 2 === 0 ? hex : `0${hex}`;
}

/** Creates a CRL signed by the CA, listing `revoked`. Returns PEM. */
export async function createCrl(ca: CertificateAuthority, revoked: readonly RevokedCertificate[], options: CrlOptions): Promise<string> {
  const thisUpdate = options.now ?? new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subjectName,
    thisUpdate,
    nextUpdate: new Date(thisUpdate.getTime() + options.validityDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    signingKey: ca.signingKey,
    extensions: [authorityKeyId(ca), new x509.Extension(CRL_NUMBER_OID, false, derInteger(options.crlNumber))],
    entries: revoked.map((r) => ({
      serialNumber: evenHex(r.serial),
      revocationDate: r.revokedAt,
      // RFC 5280 5.3.1: the reason code SHOULD be absent rather than "unspecified".
      ...(r.reason === 'unspecified' ? {} : { reason: x509.X509CrlReason[r.reason] }),
    })),
  }, ca.crypto);
  // OpenSSL (and so Node's TLS `crl` option) only reads the RFC 7468 label "X509 CRL";
  // the library's own PEM says "CRL".
  return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`;
}

/** What a CRL says, once parsed. */
export interface CrlContents {
  readonly issuer: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** The entries, in CRL order; serials normalised (see normalizeSerial). */
  readonly revoked: readonly { readonly serial: string; readonly revokedAt: Date; readonly reason: RevocationReason | 'other' }[];
  /** The same serials, for lookups. */
  readonly revokedSerials: ReadonlySet<string>;
}

function reasonName(code: x509.X509CrlReason | undefined): RevocationReason | 'other' {
  if (code === undefined) return 'unspecified';
  const name = x509.X509CrlReason[code];
  return isRevocationReason(name) ? name : 'other';
}

function parseCrl(pem: string, source: string): x509.X509Crl {
  try {
    return new x509.X509Crl(pem);
  } catch (e) {
    throw new CohortError(PkiErrors.CRL_INVALID, `CRL ${source} is not a PEM or DER X.509 CRL`, { details: { file: source }, cause: e });
  }
}

function contents(crl: x509.X509Crl): CrlContents {
  const revoked = crl.entries.map((e) =>
    Object.freeze({ serial: normalizeSerial(e.serialNumber), revokedAt: e.revocationDate, reason: reasonName(e.reason) }),
  );
  return Object.freeze({
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    revoked: Object.freeze(revoked),
    revokedSerials: new Set(revoked.map((r) => r.serial)),
  });
}

/** Parses a CRL without checking its signature. Throws COHORT_E_PKI_CRL_INVALID if unparsable. */
export function readCrl(pem: string, source = 'crl.pem'): CrlContents {
  return contents(parseCrl(pem, source));
}

/**
 * Parses a CRL and checks that the consortium CA signed it and that it is current
 * (nextUpdate after `now`): a CRL that fails either would make OpenSSL refuse every
 * client, so it is refused here instead. Throws COHORT_E_PKI_CRL_INVALID.
 */
export async function verifyCrl(pem: string, caCertPem: string, source = 'crl.pem', now = new Date()): Promise<CrlContents> {
  const crl = parseCrl(pem, source);
  const ca = new x509.X509Certificate(caCertPem);
  const fail = (why: string): never => {
    throw new CohortError(PkiErrors.CRL_INVALID, `CRL ${source} ${why}`, { details: { file: source } });
  };
  if (crl.issuer !== ca.subject) return fail(`was issued by "${crl.issuer}", not by the consortium CA "${ca.subject}"`);
  let signed = false;
  try {
    signed = await crl.verify({ publicKey: ca });
  } catch {
    // An unverifiable signature (an unsupported algorithm, a malformed value) is not the CA's.
  }
  if (!signed) return fail('has a signature the consortium CA did not make');
  if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() <= now.getTime()) {
    return fail(`expired at ${crl.nextUpdate.toISOString()} (nextUpdate)`);
  }
  return contents(crl);
}
