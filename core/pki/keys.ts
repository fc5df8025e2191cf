/** Key pairs for the consortium PKI: ECDSA P-256, generated and stored by node:crypto. */
import { crypto, KEY_ALGORITHM, x509 } from './x509.ts';

/** Generates an extractable ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM (`BEGIN PRIVATE KEY`), the form Node's TLS and OpenSSL read. */
export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** Imports a PKCS#8 PEM private key as a non-extractable signing key. */
export async function signingKeyFromPem(pem: string): Promise<CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  if (der === undefined) throw new TypeError('no PEM block in private key');
  return crypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}
