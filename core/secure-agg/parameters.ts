/**
 * Chooses BFV parameters for exact, wrap-free summation of fixed-point updates.
 *
 * A site sends v = [w*delta_1 .. w*delta_n, w] with |delta_i| <= maxAbsValue (C) and an
 * integer weight 0 <= w <= maxWeight (W). Value slots carry q_i = SR(v_i * s) (stochastic
 * rounding at scale s), so |q_i| <= B = floor(W*C*s) + 1; the weight slot carries w itself
 * (exact) and the check slot carries 1. The sum of K = maxSummands such vectors is exact
 * in centred arithmetic mod t as long as K * max(B, W) < t / 2 (no wrap-around).
 *
 * Decryption is correct while the summed noise stays below q / (2t). A fresh symmetric
 * BFV ciphertext carries noise |e| <= 21 (SEAL's centred binomial sampler) plus at most 1/2
 * from rounding q*m/t, so K summands stay correct when 2 * 22 * K * t < q. One data prime q
 * is used (no key-switching prime: summation never switches keys) and kept at most
 * {@link MAX_DATA_PRIME_BITS} bits, so a seeded, zstd-compressed ciphertext stays under 2x
 * the float32 bytes of the values it carries.
 */
import { CohortError, SecureAggErrors } from '../errors/index.ts';
import type { BfvCodecDescriptor } from '../update-codec/types.ts';
import { ciphertextCountFor, ciphertextsPerChunkFor } from './layout.ts';
import { createBfvContext } from './seal-context.ts';
import { deleteAll, loadSeal, type SealLibrary } from './seal-library.ts';

/** Noise bound per fresh ciphertext: 21 (binomial noise) + 1/2 (rounding), rounded up. */
export const NOISE_PER_SUMMAND = 22;
/** Largest data prime: 58 bits measure 1.95x float32 on the wire, 60 bits 2.01x (`npx tsx scripts/bench/he-codec.ts`). */
export const MAX_DATA_PRIME_BITS = 58;
/** SEAL's 128-bit security limit on log2(q) for each N (HomomorphicEncryption.org table). */
const MAX_Q_BITS: Readonly<Record<number, number>> = { 2048: 54, 4096: 109, 8192: 218, 16384: 438 };
const MIN_PLAIN_BITS = 20;
const MAX_PLAIN_BITS = 60;

export interface BfvParameterRequest {
  /** Values in the summed vector: parameters + 1 for the weight. */
  readonly length: number;
  /** Most site updates one sum may hold. */
  readonly maxSummands: number;
  /** Bound on |delta_i| of the unweighted, clipped update (the L2 clip norm is always safe). */
  readonly maxAbsValue: number;
  /** Bound on the weight w, an integer example count (1 for unweighted averaging). */
  readonly maxWeight: number;
  /** Fixed-point bits per maxAbsValue: scale = 2^precisionBits / maxAbsValue. */
  readonly precisionBits?: number;
  /** Fixed-point scale given directly (exclusive with precisionBits). */
  readonly scale?: number;
  /** Slots per ciphertext; 4096 unless asked. */
  readonly polyModulusDegree?: 2048 | 4096 | 8192 | 16384;
  /** Extra bits of noise headroom on top of the worst case; 2 unless asked. */
  readonly noiseMarginBits?: number;
}

/** Bits to spare, stored in the run record. */
export interface BfvHeadroom {
  /** log2((t-1)/2) - log2(worst-case |sum|): how far the largest sum stays from wrapping. */
  readonly valueBits: number;
  /** log2(q) - log2(2 * 22 * maxSummands * t): how far the worst-case noise stays from failure. */
  readonly noiseBits: number;
}

export interface BfvParameterChoice {
  readonly length: number;
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  /** The coefficient primes SEAL picked, decimal. */
  readonly coeffModulus: readonly string[];
  readonly plainModulus: string;
  readonly plainModulusBits: number;
  readonly scale: number;
  readonly maxSummands: number;
  readonly maxAbsValue: number;
  readonly maxWeight: number;
  /** Largest |integer| one site puts in a value slot: floor(maxWeight * maxAbsValue * scale) + 1. */
  readonly perSummandBound: number;
  readonly ciphertextCount: number;
  readonly ciphertextsPerChunk: number;
  readonly chunkCount: number;
  readonly headroom: BfvHeadroom;
}

