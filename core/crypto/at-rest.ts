/**
 * Encryption at rest for what a site writes that derives from PHI (model weights before
 * release, optimizer state, caches): AES-256-GCM from node:crypto, the key read from an
 * owner-only key file. File layout: magic "CHT1" | 12-byte IV | 16-byte tag | ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CohortError, SiteErrors } from '../errors/index.ts';
import { OWNER_ONLY_FILE, replaceFile, writeNewFile } from '../pki/files.ts';
import { assertOwnerOnly } from '../pki/kit.ts';

const MAGIC = Buffer.from('CHT1');
const KEY_BYTES = 32;

/**
 * Loads (or with `create`, makes) a 32-byte key file. Refuses one readable by group or
 * others with COHORT_E_PKI_KEY_PERMISSIONS, the check every private key file gets.
 */
export function loadKeyFile(path: string, options: { create?: boolean } = {}): Buffer {
  if (!existsSync(path)) {
    if (!options.create) throw new CohortError(SiteErrors.KEY_FILE_MISSING, `key file ${path} does not exist`, { details: { path } });
    writeNewFile(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, OWNER_ONLY_FILE);
  }
  assertOwnerOnly(path);
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new CohortError(SiteErrors.KEY_FILE_INVALID, `key file ${path} must hold ${KEY_BYTES} base64-encoded bytes`, { details: { path } });
  return key;
}

export function seal(key: Buffer, plaintext: Uint8Array, associatedData: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), body]);
}

export function open(key: Buffer, sealed: Buffer, associatedData: string, source: string): Buffer {
  if (sealed.length < 32 || !sealed.subarray(0, 4).equals(MAGIC)) {
    throw new CohortError(SiteErrors.STATE_CORRUPT, `${source} is not a Cohort encrypted file`, { details: { source } });
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(4, 16));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(sealed.subarray(16, 32));
    return Buffer.concat([decipher.update(sealed.subarray(32)), decipher.final()]);
  } catch (e) {
    throw new CohortError(SiteErrors.STATE_CORRUPT, `${source} failed authentication (altered, or encrypted under another key)`, { cause: e, details: { source } });
  }
}

/** Writes atomically: a crash leaves either the old or the new file. */
export function writeSealedFile(path: string, key: Buffer, plaintext: Uint8Array, associatedData: string): void {
  replaceFile(path, seal(key, plaintext, associatedData), OWNER_ONLY_FILE);
}

export function readSealedFile(path: string, key: Buffer, associatedData: string): Buffer {
  return open(key, readFileSync(path), associatedData, path);
}
