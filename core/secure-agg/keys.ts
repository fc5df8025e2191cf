/**
 * BFV secret keys (site side only; the coordinator never loads this module).
 *
 * Encryption is symmetric, so there is no public key to publish. Runs use the consortium key
 * (generateConsortiumKey): made once at the key holder, sealed to every site by the key
 * ceremony (key-ceremony.ts), never in the clear outside the sites. generateKeyPair makes a
 * key fitted to one parameter choice, for the codec's own tests.
 * Key bytes are an envelope:
 *
 *   0 4 magic "CBSK" | 4 1 version (1) | 5 3 reserved 0 | 8 32 paramsId | 40 16 keyId |
 *   56 4 u32 LE length | 60 ... SEAL's serialization of the secret key (zstd)
 */
import { randomBytes } from 'node:crypto';
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import type { BfvCodecDescriptor } from '../update-codec/types.ts';
import { bfvDescriptor, type BfvParameterChoice, type KeyContextParameters } from './parameters.ts';
import { createBfvContext, paramsIdOf } from './seal-context.ts';
import { deleteAll, loadSeal, type SealContext, type SealLibrary } from './seal-library.ts';

const MAGIC = [0x43, 0x42, 0x53, 0x4b] as const; // "CBSK"
const VERSION = 1;
const HEADER_BYTES = 60;

export type SealSecretKey = ReturnType<SealLibrary['SecretKey']>;

/** A freshly generated key and the descriptor that names it. */
export interface BfvKeyMaterial {
  /** The secret key envelope. Store encrypted; never send it to the coordinator. */
  readonly secretKey: Uint8Array;
  readonly keyId: string;
  readonly paramsId: string;
  /** The public codec descriptor for the run record (no key material in it). */
  readonly descriptor: BfvCodecDescriptor;
}

/**
 * Generates the run's secret key for a parameter choice. There is no public half: sites
 * encrypt with the secret key in seeded (symmetric) form, which halves the ciphertext.
 */
export async function generateKeyPair(choice: BfvParameterChoice): Promise<BfvKeyMaterial> {
  const { secretKey, keyId, paramsId } = await generateSecretKey(choice);
  return { secretKey, keyId, paramsId, descriptor: bfvDescriptor(choice, keyId, paramsId) };
}

/** A fresh secret key under public parameters, in its envelope, with its random id. */
async function generateSecretKey(ctx: KeyContextParameters): Promise<{ secretKey: Uint8Array; keyId: string; paramsId: string }> {
  const seal = await loadSeal();
  const { parms, context } = createBfvContext(seal, ctx);
  const generator = seal.KeyGenerator(context);
  const key = generator.secretKey();
  try {
    const keyId = randomBytes(16).toString('hex');
    const paramsId = paramsIdOf(seal, parms, keyId);
    return { secretKey: writeEnvelope(paramsId, keyId, key.saveArray(seal.ComprModeType.zstd)), keyId, paramsId };
  } finally {
    deleteAll(key, generator, context, parms);
  }
}

/** The consortium's key and its public names: what the key ceremony distributes. */
export interface ConsortiumKey {
  readonly secretKey: Uint8Array;
  readonly params: KeyContextParameters & { readonly keyId: string; readonly paramsId: string };
}

/**
 * Generates the consortium's secret key under fixed parameters (the key holder runs this,
 * inside its hospital). Every run then picks only its scale under these parameters.
 */
export async function generateConsortiumKey(ctx: KeyContextParameters): Promise<ConsortiumKey> {
  const { secretKey, keyId, paramsId } = await generateSecretKey(ctx);
  return { secretKey, params: { keyId, paramsId, polyModulusDegree: ctx.polyModulusDegree, coeffModulusBits: [...ctx.coeffModulusBits], plainModulus: ctx.plainModulus } };
}

function writeEnvelope(paramsId: string, keyId: string, sealBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + sealBytes.byteLength);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out.set(Buffer.from(paramsId, 'hex'), 8);
  out.set(Buffer.from(keyId, 'hex'), 40);
  new DataView(out.buffer).setUint32(56, sealBytes.byteLength, true);
  out.set(sealBytes, HEADER_BYTES);
  return out;
}

/** The public names inside a key envelope, read without SEAL. */
export function describeSecretKey(bytes: Uint8Array): { keyId: string; paramsId: string } {
  const malformed = (why: string): CohortError =>
    new CohortError(SecureAggErrors.KEY_MALFORMED, `secret key: ${why}`, { details: { bytes: bytes.byteLength } });
  if (bytes.byteLength < HEADER_BYTES) throw malformed(`${bytes.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte header`);
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw malformed('does not start with the key magic "CBSK"');
  if (bytes[4] !== VERSION) throw malformed(`version ${bytes[4]}, expected ${VERSION}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(56, true);
  if (HEADER_BYTES + length !== bytes.byteLength) throw malformed(`envelope claims ${length} key bytes, ${bytes.byteLength - HEADER_BYTES} follow`);
  return {
    paramsId: Buffer.from(bytes.subarray(8, 40)).toString('hex'),
    keyId: Buffer.from(bytes.subarray(40, 56)).toString('hex'),
  };
}

/**
 * Loads a key envelope for a descriptor into a SEAL secret key (caller deletes it).
 * Throws SECURE_AGG_PARAMS_MISMATCH when the key was made for another run or parameters,
 * SECURE_AGG_KEY_MALFORMED when the bytes are not a key.
 */
export function loadSecretKey(
  seal: SealLibrary,
  context: SealContext,
  descriptor: Pick<BfvCodecDescriptor, 'paramsId' | 'keyId'>,
  bytes: Uint8Array,
): SealSecretKey {
  const names = describeSecretKey(bytes);
  if (names.paramsId !== descriptor.paramsId || names.keyId !== descriptor.keyId) {
    throw new CohortError(
      SecureAggErrors.PARAMS_MISMATCH,
      `secret key ${names.keyId} is for paramsId ${names.paramsId.slice(0, 16)}..., the run uses key ${descriptor.keyId} and paramsId ${descriptor.paramsId.slice(0, 16)}...`,
      { details: { keyId: names.keyId, expectedKeyId: descriptor.keyId } },
    );
  }
  const key = seal.SecretKey();
  try {
    key.loadArray(context, bytes.subarray(HEADER_BYTES));
  } catch (e) {
    key.delete();
    throw new CohortError(SecureAggErrors.KEY_MALFORMED, 'secret key: SEAL could not load it under the run parameters', {
      cause: seal.Exception.safe(e as number),
    });
  }
  return key;
}
