/**
 * Builds a SEAL context from the public BFV parameters and derives the paramsId that
 * names parameters plus key. Used by both sides; holds and touches no key material.
 */
import { createHash } from 'node:crypto';
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import { deleteAll, type SealContext, type SealEncryptionParameters, type SealLibrary } from './seal-library.ts';

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
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  try {
    parms.setPolyModulusDegree(p.polyModulusDegree);
    const coeff = seal.CoeffModulus.Create(p.polyModulusDegree, Int32Array.from(p.coeffModulusBits));
    parms.setCoeffModulus(coeff);
    coeff.delete();
    const t = seal.Modulus(BigInt(p.plainModulus));
    parms.setPlainModulus(t);
    t.delete();
  } catch (e) {
    parms.delete();
    throw new CohortError(SecureAggErrors.PARAMS, `BFV parameters N=${p.polyModulusDegree}, q bits=${p.coeffModulusBits.join('+')}, t=${p.plainModulus} are not valid`, {
      cause: seal.Exception.safe(e as number),
    });
  }
  let context: SealContext;
  try {
    context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  } catch (e) {
    parms.delete();
    throw new CohortError(SecureAggErrors.PARAMS, `BFV parameters N=${p.polyModulusDegree}, q bits=${p.coeffModulusBits.join('+')}, t=${p.plainModulus} are not valid`, {
      cause: seal.Exception.safe(e as number),
    });
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
    throw new CohortError(
      SecureAggErrors.PARAMS,
      `BFV parameters N=${p.polyModulusDegree}, q bits=${p.coeffModulusBits.join('+')}, t=${p.plainModulus} are not 128-bit secure or t is not a batching prime (t = 1 mod 2N)`,
    );
  }
  return { parms, context };
}

/** The coefficient-modulus primes SEAL chose, as decimal strings. */
export function coeffModulusOf(parms: SealEncryptionParameters): string[] {
  return Array.from(parms.coeffModulus, (q) => q.toString());
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

/** Whether the ciphertext-level parms_id of `a` equals the context's first data level. */
export function isFirstDataLevel(context: SealContext, ciphertextParmsId: BigUint64Array): boolean {
  const first = context.firstParmsId;
  const want = first.values;
  first.delete();
  return want.length === ciphertextParmsId.length && want.every((v, i) => v === ciphertextParmsId[i]);
}
