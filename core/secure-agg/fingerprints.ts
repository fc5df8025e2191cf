/**
 * Fingerprints that hospital IT compares out of band (read over the phone) before the key
 * holder seals the consortium HE key to a site: the SHA-256 of the site's certificate (DER)
 * and of its X25519 exchange public key (SPKI DER), written as OpenSSH writes host keys,
 * `SHA256:` and unpadded base64 (43 characters). Both sides use these functions: the site
 * prints its own (`cohort site fingerprint`), the key holder prints and records what it sees
 * announced (`cohort site key-ceremony`, its roster).
 *
 * The mirror image: every other site pins the key holder's signing key (the public key of its
 * certificate, SPKI DER), which the key holder prints as `signingKeyFingerprint`, in its site
 * config (`keyHolderKey`), and opens a sealed HE key only when it is signed under that key.
 */
import { X509Certificate, createHash } from 'node:crypto';

const PREFIX = 'SHA256:';

/** `SHA256:<base64, no padding>` of `bytes`. */
export function sha256Fingerprint(bytes: Uint8Array): string {
  return `${PREFIX}${createHash('sha256').update(bytes).digest('base64').replace(/=+$/, '')}`;
}

/** Whether `s` is written as a fingerprint of this module (not whether it is anyone's). */
export function isFingerprint(s: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(s);
}

/** The fingerprint of a certificate (PEM): SHA-256 of its DER encoding. */
export function certificateFingerprint(certPem: string): string {
  return sha256Fingerprint(new X509Certificate(certPem).raw);
}

/**
 * The fingerprint of a certificate's public key (PEM or DER certificate): SHA-256 of the key's
 * SPKI DER. A certificate renewed for the same key keeps it; a new key changes it.
 */
export function signingKeyFingerprint(certificate: string | Uint8Array): string {
  return sha256Fingerprint(new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' }));
}

/** The fingerprint of an X25519 exchange public key: SHA-256 of its SPKI DER encoding. */
export function exchangeKeyFingerprint(publicKeyDer: Uint8Array): string {
  return sha256Fingerprint(publicKeyDer);
}
