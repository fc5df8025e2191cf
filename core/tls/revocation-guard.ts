/** What a server needs to judge a caller beyond the TLS handshake. */
export interface RevocationGuard {
  /** The consortium this server serves; callers from any other are refused. */
  readonly consortium: string;
  /** True when `serial` (normalised, see normalizeSerial) is in the currently loaded CRL. */
  isRevoked(serial: string): boolean;
}
