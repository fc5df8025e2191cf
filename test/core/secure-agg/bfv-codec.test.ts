import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors, UpdateErrors } from '../../../core/errors/index.ts';
import { weightedUpdateVector } from '../../../core/strategies/aggregate.ts';
import { BfvChunkAdder } from '../../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../../core/secure-agg/bfv-update-encoder.ts';
import { generateKeyPair } from '../../../core/secure-agg/keys.ts';
import { chooseBfvParameters } from '../../../core/secure-agg/parameters.ts';
import { makeCodec, pseudoRandom, sumThroughAdder, type Codec } from './bfv-fixtures.ts';

const code = (def: { code: string }): { code: string } => expect.objectContaining({ code: def.code });

describe('BFV codec round trip', () => {
  const length = 10_001; // 10,000 parameters + the weight
  const sites = 10;
  let codec: Codec;
  beforeAll(async () => {
    codec = await makeCodec({ length, maxSummands: 100, maxAbsValue: 1, maxWeight: 1_000_000, precisionBits: 12 }, 'round trip');
  });
  afterAll(() => codec.dispose());

  it('decodes the weighted sum of 10 sites within one quantization step per site', () => {
    const expected = new Float64Array(length);
    const uploads: Uint8Array[][] = [];
    for (let k = 0; k < sites; k++) {
      const weight = 1000 + 37 * k;
      const v = weightedUpdateVector(new Float32Array(pseudoRandom(length - 1, k)), weight);
      v.forEach((x, i) => (expected[i] = (expected[i] as number) + x));
      uploads.push([...codec.encoder.encode(v)]);
    }

    const aggregate = codec.encoder.decodeAggregate(sumThroughAdder(codec.adder, uploads));

    // Stochastic rounding moves each site's value by less than one step (1/scale), so the
    // sum of K sites is within K steps; the weight travels exactly.
    const bound = sites / codec.key.descriptor.scale;
    let worst = 0;
    for (let i = 0; i < length - 1; i++) worst = Math.max(worst, Math.abs((aggregate.sum[i] as number) - (expected[i] as number)));
    expect(worst).toBeLessThan(bound);
    expect(worst).toBeGreaterThan(0); // it did quantize
    expect(aggregate.sum[length - 1]).toBe(expected[length - 1]);
    expect(aggregate.summands).toBe(sites);
    expect(aggregate.minNoiseBudgetBits).toBeGreaterThan(0);
  });

  it('keeps site chunks under 2x the float32 bytes of the values they carry', () => {
    const v = weightedUpdateVector(new Float32Array(pseudoRandom(length - 1, 99)), 1);
    const [chunk] = [...codec.encoder.encode(v)];
    // 3 ciphertexts x 4096 slots; measure per full ciphertext of 4095 values (+1 check slot).
    const bytesPerCiphertext = ((chunk as Uint8Array).byteLength - 48) / 3;
    const ratio = bytesPerCiphertext / (4 * 4095);
    expect(ratio).toBeLessThanOrEqual(2.0);
    expect(ratio).toBeGreaterThan(1.5); // and it is a real ciphertext, not something trivially small
  });
});

describe('BFV codec exactness', () => {
  it('sums 100 integer updates exactly with noise budget left', async () => {
    const summands = 100;
    const length = 5000;
    const codec = await makeCodec({ length, maxSummands: summands, maxAbsValue: 1000, maxWeight: 1, scale: 1 }, 'exact');
    try {
      const expected = new Float64Array(length);
      const uploads: Uint8Array[][] = [];
      for (let k = 0; k < summands; k++) {
        const v = new Float64Array(length);
        for (let i = 0; i < length - 1; i++) v[i] = ((i * 7919 + k * 104729) % 2001) - 1000; // integers in [-1000, 1000]
        v[length - 1] = 1;
        v.forEach((x, i) => (expected[i] = (expected[i] as number) + x));
        uploads.push([...codec.encoder.encode(v)]);
      }
      const aggregate = codec.encoder.decodeAggregate(sumThroughAdder(codec.adder, uploads));
      expect(Array.from(aggregate.sum)).toEqual(Array.from(expected));
      expect(aggregate.summands).toBe(summands);
      expect(aggregate.minNoiseBudgetBits).toBeGreaterThan(0);
    } finally {
      codec.dispose();
    }
  });
});

