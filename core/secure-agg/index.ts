/**
 * BFV secure aggregation. Coordinator code imports `bfv-chunk-adder.ts` only (no key
 * material there); sites use the encoder and keys. See docs/secure-aggregation.md.
 */
export { BfvChunkAdder } from './bfv-chunk-adder.ts';
export { BfvUpdateEncoder, type BfvUpdateEncoderOptions, type DecodedAggregate } from './bfv-update-encoder.ts';
export { generateKeyPair, generateConsortiumKey, describeSecretKey, type BfvKeyMaterial, type ConsortiumKey } from './keys.ts';
export {
  chooseBfvParameters,
  runParametersForKey,
  runParametersForKeySync,
  consortiumKeyContext,
  CONSORTIUM_KEY_PARAMETERS,
  type KeyContextParameters,
  bfvDescriptor,
  MAX_DATA_PRIME_BITS,
  NOISE_PER_SUMMAND,
  type BfvParameterRequest,
  type BfvParameterChoice,
  type BfvHeadroom,
} from './parameters.ts';
export { clipToNorm, l2Norm, stochasticRound } from './quantize.ts';
export { cryptoUniformSource, type UniformSource } from './uniform-source.ts';
export { layoutOf, MAX_CHUNK_BYTES, type BfvLayout } from './layout.ts';
export { loadSeal, loadedSeal } from './seal-library.ts';
export {
  generateExchangeKey,
  exchangePublicKeyOf,
  announceExchangeKey,
  verifyExchangeKey,
  sealSecretKey,
  openSealedKey,
  type CeremonyIdentity,
  type ExchangeKeyAnnouncement,
  type HeKeyParameters,
  type SealedHeKey,
} from './key-ceremony.ts';
