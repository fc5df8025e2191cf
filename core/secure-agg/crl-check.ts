/**
 * The key holder's own revocation check. The coordinator leaves revoked sites out of the
 * ceremony, but the key holder does not rely on it: before sealing it verifies a CRL itself,
 * against the CA certificate of its own kit (issuer, signature, nextUpdate, and a CRL number
 * no lower than one it saw before), and refuses every announcement signed under a certificate
 * that CRL lists.
 */
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import { crlNumberOf } from '../pki/crl.ts';
import { msOf } from './key-ceremony.ts';
import { normalizeSerial } from '../pki/identity.ts';
import { x509 } from '../pki/x509.ts';

/** A CRL that passed {@link verifyCeremonyCrl}. */
export interface CeremonyCrl {
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** The CRL number extension (RFC 5280 5.2.3); undefined when absent. */
  readonly crlNumber: number | undefined;
  /** Revoked serials, normalised (lowercase hex, no leading zeros). */
  readonly revokedSerials: ReadonlySet<string>;
  isRevoked(serial: string): boolean;
}

/**
 * Parses `pem` and checks that the CA of `caPem` issued and signed it, that it is current
 * (nextUpdate after `now`), and, when `minCrlNumber` is given, that its CRL
 * number is not lower. Throws SECURE_AGG_CRL_INVALID (unreadable, another issuer, a signature
 * the CA did not make) or SECURE_AGG_CRL_STALE (past or without nextUpdate, or older).
 */
export async function verifyCeremonyCrl(
  pem: string,
  caPem: string,
  options: { source: string; now?: Date | number; minCrlNumber?: number },
): Promise<CeremonyCrl> {
  const { source } = options;
  const invalid = (why: string, cause?: unknown): CohortError => new CohortError(SecureAggErrors.CRL_INVALID, `CRL ${source}: ${why}`, { details: { source }, cause });
  const stale = (why: string): CohortError => new CohortError(SecureAggErrors.CRL_STALE, `CRL ${source}: ${why}`, { details: { source } });
  if (pem.trim() === '') throw invalid('none was given (the coordinator serves none and no --crl file was passed)');
  let crl: x509.X509Crl;
  try {
    crl = new x509.X509Crl(pem);
  } catch (e) {
    throw invalid('not a PEM X.509 CRL', e);
  }
  const ca = new x509.X509Certificate(caPem);
  if (crl.issuer !== ca.subject) throw invalid(`issued by "${crl.issuer}", not by the consortium CA "${ca.subject}" of this kit`);
  let signed = false;
  try {
    signed = await crl.verify({ publicKey: ca });
  } catch (e) {
    throw invalid('its signature could not be checked', e);
  }
  if (!signed) throw invalid('its signature was not made by the consortium CA of this kit');
  const now = msOf(options.now);
  const nextUpdate = crl.nextUpdate;
  if (nextUpdate === undefined) throw stale('it has no nextUpdate, so nothing says when it stops being current');
  if (nextUpdate.getTime() <= now) throw stale(`it expired at ${nextUpdate.toISOString()} (nextUpdate); revocations since may be missing`);
  const crlNumber = crlNumberOf(crl);
  if (options.minCrlNumber !== undefined && (crlNumber === undefined || crlNumber < options.minCrlNumber)) {
    throw stale(`its CRL number ${crlNumber ?? '(none)'} is lower than ${options.minCrlNumber}, the newest this key holder already saw: an older CRL played back`);
  }
  const revokedSerials = new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber)));
  return Object.freeze({
    thisUpdate: crl.thisUpdate,
    nextUpdate,
    crlNumber,
    revokedSerials,
    isRevoked: (serial: string) => revokedSerials.has(normalizeSerial(serial)),
  });
}