describe('BFV codec refusals', () => {
  const request = { length: 4000, maxSummands: 3, maxAbsValue: 1, maxWeight: 10, precisionBits: 10 };
  let codec: Codec;
  let chunk: Uint8Array;
  beforeAll(async () => {
    codec = await makeCodec(request, 'refusals');
    [chunk] = [...codec.encoder.encode(weightedUpdateVector(new Float32Array(pseudoRandom(3999, 1)), 10))] as [Uint8Array];
  });
  afterAll(() => codec.dispose());

  it('refuses a chunk encrypted under other parameters', async () => {
    const other = await makeCodec({ ...request, precisionBits: 20 }, 'other');
    try {
      const [foreign] = [...other.encoder.encode(weightedUpdateVector(new Float32Array(3999), 1))] as [Uint8Array];
      expect(() => codec.adder.add(undefined, foreign, 0)).toThrowError(code(SecureAggErrors.PARAMS_MISMATCH));
      // Even with a forged header, SEAL refuses a ciphertext whose parameters are not the run's.
      const forged = foreign.slice();
      forged.set(Buffer.from(codec.key.paramsId, 'hex'), 16);
      expect(() => codec.adder.add(undefined, forged, 0)).toThrowError(code(UpdateErrors.CHUNK_MALFORMED));
    } finally {
      other.dispose();
    }
  });

  it('detects at decode a site that encrypted under another key', async () => {
    const stranger = await generateKeyPair(await chooseBfvParameters(request));
    const strangerEncoder = await BfvUpdateEncoder.create(stranger.descriptor, stranger.secretKey);
    try {
      const [theirs] = [...strangerEncoder.encode(weightedUpdateVector(new Float32Array(3999), 1))] as [Uint8Array];
      expect(() => codec.adder.add(undefined, theirs, 0)).toThrowError(code(SecureAggErrors.PARAMS_MISMATCH));
      // Same parameters, so the coordinator cannot tell once the header is forged: the sites can.
      const forged = theirs.slice();
      forged.set(Buffer.from(codec.key.paramsId, 'hex'), 16);
      const sum = codec.adder.add(codec.adder.add(undefined, chunk, 0), forged, 0);
      expect(() => codec.encoder.decode([sum])).toThrowError(code(SecureAggErrors.WRONG_KEY));
    } finally {
      strangerEncoder.dispose();
    }
  });

  it('refuses to load a key made for another run', async () => {
    const stranger = await generateKeyPair(await chooseBfvParameters(request));
    await expect(BfvUpdateEncoder.create(codec.key.descriptor, stranger.secretKey)).rejects.toMatchObject({ code: SecureAggErrors.PARAMS_MISMATCH.code });
    await expect(BfvUpdateEncoder.create(codec.key.descriptor, stranger.secretKey.subarray(0, 70))).rejects.toMatchObject({
      code: SecureAggErrors.KEY_MALFORMED.code,
    });
  });

  it('refuses truncated and garbage bytes as malformed', () => {
    expect(() => codec.adder.add(undefined, chunk.subarray(0, chunk.byteLength - 100), 0)).toThrowError(code(UpdateErrors.CHUNK_MALFORMED));
    expect(() => codec.adder.validate(chunk.subarray(0, 20), 0)).toThrowError(code(UpdateErrors.CHUNK_MALFORMED));
    const garbage = chunk.slice();
    garbage.fill(0xa5, 200, 5000); // inside the first ciphertext's compressed bytes
    expect(() => codec.adder.validate(garbage, 0)).toThrowError(code(UpdateErrors.CHUNK_MALFORMED));
    const noMagic = chunk.slice();
    noMagic[0] = 0;
    expect(() => codec.adder.validate(noMagic, 0)).toThrowError(code(UpdateErrors.CHUNK_MALFORMED));
  });

  it('refuses a chunk sent under the wrong index', () => {
    expect(() => codec.adder.add(undefined, chunk, 1)).toThrowError(code(UpdateErrors.CHUNK_INDEX));
    const relabelled = chunk.slice();
    new DataView(relabelled.buffer).setUint32(8, 7, true);
    expect(() => codec.adder.validate(relabelled, 0)).toThrowError(
      expect.objectContaining({ code: UpdateErrors.CHUNK_INDEX.code, details: { where: 'chunk 0', index: 7, expected: 0 } }),
    );
  });

  it('refuses an oversized chunk before parsing it', () => {
    expect(() => codec.adder.validate(new Uint8Array(2 << 20), 0)).toThrowError(code(UpdateErrors.CHUNK_SIZE));
  });

  it('refuses to sum more updates than the parameters allow', () => {
    let sum = codec.adder.add(undefined, chunk, 0);
    sum = codec.adder.add(sum, chunk, 0);
    sum = codec.adder.add(sum, chunk, 0);
    expect(() => codec.adder.add(sum, chunk, 0)).toThrowError(
      expect.objectContaining({ code: SecureAggErrors.TOO_MANY_SUMMANDS.code, details: { index: 0, summands: 4, maxSummands: 3 } }),
    );
  });

  it('refuses an aggregate whose header lies about its summands', () => {
    const sum = codec.adder.add(codec.adder.add(undefined, chunk, 0), chunk, 0);
    const lying = sum.slice();
    new DataView(lying.buffer).setUint32(12, 3, true);
    expect(() => codec.encoder.decode([lying])).toThrowError(code(SecureAggErrors.WRONG_KEY));
    expect(codec.encoder.decodeAggregate([sum]).summands).toBe(2);
  });

  it('refuses an aggregate with missing chunks', () => {
    expect(() => codec.encoder.decode([])).toThrowError(code(UpdateErrors.TRUNCATED));
  });

  it('refuses a vector of the wrong length or out of range before producing a byte', () => {
    expect(() => codec.encoder.encode(new Float64Array(10))).toThrow('vector has 10 values, the codec expects 4000');
    const v = new Float64Array(4000);
    v[3999] = 2;
    v[17] = 2.5; // |delta| = 1.25 > maxAbsValue
    expect(() => codec.encoder.encode(v)).toThrowError(expect.objectContaining({ code: SecureAggErrors.VALUE_RANGE.code, details: { index: 17, maxAbsValue: 1 } }));
  });

  it('refuses a descriptor whose paramsId does not match its parameters', async () => {
    expect(codec.key.descriptor.plainModulus).not.toBe('786433');
    const tampered = { ...codec.key.descriptor, plainModulus: '786433' }; // another batching prime
    await expect(BfvChunkAdder.create(tampered)).rejects.toMatchObject({ code: SecureAggErrors.PARAMS_MISMATCH.code });
    const broken = { ...codec.key.descriptor, plainModulus: '786432' }; // not prime: no batching
    await expect(BfvChunkAdder.create(broken)).rejects.toMatchObject({ code: SecureAggErrors.PARAMS.code });
  });
});

describe('BFV codec with several chunks', () => {
  it('refuses chunks of an aggregate that sum different sets of sites', async () => {
    const length = 4095 * 15 + 10; // 16 ciphertexts: two chunks of up to 15
    const codec = await makeCodec({ length, maxSummands: 4, maxAbsValue: 1, maxWeight: 1, precisionBits: 8 }, 'chunks');
    try {
      expect(codec.adder.chunkCount).toBe(2);
      const site = [...codec.encoder.encode(weightedUpdateVector(new Float32Array(pseudoRandom(length - 1, 5)), 1))];
      const twice = sumThroughAdder(codec.adder, [site, site]);
      expect(codec.encoder.decodeAggregate(twice).summands).toBe(2);
      const mixed = [twice[0] as Uint8Array, site[1] as Uint8Array];
      expect(() => codec.encoder.decode(mixed)).toThrowError(code(SecureAggErrors.AGGREGATE_INCONSISTENT));
    } finally {
      codec.dispose();
    }
  });
});
