/**
 * gRPC channel credentials for everyone who dials the coordinator: the participant's
 * certificate and key, trusting only the consortium CA, TLS 1.2 minimum, and a server
 * that must be the consortium's coordinator.
 */
import { credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import { identityFromCertificate } from '../pki/identity.ts';
import type { Kit } from '../pki/kit.ts';
import { MIN_TLS_VERSION } from './server-credentials.ts';

/**
 * Host name check (by the host part of the dialled address, against the certificate's
 * DNS/IP SANs), then: the server's certificate must carry the coordinator role of
 * this consortium, so that no other participant's certificate can impersonate it.
 * With `dialledHost`, that host is checked whatever name the TLS layer passes in (it
 * passes the server-name override when one is set, see `clientChannelOptions`).
 */
export function coordinatorIdentityCheck(consortium: string, dialledHost?: string): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const hostError = checkServerIdentity(dialledHost ?? host, cert);
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

/** The host part of `host:port` or `[v6]:port`. */
export function addressHost(address: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (v6) return v6[1] as string;
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}

/**
 * The TLS server name (SNI) for dialling `address`: none of our own for a DNS name (gRPC
 * sends the name dialled), and for an IP address a DNS name the coordinator's certificate
 * carries (the kit's `coordinatorServerName`, else the kit's own address when that is a DNS
 * name), because RFC 6066 does not allow an IP address in SNI. Undefined when no DNS name
 * is known (an old kit of an IP-only consortium): then gRPC sends the IP.
 */
export function tlsServerName(kit: Pick<Kit, 'coordinatorAddress' | 'coordinatorServerName'>, address: string): string | undefined {
  if (isIP(addressHost(address)) === 0) return undefined;
  if (kit.coordinatorServerName !== undefined) return kit.coordinatorServerName;
  const kitHost = addressHost(kit.coordinatorAddress);
  return isIP(kitHost) === 0 ? kitHost : undefined;
}

/** Channel options that go with `clientCredentials(kit, address)`: the server-name override for an IP address. */
export function clientChannelOptions(kit: Pick<Kit, 'coordinatorAddress' | 'coordinatorServerName'>, address: string = kit.coordinatorAddress): ChannelOptions {
  const serverName = tlsServerName(kit, address);
  return serverName === undefined ? {} : { 'grpc.ssl_target_name_override': serverName };
}

/**
 * Channel credentials from a kit for dialling `address` (default `kit.coordinatorAddress`);
 * use them with `clientChannelOptions(kit, address)`. The certificate is checked against the
 * host of `address` itself (its IP SANs for an IP), not against the server name sent.
 */
export function clientCredentials(kit: Kit, address: string = kit.coordinatorAddress): ChannelCredentials {
  const context = createSecureContext({ ca: kit.caPem, cert: kit.certPem, key: kit.keyPem, minVersion: MIN_TLS_VERSION });
  return credentials.createFromSecureContext(context, { checkServerIdentity: coordinatorIdentityCheck(kit.consortium, addressHost(address)) });
}