function refuse(message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(SecureAggErrors.PARAMS, message, { details });
}

function checkRequest(r: BfvParameterRequest): void {
  const problems: string[] = [];
  const isInt = (x: unknown, lo: number, hi: number): boolean => Number.isInteger(x) && (x as number) >= lo && (x as number) <= hi;
  if (!isInt(r.length, 2, 2 ** 31)) problems.push(`length: expected an integer >= 2, got ${r.length}`);
  if (!isInt(r.maxSummands, 1, 2 ** 24)) problems.push(`maxSummands: expected an integer in 1..${2 ** 24}, got ${r.maxSummands}`);
  if (!(Number.isFinite(r.maxAbsValue) && r.maxAbsValue > 0)) problems.push(`maxAbsValue: expected a finite number > 0, got ${r.maxAbsValue}`);
  if (!isInt(r.maxWeight, 1, 2 ** 40)) problems.push(`maxWeight: expected an integer in 1..${2 ** 40}, got ${r.maxWeight}`);
  if ((r.precisionBits === undefined) === (r.scale === undefined)) problems.push('precisionBits, scale: give exactly one');
  if (r.precisionBits !== undefined && !isInt(r.precisionBits, 0, 40)) problems.push(`precisionBits: expected an integer in 0..40, got ${r.precisionBits}`);
  if (r.scale !== undefined && !(Number.isFinite(r.scale) && r.scale > 0)) problems.push(`scale: expected a finite number > 0, got ${r.scale}`);
  if (r.polyModulusDegree !== undefined && MAX_Q_BITS[r.polyModulusDegree] === undefined) {
    problems.push(`polyModulusDegree: expected 2048 | 4096 | 8192 | 16384, got ${r.polyModulusDegree}`);
  }
  if (r.noiseMarginBits !== undefined && !isInt(r.noiseMarginBits, 0, 20)) problems.push(`noiseMarginBits: expected an integer in 0..20, got ${r.noiseMarginBits}`);
  if (problems.length > 0) throw refuse(`secure-aggregation parameters: ${problems.join('; ')}`, { problems });
}

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

function log2Big(x: bigint): number {
  const bits = bitLength(x);
  const shift = Math.max(0, bits - 53);
  return Math.log2(Number(x >> BigInt(shift))) + shift;
}

function plainPrime(seal: SealLibrary, n: number, bits: number): bigint {
  const m = seal.PlainModulus.Batching(n, bits);
  const value = m.value;
  m.delete();
  return value;
}

function dataPrime(seal: SealLibrary, n: number, bits: number): bigint {
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  const coeff = seal.CoeffModulus.Create(n, Int32Array.of(bits));
  try {
    parms.setPolyModulusDegree(n);
    parms.setCoeffModulus(coeff);
    return parms.coeffModulus[0] as bigint;
  } finally {
    deleteAll(coeff, parms);
  }
}

/** Smallest prime of the given kind that exceeds `above`, trying bit sizes upward. */
function smallestPrimeAbove(pick: (bits: number) => bigint, above: bigint, minBits: number, maxBits: number): { bits: number; value: bigint } | undefined {
  for (let bits = Math.max(minBits, bitLength(above)); bits <= maxBits; bits++) {
    const value = pick(bits);
    if (value > above) return { bits, value };
  }
  return undefined;
}

const round2 = (x: number): number => Math.floor(x * 100) / 100;

/**
 * The request's fixed-point scale s, the largest integer one site puts in a value slot
 * (B = floor(W * C * s) + 1), and the largest |sum| of maxSummands such vectors.
 */
function valueBounds(request: BfvParameterRequest, scale = request.scale ?? 2 ** (request.precisionBits as number) / request.maxAbsValue): { scale: number; perSummandBound: number; sumBound: bigint } {
  const { maxSummands: k, maxAbsValue: c, maxWeight: w } = request;
  const perSummandBound = Math.floor(w * c * scale) + 1;
  return { scale, perSummandBound, sumBound: BigInt(k) * BigInt(Math.max(perSummandBound, w)) };
}

