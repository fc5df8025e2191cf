/**
 * Encryption at rest for what a site writes that derives from PHI (model weights before
 * release, optimizer state, caches): AES-256-GCM from node:crypto, the key read from an
 * owner-only key file. File layout: magic "CHT1" | 12-byte IV | 16-byte tag | ciphertext.
 *
 * The key file holds either the key itself (32 bytes, base64, one line) or, when a
 * `wrapper` is given (a key inside an HSM, see core/pki/pkcs11.ts), the key wrapped by it:
 * a first line `#cohort-wrapped-key v1` (never valid base64, so neither kind is taken for
 * the other), then the wrapped bytes in base64. The wrapped file alone does not yield the key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CohortError, SiteErrors } from '../errors/index.ts';
import { OWNER_ONLY_FILE, replaceFile, writeNewFile } from '../pki/files.ts';
import { assertOwnerOnly } from '../pki/kit.ts';

const MAGIC = Buffer.from('CHT1');
const KEY_BYTES = 32;

/** Wraps and unwraps the data key with a key the process never sees (an HSM's: Pkcs11WrappingKey). */
export interface KeyWrapper {
  wrap(dataKey: Buffer): Buffer;
  unwrap(wrapped: Buffer): Buffer;
}

const WRAPPED_HEADER = '#cohort-wrapped-key v1';

function parseKeyFile(path: string, text: string, wrapper: KeyWrapper | undefined): Buffer {
  const [first = '', ...rest] = text.split(/\r?\n/);
  if (first.trim() === WRAPPED_HEADER) {
    if (!wrapper) {
      throw new CohortError(SiteErrors.KEY_STORE_MISMATCH, `key file ${path} holds a key wrapped by an HSM, but the site config has no keyStore section`, { details: { path } });
    }
    const body = rest.join('').trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new CohortError(SiteErrors.KEY_FILE_INVALID, `wrapped key file ${path} is damaged`, { details: { path } });
    const key = wrapper.unwrap(Buffer.from(body, 'base64'));
    if (key.length !== KEY_BYTES) throw new CohortError(SiteErrors.KEY_FILE_INVALID, `wrapped key file ${path} does not unwrap to a ${KEY_BYTES}-byte key`, { details: { path } });
    return key;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (wrapper) {
    throw new CohortError(SiteErrors.KEY_STORE_MISMATCH, `key file ${path} is not wrapped by the HSM the site config's keyStore names${key.length === KEY_BYTES ? ' (it holds a plain key)' : ''}`, { details: { path } });
  }
  if (key.length !== KEY_BYTES) throw new CohortError(SiteErrors.KEY_FILE_INVALID, `key file ${path} must hold ${KEY_BYTES} base64-encoded bytes`, { details: { path } });
  return key;
}

/**
 * Loads (or with `create`, makes) a 32-byte key file. Refuses one readable by group or
 * others with COHORT_E_PKI_KEY_PERMISSIONS, the check every private key file gets. With a
 * `wrapper`, the file holds the key wrapped by it (a new key is drawn from node:crypto and
 * wrapped); a file of the other kind is COHORT_E_SITE_KEY_STORE_MISMATCH.
 */
export function loadKeyFile(path: string, options: { create?: boolean; wrapper?: KeyWrapper } = {}): Buffer {
  if (!existsSync(path)) {
    if (!options.create) throw new CohortError(SiteErrors.KEY_FILE_MISSING, `key file ${path} does not exist`, { details: { path } });
    const key = randomBytes(KEY_BYTES);
    const text = options.wrapper ? `${WRAPPED_HEADER}\n${options.wrapper.wrap(key).toString('base64')}\n` : `${key.toString('base64')}\n`;
    key.fill(0);
    writeNewFile(path, text, OWNER_ONLY_FILE);
  }
  assertOwnerOnly(path);
  return parseKeyFile(path, readFileSync(path, 'utf8'), options.wrapper);
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
