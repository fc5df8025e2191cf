/**
 * Keys that live in a PKCS#11 token (an HSM; SoftHSM2 in tests) and never leave it:
 *
 * - `pkcs11CaKey`: the consortium CA's ECDSA P-256 key pair, with a WebCrypto provider over
 *   the token (node-webcrypto-p11) to hand to @peculiar/x509's generators as their `crypto`
 *   argument: `X509CertificateGenerator.createSelfSigned(params, crypto)`,
 *   `X509CertificateGenerator.create(params, crypto)`, `X509CrlGenerator.create(params, crypto)`.
 *   Every key those calls touch must belong to that provider: give a participant's public key
 *   as an `x509.PublicKey` (or its SPKI bytes), not as a node:crypto CryptoKey.
 * - `Pkcs11WrappingKey`: an AES-256 key that wraps and unwraps a site's at-rest data key
 *   (AES-GCM done by the token), synchronously through graphene-pk11.
 *
 * The PIN comes from an owner-only file, never from the config itself or the environment.
 * The native PKCS#11 binding is loaded only when a token is first used, so that a
 * deployment without an HSM never loads it. A module (the .so) is initialised once per
 * process and finalised when the last key opened from it is closed: close every key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import type * as Graphene from 'graphene-pk11';
import { z } from 'zod';
import { loadYamlFile } from '../config/load.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { assertOwnerOnly } from './kit.ts';

/** Where a key is: the module, the token (by label or slot ID), the PIN file and the key's label. */
export const Pkcs11ConfigSchema = z
  .object({
    /** Path to the PKCS#11 module (shared library), e.g. /usr/lib/softhsm/libsofthsm2.so. */
    module: z.string().min(1),
    /** The token's label (CKA_LABEL of the token, up to 32 characters). Exactly one of tokenLabel or slot. */
    tokenLabel: z.string().min(1).max(32).optional(),
    /** The slot ID (CK_SLOT_ID, as `softhsm2-util --show-slots` or `pkcs11-tool -L` print it). */
    slot: z.number().int().nonnegative().optional(),
    /** Owner-only file holding the user PIN (a trailing newline is ignored). */
    pinFile: z.string().min(1),
    /** CKA_LABEL of the key in the token. */
    keyLabel: z.string().min(1),
  })
  .strict()
  .refine((c) => (c.tokenLabel === undefined) !== (c.slot === undefined), { message: 'give exactly one of tokenLabel or slot' });

export type Pkcs11Config = z.output<typeof Pkcs11ConfigSchema>;

/** A path from a config file: relative ones resolve against `base`; a bare module name (no slash) is left to the loader's search path. */
export function resolvePkcs11Paths(config: Pkcs11Config, base: string): Pkcs11Config {
  const module = isAbsolute(config.module) || !config.module.includes('/') ? config.module : resolve(base, config.module);
  return { ...config, module, pinFile: isAbsolute(config.pinFile) ? config.pinFile : resolve(base, config.pinFile) };
}

/** Loads a PKCS#11 config file (YAML, the fields of Pkcs11ConfigSchema); relative paths resolve against its directory. */
export function loadPkcs11ConfigFile(path: string): Pkcs11Config {
  const abs = resolve(path);
  return resolvePkcs11Paths(loadYamlFile(abs, Pkcs11ConfigSchema, 'PKCS#11 config'), dirname(abs));
}

// ---------------------------------------------------------------------------------------
// Modules, tokens and sessions

let graphene: typeof Graphene | undefined;

function lib(): typeof Graphene {
  if (graphene === undefined) {
    try {
      graphene = createRequire(import.meta.url)('graphene-pk11') as typeof Graphene;
    } catch (e) {
      throw new CohortError(PkiErrors.HSM_UNAVAILABLE, 'the PKCS#11 binding (graphene-pk11, pkcs11js) cannot be loaded', { cause: e });
    }
  }
  return graphene;
}

interface LoadedModule {
  readonly module: Graphene.Module;
  refs: number;
  /** Per slot ID: the digest of the PIN that logged this process in, and how many of our sessions are open there. */
  readonly logins: Map<string, { readonly pinDigest: Buffer; sessions: number }>;
}

/** PKCS#11 state is per process: one C_Initialize per module, shared by every key opened from it. */
const modules = new Map<string, LoadedModule>();

