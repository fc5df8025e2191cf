/**
 * gRPC channel credentials for everyone who dials the coordinator: the participant's
 * certificate and key, trusting only the consortium CA, TLS 1.2 minimum, and a server
 * that must be the consortium's coordinator.
 */
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import { identityFromCertificate } from '../pki/identity.ts';
import type { Kit } from '../pki/kit.ts';
import { MIN_TLS_VERSION } from './server-credentials.ts';

/**
 * Host name check (by the host part of the dialled address, against the certificate's
 * DNS/IP SANs), then: the server's certificate must carry the coordinator role of
 * this consortium, so that no other participant's certificate can impersonate it.
 */
export function coordinatorIdentityCheck(consortium: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const hostError = checkServerIdentity(host, cert);
    if (hostError !== undefined) return hostError;
    try {
      const id = identityFromCertificate(cert);
      if (id.role !== 'coordinator' || id.consortium !== consortium) {
        return new Error(`server certificate belongs to ${id.role} "${id.name}" of "${id.consortium}", not to the coordinator of "${consortium}"`);
      }
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
    return undefined;
  };
}

/** Channel credentials from a kit; dial `kit.coordinatorAddress` (or another address of the coordinator). */
export function clientCredentials(kit: Kit): ChannelCredentials {
  const context = createSecureContext({ ca: kit.caPem, cert: kit.certPem, key: kit.keyPem, minVersion: MIN_TLS_VERSION });
  return credentials.createFromSecureContext(context, { checkServerIdentity: coordinatorIdentityCheck(kit.consortium) });
}