/**
 * Picks N, one data prime q, a batching prime t = 1 mod 2N and the scale so that the sum of
 * `maxSummands` encoded updates can never wrap around t/2 and always decrypts. Throws
 * SECURE_AGG_PARAMS when the request is invalid or cannot fit within the wire budget.
 */
export async function chooseBfvParameters(request: BfvParameterRequest): Promise<BfvParameterChoice> {
  checkRequest(request);
  const seal = await loadSeal();
  const n = request.polyModulusDegree ?? 4096;
  const margin = request.noiseMarginBits ?? 2;
  const { maxSummands: k, maxAbsValue: c, maxWeight: w } = request;
  const { scale, perSummandBound, sumBound } = valueBounds(request);
  if (!(perSummandBound <= 2 ** 50)) {
    throw refuse(`maxWeight * maxAbsValue * scale = ${w * c * scale} exceeds 2^50; lower precisionBits or scale`);
  }
  const plain = smallestPrimeAbove((b) => plainPrime(seal, n, b), 2n * sumBound, MIN_PLAIN_BITS, MAX_PLAIN_BITS);
  if (plain === undefined) throw refuse(`the sum bound ${sumBound} needs a plaintext modulus over ${MAX_PLAIN_BITS} bits`);
  const noiseBound = 2n * BigInt(NOISE_PER_SUMMAND) * BigInt(k) * plain.value;
  const maxQ = Math.min(MAX_DATA_PRIME_BITS, MAX_Q_BITS[n] as number);
  const qBound = noiseBound << BigInt(margin);
  const data = smallestPrimeAbove((b) => dataPrime(seal, n, b), qBound, plain.bits + 1, maxQ);
  if (data === undefined) {
    const need = bitLength(qBound);
    throw refuse(
      `a sum of ${k} updates with |w*delta*scale| <= ${perSummandBound} needs a ${plain.bits}-bit plaintext modulus and a ` +
        `${need}-bit or larger ciphertext modulus; at most ${maxQ} bits keep ciphertexts under 2x float32 at N=${n}. ` +
        'Lower precisionBits, maxWeight or maxSummands.',
      { plainModulusBits: plain.bits, neededDataPrimeBits: need, maxDataPrimeBits: maxQ },
    );
  }
  return finishChoice(seal, request, { n, scale, perSummandBound, sumBound, noiseBound, plain, data });
}

interface ChoiceParts {
  readonly n: number;
  readonly scale: number;
  readonly perSummandBound: number;
  readonly sumBound: bigint;
  readonly noiseBound: bigint;
  readonly plain: { bits: number; value: bigint };
  readonly data: { bits: number; value: bigint };
}

function finishChoice(seal: SealLibrary, request: BfvParameterRequest, p: ChoiceParts): BfvParameterChoice {
  const choice = {
    polyModulusDegree: p.n,
    coeffModulusBits: [p.data.bits],
    plainModulus: p.plain.value.toString(),
  };
  // Let SEAL confirm 128-bit security and batching for exactly these primes.
  const built = createBfvContext(seal, choice);
  deleteAll(built.context, built.parms);
  const ciphertextCount = ciphertextCountFor(request.length, p.n);
  const ciphertextsPerChunk = ciphertextsPerChunkFor(p.n, 1);
  return {
    length: request.length,
    ...choice,
    coeffModulus: [p.data.value.toString()],
    plainModulusBits: p.plain.bits,
    scale: p.scale,
    maxSummands: request.maxSummands,
    maxAbsValue: request.maxAbsValue,
    maxWeight: request.maxWeight,
    perSummandBound: p.perSummandBound,
    ciphertextCount,
    ciphertextsPerChunk,
    chunkCount: Math.ceil(ciphertextCount / ciphertextsPerChunk),
    headroom: {
      valueBits: round2(log2Big((p.plain.value - 1n) / 2n) - log2Big(p.sumBound)),
      noiseBits: round2(log2Big(p.data.value) - log2Big(p.noiseBound)),
    },
  };
}

