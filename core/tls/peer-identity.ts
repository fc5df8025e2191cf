/**
 * The caller of an RPC, from its verified client certificate. Every handler that
 * authorises calls asks here; no message field can claim an identity.
 */
import type { PeerCertificate } from 'node:tls';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { identityFromCertificate, type Identity } from '../pki/identity.ts';
import type { RevocationGuard } from './revocation-guard.ts';

/** The part of a grpc-js server call this needs (every server call type has it). */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * Returns the caller's identity. Throws (all UNAUTHENTICATED on the wire)
 * COHORT_E_PKI_NO_PEER_CERTIFICATE without a verified client certificate,
 * COHORT_E_PKI_CERT_IDENTITY when the certificate carries no Cohort identity,
 * COHORT_E_PKI_WRONG_CONSORTIUM for another consortium, and COHORT_E_PKI_CERT_REVOKED
 * when the serial is in the CRL now in force (covering connections that were opened
 * before the revocation, which TLS does not re-check).
 */
export function peerIdentity(call: CallWithAuthContext, guard: RevocationGuard): Identity {
  const cert = call.getAuthContext()?.sslPeerCertificate;
  if (cert === undefined) {
    throw new CohortError(PkiErrors.NO_PEER_CERTIFICATE, 'the call carries no verified client certificate (mutual TLS is required)');
  }
  const id = identityFromCertificate(cert);
  if (id.consortium !== guard.consortium) {
    throw new CohortError(PkiErrors.WRONG_CONSORTIUM, `caller "${id.name}" belongs to consortium "${id.consortium}", this server serves "${guard.consortium}"`, {
      details: { name: id.name, consortium: id.consortium },
    });
  }
  if (guard.isRevoked(id.serial)) {
    throw new CohortError(PkiErrors.CERT_REVOKED, `the certificate of ${id.role} "${id.name}" (serial ${id.serial}) is revoked`, {
      details: { name: id.name, role: id.role, serial: id.serial },
    });
  }
  if (cert.valid_to) guard.noteCertificate?.(id, new Date(cert.valid_to));
  return id;
}
