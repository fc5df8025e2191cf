/**
 * Builds a SEAL context from the public BFV parameters, derives the paramsId that names
 * parameters plus key, and loads ciphertexts under it. Used by both sides; holds and
 * touches no key material.
 */
import { createHash } from 'node:crypto';
import { CohortError, SecureAggErrors, UpdateErrors } from '../errors/index.ts';
import type { BfvCodecDescriptor } from '../update-codec/types.ts';
import { deleteAll, type SealCipherText, type SealContext, type SealEncryptionParameters, type SealLibrary } from './seal-library.ts';

/** The public parameters a context is built from. */
export interface BfvPublicParameters {
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  /** Decimal string of the plaintext modulus t (a batching prime). */
  readonly plainModulus: string;
}

/** A context and the parameters it was built from; both must be deleted. */
export interface BfvContext {
  readonly parms: SealEncryptionParameters;
  readonly context: SealContext;
}

/**
 * Builds the context, at 128-bit security (SEAL refuses larger moduli for N), and checks
 * that batching works for t. Throws SECURE_AGG_PARAMS otherwise.
 */
export function createBfvContext(seal: SealLibrary, p: BfvPublicParameters): BfvContext {
  const named = `BFV parameters N=${p.polyModulusDegree}, q bits=${p.coeffModulusBits.join('+')}, t=${p.plainModulus}`;
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  let context: SealContext;
  try {
    parms.setPolyModulusDegree(p.polyModulusDegree);
    const coeff = seal.CoeffModulus.Create(p.polyModulusDegree, Int32Array.from(p.coeffModulusBits));
    parms.setCoeffModulus(coeff);
    coeff.delete();
    const t = seal.Modulus(BigInt(p.plainModulus));
    parms.setPlainModulus(t);
    t.delete();
    context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  } catch (e) {
    parms.delete();
    throw new CohortError(SecureAggErrors.PARAMS, `${named} are not valid`, { cause: seal.Exception.safe(e as number) });
  }
  let ok = context.parametersSet();
  if (ok) {
    // Context data exists only for valid parameters.
    const data = context.firstContextData;
    const qualifiers = data.qualifiers;
    ok = qualifiers.usingBatching;
    deleteAll(qualifiers, data);
  }
  if (!ok) {
    deleteAll(context, parms);
    throw new CohortError(SecureAggErrors.PARAMS, `${named} are not 128-bit secure or t is not a batching prime (t = 1 mod 2N)`);
  }
  return { parms, context };
}

/**
 * Builds the context for a run's codec descriptor and refuses a descriptor whose paramsId
 * does not match its parameters and key id (SECURE_AGG_PARAMS_MISMATCH).
 */
export function createRunContext(seal: SealLibrary, descriptor: BfvCodecDescriptor): BfvContext {
  const bfv = createBfvContext(seal, descriptor);
  const computed = paramsIdOf(seal, bfv.parms, descriptor.keyId);
  if (computed !== descriptor.paramsId) {
    deleteAll(bfv.context, bfv.parms);
    throw new CohortError(SecureAggErrors.PARAMS_MISMATCH, `codec descriptor paramsId ${descriptor.paramsId.slice(0, 16)}... does not match its parameters and key id`, {
      details: { paramsId: descriptor.paramsId, computed },
    });
  }
  return bfv;
}

/**
 * paramsId = SHA-256("cohort-bfv-params-v1" 0x00 || SEAL serialization of the parameters
 * || key id bytes). The key id is random and public, so the id names the key without
 * revealing anything about it.
 */
export function paramsIdOf(seal: SealLibrary, parms: SealEncryptionParameters, keyId: string): string {
  if (!/^[0-9a-f]{32}$/.test(keyId)) throw new RangeError(`keyId must be 32 lowercase hex digits, got "${keyId}"`);
  return createHash('sha256')
    .update('cohort-bfv-params-v1\0')
    .update(parms.saveArray(seal.ComprModeType.none))
    .update(Buffer.from(keyId, 'hex'))
    .digest('hex');
}

/** Whether a ciphertext's parms_id is the context's first data level. */
function isFirstDataLevel(context: SealContext, ciphertextParmsId: BigUint64Array): boolean {
  const first = context.firstParmsId;
  const want = first.values;
  first.delete();
  return want.length === ciphertextParmsId.length && want.every((v, i) => v === ciphertextParmsId[i]);
}

/**
 * Loads one ciphertext (caller deletes it). SEAL checks it belongs to this context and its
 * coefficients are reduced; we also require what encryption and addition make: two
 * polynomials at the first data level, not in NTT form. Throws UPDATE_CHUNK_MALFORMED.
 */
export function loadCiphertext(seal: SealLibrary, context: SealContext, bytes: Uint8Array, where: string): SealCipherText {
  const ct = seal.CipherText();
  let why: string | undefined;
  let cause: unknown;
  try {
    ct.loadArray(context, bytes);
    const parmsId = ct.parmsId;
    const atFirstLevel = isFirstDataLevel(context, parmsId.values);
    parmsId.delete();
    if (ct.size !== 2) why = `has ${ct.size} polynomials, expected 2`;
    else if (ct.isNttForm) why = 'is in NTT form';
    else if (!atFirstLevel) why = 'is not at the first data level of the run parameters';
  } catch (e) {
    why = 'is not a ciphertext under the run parameters';
    cause = seal.Exception.safe(e as number);
  }
  if (why !== undefined) {
    ct.delete();
    throw new CohortError(UpdateErrors.CHUNK_MALFORMED, `${where} ${why}`, { details: { where }, cause });
  }
  return ct;
}
