/**
 * A consortium participant's certificate key, checked against the consortium CA: the one check
 * under every signature of the key ceremony and of pairwise masking (advertisements, receipts).
 * Key-free (it loads nothing of the HE key), so the coordinator verifies the sites' mask-key
 * advertisements and contribution receipts with it too.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';

function refuse(message: string, details: Record<string, unknown> = {}, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.KEY_CEREMONY, message, { details, cause });
}

/**
 * Checks that `certPem` was issued by the consortium CA, is valid now, and belongs to site
 * `site` of `consortium`; returns its public key. Throws SECURE_AGG_KEY_CEREMONY otherwise.
 */
export function siteCertificateKey(certPem: string, caPem: string, consortium: string, site: string, what: string, now = Date.now()): KeyObject {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw refuse(`${what}: the certificate is not PEM X.509`, { site }, e);
  }
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw refuse(`${what}: the certificate was not issued by the consortium CA`, { site });
  if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) throw refuse(`${what}: the certificate is not valid now (${cert.validFrom} .. ${cert.validTo})`, { site });
  const id = identityFromCertificate(certPem);
  if (id.role !== 'site' || id.name !== site || id.consortium !== consortium) {
    throw refuse(`${what}: the certificate belongs to ${id.role} "${id.name}" of "${id.consortium}", expected site "${site}" of "${consortium}"`, { site, holder: id.name });
  }
  return cert.publicKey;
}
