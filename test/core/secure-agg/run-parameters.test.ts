/**
 * A run's parameters under the consortium key: N, q and t are fixed by the key ceremony,
 * only the scale is the run's. Exact values for a 4-site run, the refusals with the largest
 * precision and site count that fit, and a weighted sum through the real codec.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../core/errors/index.ts';
import { BfvChunkAdder } from '../../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey } from '../../../core/secure-agg/keys.ts';
import {
  bfvDescriptor,
  consortiumKeyContext,
  runParametersForKey,
  runParametersForKeySync,
  type KeyContextParameters,
} from '../../../core/secure-agg/parameters.ts';
import { loadSeal, type SealLibrary } from '../../../core/secure-agg/seal-library.ts';
import { pseudoRandom, seededUniformSource, sumThroughAdder } from './bfv-fixtures.ts';

const PARAMS = SecureAggErrors.PARAMS.code;

describe('runParametersForKey under the consortium key', () => {
  let seal: SealLibrary;
  let key: KeyContextParameters;

  beforeAll(async () => {
    seal = await loadSeal();
    key = await consortiumKeyContext();
  });

  it('fixes N = 4096, one 58-bit data prime and the 44-bit batching prime t', () => {
    // t = PlainModulus.Batching(4096, 44): the largest 44-bit prime with t = 1 mod 2N = 8192.
    expect(key).toEqual({ polyModulusDegree: 4096, coeffModulusBits: [58], plainModulus: '17592186028033' });
    expect(BigInt(key.plainModulus) % 8192n).toBe(1n);
  });

  it('gives exact values and headroom for 4 sites with weights <= 300 at 20 bits', async () => {
    const choice = await runParametersForKey(key, { length: 1001, maxSummands: 4, maxAbsValue: 1, maxWeight: 300, precisionBits: 20 });
    // scale = 2^20 / C = 1048576 with C = 1. One site's largest value slot is
    // W*C*scale + 1 = 300 * 2^20 + 1 = 314572801 (the +1 is stochastic rounding's step up),
    // so the sum of K = 4 is at most sumBound = 4 * 314572801 = 1258291204.
    // valueBits = log2((t-1)/2) - log2(sumBound) = log2(8796093014016) - log2(1258291204)
    //           = 42.99999999866 - 30.22881869 = 12.771..., stored rounded down to 12.77.
    // noiseBits = log2(q) - log2(2 * 22 * K * t) = 57.99999999 - log2(176 * 17592186028033)
    //           = 57.99999999 - 51.45943161 = 6.5405..., stored as 6.54.
    expect(choice).toEqual({
      length: 1001,
      polyModulusDegree: 4096,
      coeffModulusBits: [58],
      coeffModulus: ['288230376151130113'],
      plainModulus: '17592186028033',
      plainModulusBits: 44,
      scale: 1048576,
      maxSummands: 4,
      maxAbsValue: 1,
      maxWeight: 300,
      perSummandBound: 314572801,
      ciphertextCount: 1,
      ciphertextsPerChunk: 15,
      chunkCount: 1,
      headroom: { valueBits: 12.77, noiseBits: 6.54 },
    });
    // The same numbers from the definitions, so the comment above cannot drift from the code.
    const t = 17592186028033n;
    const q = 288230376151130113n;
    const sumBound = 4 * (300 * 1 * 1048576 + 1);
    expect(sumBound).toBe(1258291204);
    expect(Math.floor((Math.log2(Number((t - 1n) / 2n)) - Math.log2(sumBound)) * 100) / 100).toBe(12.77);
    expect(Math.floor((Math.log2(Number(q)) - Math.log2(Number(2n * 22n * 4n * t))) * 100) / 100).toBe(6.54);
    expect(2n * BigInt(sumBound)).toBeLessThan(t);
  });

  it('keeps the scale independent of the value bound: the same integers for C = 100 at 20 bits', () => {
    const choice = runParametersForKeySync(seal, key, { length: 10, maxSummands: 4, maxAbsValue: 100, maxWeight: 300, precisionBits: 20 });
    expect(choice.scale).toBe(10485.76);
    expect(choice.perSummandBound).toBe(314572801);
    expect(choice.headroom).toEqual({ valueBits: 12.77, noiseBits: 6.54 });
  });

  it('refuses a precision past t/2 and names the largest that fits (32 bits for 4 sites of weight 300)', () => {
    // 2 * 4 * (300 * 2^32 + 1) = 1.03e13 < t = 1.76e13, but at 33 bits it is 2.06e13 > t.
    expect(runParametersForKeySync(seal, key, { length: 10, maxSummands: 4, maxAbsValue: 1, maxWeight: 300, precisionBits: 32 }).headroom.valueBits).toBe(0.77);
    let err: { code: string; message: string; details: unknown } | undefined;
    try {
      runParametersForKeySync(seal, key, { length: 10, maxSummands: 4, maxAbsValue: 1, maxWeight: 300, precisionBits: 33 });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err?.code).toBe(PARAMS);
    expect(err?.message).toBe(
      '4 summands with weights up to 300 at scale 8589934592 could reach 10307921510404, past t/2 = 8796093014016 of the consortium key; ' +
        'at most 32 precision bits fit, so lower aggregation.precisionBits or maxWeight',
    );
    expect(err?.details).toEqual({ maxPrecisionBits: 32, maxSummands: 4, maxWeight: 300 });
  });

  it('refuses more sites than the noise budget decrypts and names the most that fit (93)', () => {
    // K fits while 4 * 2 * 22 * K * t < q (2 bits of margin): K <= floor((q >> 2) / (44 t)) = 93.
    const ok = runParametersForKeySync(seal, key, { length: 10, maxSummands: 93, maxAbsValue: 1, maxWeight: 1, precisionBits: 8 });
    // log2(q) - log2(44 * 93 * t) = 2.0016: just the 2 bits of margin left.
    expect(ok.headroom.noiseBits).toBe(2);
    const request = { length: 10, maxSummands: 94, maxAbsValue: 1, maxWeight: 1, precisionBits: 8 };
    expect(() => runParametersForKeySync(seal, key, request)).toThrow(
      expect.objectContaining({ code: PARAMS, message: 'the consortium key\'s parameters decrypt sums of at most 93 updates, the run has 94 sites', details: { maxSummands: 93 } }),
    );
  });

  it('lists invalid fields before touching the key', () => {
    expect(() => runParametersForKeySync(seal, key, { length: 10, maxSummands: 0, maxAbsValue: 1, maxWeight: 1, precisionBits: 8 })).toThrow(
      expect.objectContaining({ code: PARAMS, details: { problems: ['maxSummands: expected an integer in 1..16777216, got 0'] } }),
    );
  });

  it('sums 5 weighted updates under a consortium key to the plaintext weighted sum within K/scale, and the mean within quantization', async () => {
    const K = 5;
    const P = 1000;
    const C = 0.5;
    const weights = [17, 250, 3, 120, 99];
    const consortium = await generateConsortiumKey(key);
    const choice = await runParametersForKey(key, { length: P + 1, maxSummands: K, maxAbsValue: C, maxWeight: 250, precisionBits: 20 });
    const descriptor = bfvDescriptor(choice, consortium.params.keyId, consortium.params.paramsId);
    const encoder = await BfvUpdateEncoder.create(descriptor, consortium.secretKey, { random: seededUniformSource('run-parameters') });
    const adder = await BfvChunkAdder.create(descriptor);
    try {
      const plainSum = new Float64Array(P + 1);
      const sites: Uint8Array[][] = [];
      for (let k = 0; k < K; k++) {
        const w = weights[k] as number;
        const delta = pseudoRandom(P, k + 1).map((x) => x * C);
        const v = new Float64Array(P + 1);
        for (let i = 0; i < P; i++) v[i] = w * (delta[i] as number);
        v[P] = w;
        for (let i = 0; i <= P; i++) plainSum[i] = (plainSum[i] as number) + (v[i] as number);
        sites.push([...encoder.encode(v)]);
      }
      const decoded = encoder.decodeAggregate(sumThroughAdder(adder, sites));
      expect(decoded.summands).toBe(K);
      expect(decoded.minNoiseBudgetBits).toBeGreaterThan(0);
      expect(decoded.sum[P]).toBe(489); // the weights sum exactly
      const totalWeight = 489;
      let worstSum = 0;
      let worstMean = 0;
      for (let i = 0; i < P; i++) {
        worstSum = Math.max(worstSum, Math.abs((decoded.sum[i] as number) - (plainSum[i] as number)));
        worstMean = Math.max(worstMean, Math.abs((decoded.sum[i] as number) / totalWeight - (plainSum[i] as number) / totalWeight));
      }
      // Each site's stochastic rounding moves a slot by less than one step 1/scale.
      expect(worstSum).toBeLessThan(K / choice.scale);
      expect(worstMean).toBeLessThan(K / choice.scale / totalWeight);
      // Not vacuous: the rounding is visible, the values are not all zero.
      expect(worstSum).toBeGreaterThan(0);
      expect(Math.max(...plainSum.subarray(0, P).map(Math.abs))).toBeGreaterThan(100);
    } finally {
      encoder.dispose();
      adder.dispose();
    }
  });
});