/** Pkcs11Error codes (CKR_*) that mean the PIN is wrong or unusable. */
const CKR_PIN_INCORRECT = 0xa0;
const CKR_PIN_INVALID = 0xa1;
const CKR_PIN_LEN_RANGE = 0xa2;
const CKR_PIN_EXPIRED = 0xa3;
const CKR_PIN_LOCKED = 0xa4;
const CKR_USER_ALREADY_LOGGED_IN = 0x100;

function ckr(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function unavailable(message: string, config: Pkcs11Config, cause?: unknown): CohortError {
  return new CohortError(PkiErrors.HSM_UNAVAILABLE, message, { details: where(config), cause });
}

/** What errors say about a key's location: never the PIN. */
function where(config: Pkcs11Config): Record<string, unknown> {
  return { module: config.module, ...(config.tokenLabel === undefined ? { slot: config.slot } : { tokenLabel: config.tokenLabel }), keyLabel: config.keyLabel };
}

function readPin(config: Pkcs11Config): string {
  if (!existsSync(config.pinFile)) throw unavailable(`PIN file ${config.pinFile} does not exist`, config);
  assertOwnerOnly(config.pinFile);
  const pin = readFileSync(config.pinFile, 'utf8').replace(/\r?\n$/, '');
  if (pin.length === 0) throw unavailable(`PIN file ${config.pinFile} is empty`, config);
  return pin;
}

function acquireModule(config: Pkcs11Config): LoadedModule {
  const loaded = modules.get(config.module);
  if (loaded) {
    loaded.refs += 1;
    return loaded;
  }
  const g = lib();
  let module: Graphene.Module;
  try {
    module = g.Module.load(config.module, config.module);
  } catch (e) {
    throw unavailable(`PKCS#11 module ${config.module} cannot be loaded`, config, e);
  }
  try {
    module.initialize();
  } catch (e) {
    try {
      module.close();
    } catch {
      // the library was never initialised; nothing more to release
    }
    throw unavailable(`PKCS#11 module ${config.module} does not initialise`, config, e);
  }
  const entry: LoadedModule = { module, refs: 1, logins: new Map() };
  modules.set(config.module, entry);
  return entry;
}

function releaseModule(path: string): void {
  const loaded = modules.get(path);
  if (!loaded) return;
  loaded.refs -= 1;
  if (loaded.refs > 0) return;
  modules.delete(path);
  try {
    loaded.module.finalize();
  } finally {
    loaded.module.close();
  }
}

/** The modules this process has initialised and not yet finalised (every key opened from them not yet closed). */
export function pkcs11ModulesInUse(): string[] {
  return [...modules.keys()];
}

function slotId(slot: Graphene.Slot): string {
  const h = slot.handle;
  return (h.length >= 8 ? h.readBigUInt64LE(0) : BigInt(h.readUInt32LE(0))).toString();
}

function findSlot(module: Graphene.Module, config: Pkcs11Config): { slot: Graphene.Slot; id: string } {
  const slots = module.getSlots(true);
  const seen: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const slot = slots.items(i);
    const id = slotId(slot);
    if (config.slot !== undefined) {
      if (id === String(config.slot)) return { slot, id };
      seen.push(id);
      continue;
    }
    const label = slot.getToken().label.trimEnd();
    if (label === config.tokenLabel) return { slot, id };
    seen.push(JSON.stringify(label));
  }
  const wanted = config.slot === undefined ? `labelled "${config.tokenLabel}"` : `in slot ${config.slot}`;
  throw unavailable(`PKCS#11 module ${config.module} has no token ${wanted} (tokens: ${seen.length === 0 ? 'none' : seen.join(', ')})`, config);
}

/** An open, logged-in read-write session on the token a config names. */
class TokenSession {
  readonly session: Graphene.Session;
  readonly config: Pkcs11Config;
  private readonly slotKey: string;
  private closed = false;

  private constructor(session: Graphene.Session, config: Pkcs11Config, slotKey: string) {
    this.session = session;
    this.config = config;
    this.slotKey = slotKey;
  }

