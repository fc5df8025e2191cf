/**
 * gRPC server credentials for the coordinator: mutual TLS (1.2 minimum) against the
 * consortium CA, with the CRL in the TLS context so that OpenSSL refuses revoked
 * client certificates during the handshake. The CRL can be replaced while the server
 * runs; new connections use the new one at once.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { verifyCrl, type CrlContents } from '../pki/crl.ts';
import type { ExpiryWatch } from '../pki/expiry.ts';
import { normalizeSerial, type Identity } from '../pki/identity.ts';
import type { Kit } from '../pki/kit.ts';
import type { RevocationGuard } from './revocation-guard.ts';

/** TLS 1.2 is the floor (ARCHITECTURE.md, Transport); 1.3 is negotiated whenever both ends have it. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/**
 * Server credentials built from the coordinator's kit. Implements RevocationGuard so
 * that `peerIdentity` can check each call against the CRL the TLS layer uses.
 */
export class CohortServerCredentials extends ServerCredentials implements RevocationGuard {
  readonly consortium: string;
  readonly #caPem: string;
  readonly #identity: SecureContextOptions;
  #crl: CrlContents;
  #crlPem: string;

  /** Use `serverCredentials(kit)`, which checks the kit's CRL first. */
  constructor(kit: Kit, crlPem: string, crl: CrlContents) {
    const identity: SecureContextOptions = {
      ca: kit.caPem,
      cert: kit.certPem,
      key: kit.keyPem,
      // minVersion sits in the context options too: a CRL reload replaces the whole
      // secure context, and it must not fall back to Node's default floor.
      minVersion: MIN_TLS_VERSION,
      ...(process.env.GRPC_SSL_CIPHER_SUITES === undefined ? {} : { ciphers: process.env.GRPC_SSL_CIPHER_SUITES }),
    };
    const serverOptions: SecureServerOptions = { requestCert: true, rejectUnauthorized: true, minVersion: MIN_TLS_VERSION };
    super(serverOptions, { ...identity, crl: crlPem });
    this.consortium = kit.consortium;
    this.#caPem = kit.caPem;
    this.#identity = identity;
    this.#crl = crl;
    this.#crlPem = crlPem;
  }

  /** Set by the coordinator: sees every caller's certificate (peerIdentity) to warn before it expires. */
  expiryWatch?: ExpiryWatch;

  noteCertificate(id: Identity, notAfter: Date): void {
    this.expiryWatch?.note(id, notAfter);
  }

  _equals(other: ServerCredentials): boolean {
    return other === this;
  }

  isRevoked(serial: string): boolean {
    return this.#crl.revokedSerials.has(normalizeSerial(serial));
  }

  /** The CRL in force: its dates and revoked serials. */
  get crl(): CrlContents {
    return this.#crl;
  }

  /** The CRL in force, as PEM (what `SiteService.GetCrl` serves). */
  get crlPem(): string {
    return this.#crlPem;
  }

  /**
   * Replaces the CRL. The new CRL must be signed by the consortium CA and current;
   * otherwise COHORT_E_PKI_CRL_INVALID is thrown and the old CRL stays in force.
   * Connections opened later are checked against the new CRL by TLS; calls on older
   * connections are checked by `peerIdentity`.
   */
  async reloadCrl(pem: string, source = 'crl.pem'): Promise<CrlContents> {
    const crl = await verifyCrl(pem, this.#caPem, source);
    this.updateSecureContextOptions({ ...this.#identity, crl: pem });
    this.#crl = crl;
    this.#crlPem = pem;
    return crl;
  }
}

/**
 * Server credentials from the coordinator's kit. Throws COHORT_E_PKI_KIT_INVALID for a
 * kit that is not the coordinator's, COHORT_E_PKI_CRL_INVALID when its CRL is not
 * signed by the CA or has expired (OpenSSL would then refuse every client).
 */
export async function serverCredentials(kit: Kit): Promise<CohortServerCredentials> {
  if (kit.role !== 'coordinator' || kit.crlPem === undefined) {
    throw new CohortError(PkiErrors.KIT_INVALID, `kit ${kit.dir} belongs to ${kit.role} "${kit.name}"; only the coordinator kit (with crl.pem) can serve`, {
      details: { dir: kit.dir, role: kit.role },
    });
  }
  const crl = await verifyCrl(kit.crlPem, kit.caPem, kit.crlPath ?? 'crl.pem');
  return new CohortServerCredentials(kit, kit.crlPem, crl);
}
