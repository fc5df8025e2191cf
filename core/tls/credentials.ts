/** Mutual TLS for Cohort's gRPC services, built from provisioned kits: the public surface of core/tls. */
export { CohortServerCredentials, serverCredentials } from './server-credentials.ts';
export { clientChannelOptions, clientCredentials, coordinatorIdentityCheck } from './client-credentials.ts';
export { watchCrlFile, type CrlWatchOptions } from './crl-watch.ts';
export { peerIdentity, type CallWithAuthContext } from './peer-identity.ts';
export type { RevocationGuard } from './revocation-guard.ts';