  static open(config: Pkcs11Config): TokenSession {
    const pin = readPin(config);
    const g = lib();
    const loaded = acquireModule(config);
    let session: Graphene.Session | undefined;
    try {
      const { slot, id } = findSlot(loaded.module, config);
      try {
        session = slot.open(g.SessionFlag.RW_SESSION | g.SessionFlag.SERIAL_SESSION);
      } catch (e) {
        throw unavailable(`cannot open a session on the token of ${config.module}`, config, e);
      }
      const pinDigest = createHash('sha256').update(`cohort-pkcs11-pin\0${pin}`).digest();
      const login = loaded.logins.get(id);
      if (login && login.sessions > 0) {
        // The token is already logged in for this process (PKCS#11 login is per application,
        // not per session): it would not check this PIN, so we do.
        if (!timingSafeEqual(login.pinDigest, pinDigest)) throw unavailable(`the PIN in ${config.pinFile} is wrong for this token`, config);
        login.sessions += 1;
      } else {
        try {
          session.login(pin, g.UserType.USER);
        } catch (e) {
          const code = ckr(e);
          if (code === CKR_PIN_INCORRECT || code === CKR_PIN_INVALID || code === CKR_PIN_LEN_RANGE) throw unavailable(`the PIN in ${config.pinFile} is wrong for this token`, config, e);
          if (code === CKR_PIN_LOCKED || code === CKR_PIN_EXPIRED) throw unavailable(`the user PIN of this token is locked or expired; the token's security officer must reset it`, config, e);
          if (code !== CKR_USER_ALREADY_LOGGED_IN) throw unavailable(`cannot log in to the token of ${config.module}`, config, e);
        }
        loaded.logins.set(id, { pinDigest, sessions: 1 });
      }
      return new TokenSession(session, config, id);
    } catch (e) {
      try {
        session?.close();
      } catch {
        // already unusable
      }
      releaseModule(config.module);
      throw e;
    }
  }

  /** Closes the session (the token logs out with the last one) and finalises the module when nothing else uses it. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const loaded = modules.get(this.config.module);
    const login = loaded?.logins.get(this.slotKey);
    if (login) {
      login.sessions -= 1;
      if (login.sessions <= 0) loaded?.logins.delete(this.slotKey);
    }
    try {
      this.session.close();
    } catch {
      // the module may already be gone (token removed); finalising below still releases it
    } finally {
      releaseModule(this.config.module);
    }
  }

  /** The token objects of `cls` labelled `label`. */
  find(cls: Graphene.ObjectClass, label: string): Graphene.SessionObject[] {
    const found = this.session.find({ class: cls, token: true, label });
    const out: Graphene.SessionObject[] = [];
    for (let i = 0; i < found.length; i++) out.push(found.items(i));
    return out;
  }

  /** Every token key (private, public or secret) labelled `label`. */
  findKeys(label: string): Graphene.SessionObject[] {
    const g = lib();
    return [g.ObjectClass.PRIVATE_KEY, g.ObjectClass.PUBLIC_KEY, g.ObjectClass.SECRET_KEY].flatMap((cls) => this.find(cls, label));
  }
}

function keyExists(config: Pkcs11Config, message: string): CohortError {
  return new CohortError(PkiErrors.HSM_KEY_EXISTS, message, { details: where(config) });
}

function keyMissing(config: Pkcs11Config, message: string): CohortError {
  return new CohortError(PkiErrors.HSM_KEY_MISSING, message, { details: where(config) });
}

/** Refuses a key the token would hand out (imported extractable, or not sensitive). */
function assertKeptInside(config: Pkcs11Config, key: Graphene.SessionObject, what: string): void {
  const a = key.getAttribute({ sensitive: null, extractable: null }) as { sensitive?: boolean; extractable?: boolean };
  if (a.sensitive !== true || a.extractable !== false) {
    throw new CohortError(PkiErrors.HSM_KEY_EXPORTABLE, `${what} "${config.keyLabel}" in the token is ${a.extractable !== false ? 'extractable' : 'not sensitive'}: the token would let it out`, { details: where(config) });
  }
}

// ---------------------------------------------------------------------------------------
// The CA key: ECDSA P-256 through WebCrypto

/** DER of the P-256 curve OID (1.2.840.10045.3.1.7), the CKA_EC_PARAMS of a P-256 key. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const ECDSA_P256: EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** A CA key pair in a token and the WebCrypto provider that signs with it. */
export interface Pkcs11CaKey {
  /** Pass as the `crypto` argument of @peculiar/x509's generators and CRL generator. */
  readonly crypto: Crypto;
  /** Non-extractable, sensitive; only `crypto` can sign with it. */
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  /** Ends the token session (and finalises the module when nothing else uses it). Idempotent. */
  close(): void;
}