/** The consortium key's parameters: one key serves every run, so N, q and t are fixed at the ceremony. */
export const CONSORTIUM_KEY_PARAMETERS = {
  polyModulusDegree: 4096,
  /** The largest data prime within the wire budget (1.95x float32), for the most noise room. */
  dataPrimeBits: MAX_DATA_PRIME_BITS,
  /** 44 bits: 2^43 of value room, and noise room for 93 summands with 2 bits of margin. */
  plainModulusBits: 44,
} as const;

/** The public parameters of a key before it has an id: what SEAL builds the context from. */
export interface KeyContextParameters {
  readonly polyModulusDegree: number;
  readonly coeffModulusBits: readonly number[];
  readonly plainModulus: string;
}

/** The primes of the consortium key's parameters ({@link CONSORTIUM_KEY_PARAMETERS}). */
export async function consortiumKeyContext(): Promise<KeyContextParameters> {
  const seal = await loadSeal();
  const { polyModulusDegree: n, dataPrimeBits, plainModulusBits } = CONSORTIUM_KEY_PARAMETERS;
  return { polyModulusDegree: n, coeffModulusBits: [dataPrimeBits], plainModulus: plainPrime(seal, n, plainModulusBits).toString() };
}

/**
 * A run's parameters under an existing key: N, q and t are the key's, so only the scale is
 * the run's. Checks that `maxSummands` sums at `precisionBits` (or `scale`) can neither
 * wrap around t/2 nor exhaust the noise budget; throws SECURE_AGG_PARAMS naming the largest
 * precision or site count that would fit otherwise.
 */
export async function runParametersForKey(key: KeyContextParameters, request: BfvParameterRequest): Promise<BfvParameterChoice> {
  return runParametersForKeySync(await loadSeal(), key, request);
}

/** {@link runParametersForKey} for callers that hold the loaded library. */
export function runParametersForKeySync(seal: SealLibrary, key: KeyContextParameters, request: BfvParameterRequest): BfvParameterChoice {
  checkRequest(request);
  const n = key.polyModulusDegree;
  const margin = request.noiseMarginBits ?? 2;
  const { maxSummands: k, maxAbsValue: c, maxWeight: w } = request;
  const { scale, perSummandBound, sumBound } = valueBounds(request);
  const t = BigInt(key.plainModulus);
  const q = dataPrime(seal, n, key.coeffModulusBits[0] as number);
  const noiseBound = 2n * BigInt(NOISE_PER_SUMMAND) * BigInt(k) * t;
  if (2n * sumBound >= t) {
    // The largest precision that passes this same test, so the message names one that fits.
    let roomBits = 0;
    for (let p = 1; p <= 40 && 2n * valueBounds(request, 2 ** p / c).sumBound < t; p++) roomBits = p;
    throw refuse(
      `${k} summands with weights up to ${w} at scale ${scale} could reach ${sumBound}, past t/2 = ${(t - 1n) / 2n} of the consortium key; ` +
        `at most ${roomBits} precision bits fit, so lower aggregation.precisionBits or maxWeight`,
      { maxPrecisionBits: roomBits, maxSummands: k, maxWeight: w },
    );
  }
  if (noiseBound << BigInt(margin) >= q) {
    const maxSites = Number((q >> BigInt(margin)) / (2n * BigInt(NOISE_PER_SUMMAND) * t));
    throw refuse(`the consortium key's parameters decrypt sums of at most ${maxSites} updates, the run has ${k} sites`, { maxSummands: maxSites });
  }
  const plain = { bits: bitLength(t), value: t };
  const data = { bits: bitLength(q), value: q };
  return finishChoice(seal, request, { n, scale, perSummandBound, sumBound, noiseBound, plain, data });
}

/** The run-record descriptor for a choice and the key generated for it. */
export function bfvDescriptor(choice: BfvParameterChoice, keyId: string, paramsId: string): BfvCodecDescriptor {
  return {
    kind: 'bfv',
    length: choice.length,
    polyModulusDegree: choice.polyModulusDegree,
    coeffModulusBits: [...choice.coeffModulusBits],
    plainModulus: choice.plainModulus,
    scale: choice.scale,
    ciphertextsPerChunk: choice.ciphertextsPerChunk,
    maxSummands: choice.maxSummands,
    maxAbsValue: choice.maxAbsValue,
    maxWeight: choice.maxWeight,
    keyId,
    paramsId,
  };
}
