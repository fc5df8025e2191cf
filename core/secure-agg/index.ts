/**
 * BFV secure aggregation. Coordinator code imports `bfv-chunk-adder.ts` only (no key
 * material there); sites use the encoder and keys. See docs/secure-aggregation.md.
 */
export { BfvChunkAdder } from './bfv-chunk-adder.ts';
export { BfvUpdateEncoder, type BfvUpdateEncoderOptions, type DecodedAggregate } from './bfv-update-encoder.ts';
export { generateKeyPair, describeSecretKey, type BfvKeyMaterial } from './keys.ts';
export {
  chooseBfvParameters,
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
export { loadSeal } from './seal-library.ts';