/**
 * Opens the ECDSA P-256 key pair labelled `config.keyLabel`. With `create`, generates it
 * inside the token (token objects; private key sensitive and non-extractable), and refuses
 * with COHORT_E_PKI_HSM_KEY_EXISTS when the token already holds a key of that label; without,
 * refuses with COHORT_E_PKI_HSM_KEY_MISSING when it holds none. Token, module and PIN
 * problems are COHORT_E_PKI_HSM_UNAVAILABLE.
 */
export async function pkcs11CaKey(config: Pkcs11Config, options: { create: boolean }): Promise<Pkcs11CaKey> {
  const g = lib();
  const token = TokenSession.open(config);
  try {
    const { Crypto: P11Crypto, CryptoKey: P11CryptoKey } = await import('node-webcrypto-p11');
    const p11 = new P11Crypto({ session: token.session });
    const crypto = p11 as unknown as Crypto;
    const existing = token.findKeys(config.keyLabel);
    let privateKey: CryptoKey;
    let publicKey: CryptoKey;
    if (options.create) {
      if (existing.length > 0) throw keyExists(config, `the token already holds a key labelled "${config.keyLabel}"; refusing to create another (use it without create, or choose another keyLabel)`);
      const params = { ...ECDSA_P256, label: config.keyLabel, token: true, sensitive: true };
      const pair = (await p11.subtle.generateKey(params, false, ['sign', 'verify'])) as CryptoKeyPair;
      privateKey = pair.privateKey;
      publicKey = pair.publicKey;
    } else {
      const privates = token.find(g.ObjectClass.PRIVATE_KEY, config.keyLabel);
      if (privates.length === 0) throw keyMissing(config, `the token holds no private key labelled "${config.keyLabel}"`);
      if (privates.length > 1) throw keyExists(config, `the token holds ${privates.length} private keys labelled "${config.keyLabel}"; a label must name one key`);
      const priv = privates[0]!.toType<Graphene.PrivateKey>();
      // CKA_EC_PARAMS; graphene names it paramsEC or paramsECDSA (the same attribute) in what it returns.
      const params = priv.getAttribute({ keyType: null, paramsEC: null }) as { keyType?: number; paramsEC?: Buffer; paramsECDSA?: Buffer };
      const curve = params.paramsEC ?? params.paramsECDSA;
      if (params.keyType !== g.KeyType.EC || curve === undefined || !curve.equals(P256_PARAMS)) throw keyMissing(config, `the key labelled "${config.keyLabel}" is not an ECDSA P-256 key`);
      assertKeptInside(config, priv, 'the private key');
      const id = priv.id;
      const publics = token.find(g.ObjectClass.PUBLIC_KEY, config.keyLabel).filter((k) => k.toType<Graphene.PublicKey>().id.equals(id));
      if (publics.length !== 1) throw keyMissing(config, `the token holds no public key with the label and CKA_ID of private key "${config.keyLabel}"`);
      privateKey = await p11.keyStorage.getItem(P11CryptoKey.getID(priv), ECDSA_P256, false, ['sign']);
      publicKey = await p11.keyStorage.getItem(P11CryptoKey.getID(publics[0]!.toType<Graphene.PublicKey>()), ECDSA_P256, true, ['verify']);
    }
    return { crypto, privateKey, publicKey, close: () => token.close() };
  } catch (e) {
    token.close();
    if (e instanceof CohortError) throw e;
    throw unavailable(`the token could not ${options.create ? 'generate' : 'open'} the CA key "${config.keyLabel}"`, config, e);
  }
}

// ---------------------------------------------------------------------------------------
// The at-rest wrapping key: AES-256-GCM in the token, synchronous

const WRAP_IV_BYTES = 12;
const WRAP_TAG_BYTES = 16;
const WRAP_AAD = Buffer.from('cohort-pkcs11-wrap-v1');

/**
 * An AES-256 key inside a token that encrypts (wraps) and decrypts (unwraps) small secrets,
 * such as a site's at-rest data key, with AES-GCM done by the token. A wrapped value is
 * 12-byte IV | ciphertext | 16-byte tag; without the token it yields nothing.
 */
export class Pkcs11WrappingKey {
  readonly label: string;
  private readonly token: TokenSession;
  private readonly key: Graphene.SecretKey;

