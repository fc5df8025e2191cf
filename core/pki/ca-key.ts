/**
 * Where the consortium CA's signing key lives: never a plain file.
 *
 * - `passphrase`: PKCS#8 encrypted in `.provisioner/ca.key` with AES-256-GCM under a key
 *   derived by scrypt from a passphrase read from an owner-only file (never from an
 *   environment variable); everything from node:crypto.
 * - `pkcs11`: the key pair is made and kept inside a PKCS#11 token (an HSM, or SoftHSM2 in
 *   tests); `.provisioner/state.json` records only which token and label hold it.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { generateKeyPair, privateKeyToPem, signingKeyFromPem } from './keys.ts';
import { assertOwnerOnly } from './kit.ts';
import type { Pkcs11Config } from './pkcs11.ts';
import { crypto as nodeCrypto } from './x509.ts';

/** How the operator unlocks the CA key for one command. */
export type CaKeyAccess = { readonly passphraseFile: string } | { readonly pkcs11: Pkcs11Config };

/** A CA key ready to sign with, and the WebCrypto provider that can use it. */
export interface CaSigningKey {
  readonly privateKey: CryptoKey;
  readonly publicKey?: CryptoKey;
  readonly crypto: Crypto;
  /** Releases the token session (a no-op for a key from a file). */
  close(): void;
}

/** The scrypt work factor: 2^15 x 8 x 128 bytes = 32 MiB and about 0.1 s per unlock. */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const ENVELOPE_CONTEXT = 'cohort-ca-key-v1';
const MIN_PASSPHRASE = 12;

interface Envelope {
  readonly v: 1;
  readonly kdf: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

function locked(message: string, details: Record<string, unknown> = {}, cause?: unknown): CohortError {
  return new CohortError(PkiErrors.CA_KEY_LOCKED, message, { details, cause });
}

/** Reads a passphrase file: owner-only, trailing newline dropped, at least 12 characters. */
export function readPassphraseFile(path: string): Buffer {
  if (!existsSync(path)) throw locked(`passphrase file ${path} does not exist`, { file: path });
  try {
    assertOwnerOnly(path);
  } catch (e) {
    throw locked(`passphrase file ${path} must be readable by its owner only (chmod 600 ${path})`, { file: path }, e);
  }
  const passphrase = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  if (passphrase.length < MIN_PASSPHRASE) throw locked(`the passphrase in ${path} is shorter than ${MIN_PASSPHRASE} characters`, { file: path });
  return Buffer.from(passphrase, 'utf8');
}

function derive(passphrase: Buffer, salt: Buffer, e: Pick<Envelope, 'N' | 'r' | 'p'>): Buffer {
  return scryptSync(passphrase, salt, 32, { N: e.N, r: e.r, p: e.p, maxmem: SCRYPT.maxmem });
}

/** Encrypts a PKCS#8 PEM key under a passphrase: the contents of `.provisioner/ca.key`. */
export function encryptKeyPem(keyPem: string, passphrase: Buffer): string {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = derive(passphrase, salt, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(ENVELOPE_CONTEXT));
  const ciphertext = Buffer.concat([cipher.update(keyPem, 'utf8'), cipher.final()]);
  key.fill(0);
  const envelope: Envelope = { v: 1, kdf: 'scrypt', N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), ciphertext: ciphertext.toString('base64') };
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/** Decrypts `.provisioner/ca.key`; a wrong passphrase (or a changed byte) is COHORT_E_PKI_CA_KEY_LOCKED. */
export function decryptKeyPem(envelopeText: string, passphrase: Buffer, source: string): string {
  let e: Envelope;
  try {
    e = JSON.parse(envelopeText) as Envelope;
  } catch (cause) {
    throw locked(`${source} is not an encrypted Cohort CA key (a plain PEM key is no longer accepted)`, { file: source }, cause);
  }
  if (e.v !== 1 || e.kdf !== 'scrypt') throw locked(`${source} is not an encrypted Cohort CA key`, { file: source });
  const key = derive(passphrase, Buffer.from(e.salt, 'base64'), e);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(e.iv, 'base64'));
    decipher.setAAD(Buffer.from(ENVELOPE_CONTEXT));
    decipher.setAuthTag(Buffer.from(e.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(e.ciphertext, 'base64')), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw locked(`the passphrase does not unlock ${source}`, { file: source }, cause);
  } finally {
    key.fill(0);
  }
}

/** What `.provisioner/state.json` records of where the CA key is (`caKey`): for an HSM, the token and label, never a PIN. */
export interface CaKeyRecord {
  readonly store: 'passphrase' | 'pkcs11';
  readonly pkcs11?: Omit<Pkcs11Config, 'pinFile'>;
}

/** Makes a new CA key pair in the store `access` names; `encryptedPem` is what to write to ca.key (file store only). */
export async function createCaKey(access: CaKeyAccess): Promise<{ key: CaSigningKey & { publicKey: CryptoKey }; record: CaKeyRecord; encryptedPem?: string }> {
  if ('pkcs11' in access) {
    const { pkcs11CaKey } = await import('./pkcs11.ts');
    const key = await pkcs11CaKey(access.pkcs11, { create: true });
    const { module, keyLabel, tokenLabel, slot } = access.pkcs11;
    const where = { module, keyLabel, ...(tokenLabel === undefined ? {} : { tokenLabel }), ...(slot === undefined ? {} : { slot }) };
    return { key, record: { store: 'pkcs11', pkcs11: where } };
  }
  const passphrase = readPassphraseFile(access.passphraseFile);
  const keys = await generateKeyPair();
  const encryptedPem = encryptKeyPem(await privateKeyToPem(keys.privateKey), passphrase);
  passphrase.fill(0);
  return { key: { ...keys, crypto: nodeCrypto, close: () => undefined }, record: { store: 'passphrase' }, encryptedPem };
}

/** Unlocks the CA key recorded in `record`, with the access the operator gave this command. */
export async function openCaKey(record: CaKeyRecord, access: CaKeyAccess | undefined, caKeyFile: string): Promise<CaSigningKey> {
  if (access === undefined) {
    throw locked(record.store === 'pkcs11' ? 'this CA signs from an HSM: pass --hsm <pkcs11.yaml>' : 'pass --ca-passphrase-file <file> to unlock the CA key', { store: record.store });
  }
  if (record.store === 'pkcs11') {
    if (!('pkcs11' in access)) throw locked('this CA signs from an HSM: pass --hsm <pkcs11.yaml>, not a passphrase file', { store: record.store });
    const { pkcs11CaKey } = await import('./pkcs11.ts');
    return pkcs11CaKey(access.pkcs11, { create: false });
  }
  if (!('passphraseFile' in access)) throw locked('this CA key is a passphrase-encrypted file: pass --ca-passphrase-file <file>, not --hsm', { store: record.store });
  const passphrase = readPassphraseFile(access.passphraseFile);
  try {
    const pem = decryptKeyPem(readFileSync(caKeyFile, 'utf8'), passphrase, caKeyFile);
    return { privateKey: await signingKeyFromPem(pem), crypto: nodeCrypto, close: () => undefined };
  } finally {
    passphrase.fill(0);
  }
}
