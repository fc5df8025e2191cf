/**
 * A consortium CA built directly with @peculiar/x509 for the key-custody tests: certificates
 * as Cohort's CA writes them (O consortium, OU role, CN name, SAN cohort:// URI), and CA-signed
 * CRLs with any dates and CRL number. The tests hold the CA key, as the operator does, so they
 * can play an operator that issues a certificate of its own for an existing site name.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { derInteger } from '../../../core/pki/crl.ts';
import { cohortUri } from '../../../core/pki/identity.ts';
import { crypto, x509 } from '../../../core/pki/x509.ts';
import type { CeremonyIdentity } from '../../../core/secure-agg/key-ceremony.ts';

const ALG: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIG: EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

export interface TestIdentity extends CeremonyIdentity {
  /** Lowercase hex. */
  readonly serial: string;
}

export interface TestCa {
  readonly consortium: string;
  readonly caPem: string;
  /** A fresh key pair and certificate for site `name` (each call: a new certificate, as an operator may issue); `role` another role (the coordinator). */
  issue(name: string, role?: 'site' | 'coordinator'): Promise<TestIdentity>;
  /** A new certificate for the same key as `id` (a renewal with the existing key, as openssl makes one). */
  reissue(id: TestIdentity): Promise<TestIdentity>;
  /** A CRL signed by this CA listing `serials`. */
  crl(serials: readonly string[], options?: { thisUpdate?: Date; nextUpdate?: Date; crlNumber?: number }): Promise<string>;
}

const serialHex = (): string => {
  const b = randomBytes(16);
  b[0] = 0x10 + ((b[0] ?? 0) % 0x70);
  return b.toString('hex');
};

export async function testCa(consortium: string): Promise<TestCa> {
  const keys = (await crypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ O: [consortium] }, { CN: [`${consortium} Cohort CA`] }],
    keys,
    serialNumber: serialHex(),
    signingAlgorithm: SIG,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caPem = `${ca.toString('pem')}\n`;
  async function certify(name: string, pair: { publicKey: KeyObject; privateKey: KeyObject }, role: 'site' | 'coordinator' = 'site'): Promise<TestIdentity> {
    const publicKey = await crypto.subtle.importKey('spki', pair.publicKey.export({ type: 'spki', format: 'der' }), ALG, true, ['verify']);
    const serial = serialHex();
    const cert = await x509.X509CertificateGenerator.create({
      subject: [{ O: [consortium] }, { OU: [role] }, { CN: [name] }],
      issuer: ca.subjectName,
      publicKey,
      signingKey: keys.privateKey,
      serialNumber: serial,
      signingAlgorithm: SIG,
      notBefore: new Date(Date.now() - DAY_MS),
      notAfter: new Date(Date.now() + 90 * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: cohortUri(consortium, role, name) }], false),
      ],
    });
    return { name, consortium, caPem, certPem: `${cert.toString('pem')}\n`, keyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), serial };
  }
  return {
    consortium,
    caPem,
    issue: (name, role) => certify(name, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }), role),
    reissue: (id) => {
      const privateKey = createPrivateKey(id.keyPem);
      return certify(id.name, { privateKey, publicKey: createPublicKey(privateKey) });
    },
    async crl(serials, options = {}) {
      const thisUpdate = options.thisUpdate ?? new Date(Date.now() - 60_000);
      const crl = await x509.X509CrlGenerator.create({
        issuer: ca.subjectName,
        thisUpdate,
        nextUpdate: options.nextUpdate ?? new Date(thisUpdate.getTime() + 30 * DAY_MS),
        signingAlgorithm: SIG,
        signingKey: keys.privateKey,
        extensions: [new x509.Extension('2.5.29.20', false, derInteger(options.crlNumber ?? 1))],
        entries: serials.map((s) => ({ serialNumber: s, revocationDate: thisUpdate })),
      });
      return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`;
    },
  };
}