  private constructor(token: TokenSession, key: Graphene.SecretKey) {
    this.token = token;
    this.key = key;
    this.label = token.config.keyLabel;
  }

  /**
   * Opens the AES-256 key labelled `config.keyLabel`; with `create`, generates it inside the
   * token when absent (token object, sensitive, non-extractable, encrypt/decrypt only).
   * Without `create`, an absent key is COHORT_E_PKI_HSM_KEY_MISSING.
   */
  static open(config: Pkcs11Config, options: { create: boolean }): Pkcs11WrappingKey {
    const g = lib();
    const token = TokenSession.open(config);
    try {
      const secrets = token.find(g.ObjectClass.SECRET_KEY, config.keyLabel);
      if (secrets.length > 1) throw keyExists(config, `the token holds ${secrets.length} secret keys labelled "${config.keyLabel}"; a label must name one key`);
      let key: Graphene.SecretKey;
      if (secrets.length === 1) {
        key = secrets[0]!.toType<Graphene.SecretKey>();
        const a = key.getAttribute({ keyType: null, valueLen: null, encrypt: null, decrypt: null }) as { keyType?: number; valueLen?: number; encrypt?: boolean; decrypt?: boolean };
        if (a.keyType !== g.KeyType.AES || a.valueLen !== 32 || a.encrypt !== true || a.decrypt !== true) {
          throw keyMissing(config, `the key labelled "${config.keyLabel}" is not an AES-256 key allowed to encrypt and decrypt`);
        }
        assertKeptInside(config, key, 'the wrapping key');
      } else {
        if (token.findKeys(config.keyLabel).length > 0) throw keyExists(config, `the token holds a key pair labelled "${config.keyLabel}", not an AES key; choose another keyLabel`);
        if (!options.create) throw keyMissing(config, `the token holds no AES key labelled "${config.keyLabel}"`);
        try {
          key = token.session.generateKey(g.KeyGenMechanism.AES, {
            class: g.ObjectClass.SECRET_KEY,
            keyType: g.KeyType.AES,
            label: config.keyLabel,
            id: randomBytes(16),
            valueLen: 32,
            token: true,
            private: true,
            sensitive: true,
            extractable: false,
            encrypt: true,
            decrypt: true,
            wrap: false,
            unwrap: false,
            sign: false,
            verify: false,
            derive: false,
          });
        } catch (e) {
          throw unavailable(`the token could not generate the AES-256 key "${config.keyLabel}"`, config, e);
        }
      }
      return new Pkcs11WrappingKey(token, key);
    } catch (e) {
      token.close();
      throw e;
    }
  }

  private mechanism(iv: Buffer): Graphene.MechanismType {
    return { name: 'AES_GCM', params: new (lib().AesGcm240Params)(iv, WRAP_AAD, WRAP_TAG_BYTES * 8) };
  }

  /** Encrypts `secret` in the token: IV | ciphertext | tag. */
  wrap(secret: Buffer): Buffer {
    const iv = randomBytes(WRAP_IV_BYTES);
    try {
      const out = this.token.session.createCipher(this.mechanism(iv), this.key).once(secret, Buffer.alloc(secret.length + WRAP_TAG_BYTES + 16));
      return Buffer.concat([iv, out]);
    } catch (e) {
      throw unavailable(`the token could not wrap with key "${this.label}"`, this.token.config, e);
    }
  }

  /** Decrypts what `wrap` made; COHORT_E_PKI_HSM_UNWRAP_FAILED when it was made by another key or altered. */
  unwrap(wrapped: Buffer): Buffer {
    const failed = (cause?: unknown): CohortError =>
      new CohortError(PkiErrors.HSM_UNWRAP_FAILED, `the token key "${this.label}" cannot unwrap this value: it was wrapped by another token or key, or altered`, { details: where(this.token.config), cause });
    if (wrapped.length < WRAP_IV_BYTES + WRAP_TAG_BYTES) throw failed();
    try {
      const body = wrapped.subarray(WRAP_IV_BYTES);
      const out = this.token.session.createDecipher(this.mechanism(Buffer.from(wrapped.subarray(0, WRAP_IV_BYTES))), this.key).once(Buffer.from(body), Buffer.alloc(body.length + 16));
      return Buffer.from(out);
    } catch (e) {
      throw failed(e);
    }
  }

  /** Ends the token session (and finalises the module when nothing else uses it). Idempotent. */
  close(): void {
    this.token.close();
  }
}
