import type { Identity } from '../pki/identity.ts';

/** What a server needs to judge a caller beyond the TLS handshake. */
export interface RevocationGuard {
  /** The consortium this server serves; callers from any other are refused. */
  readonly consortium: string;
  /** True when `serial` (normalised, see normalizeSerial) is in the currently loaded CRL. */
  isRevoked(serial: string): boolean;
  /** Told of each caller's certificate and its expiry (the coordinator warns of certificates due for renewal). */
  noteCertificate?(id: Identity, notAfter: Date): void;
}
