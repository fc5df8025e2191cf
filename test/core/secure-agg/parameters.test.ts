import { describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../core/errors/index.ts';
import { chooseBfvParameters, NOISE_PER_SUMMAND } from '../../../core/secure-agg/parameters.ts';
import { loadSeal } from '../../../core/secure-agg/seal-library.ts';

describe('chooseBfvParameters', () => {
  it('uses SEAL primes that match published reference values', async () => {
    // SEAL's examples/2_encoders.cpp: PlainModulus::Batching(8192, 20) is 1032193.
    const seal = await loadSeal();
    const t = seal.PlainModulus.Batching(8192, 20);
    expect(t.value).toBe(1032193n);
    t.delete();
  });

  it('picks t, q and scale for 100 sites of up to 1e6 examples at 12 bits', async () => {
    const choice = await chooseBfvParameters({ length: 10_001, maxSummands: 100, maxAbsValue: 1, maxWeight: 1_000_000, precisionBits: 12 });
    expect(choice).toMatchObject({
      polyModulusDegree: 4096,
      coeffModulusBits: [55],
      coeffModulus: ['36028797018652673'],
      plainModulus: '1099511480321',
      plainModulusBits: 40,
      scale: 4096,
      perSummandBound: 4_096_000_001,
      ciphertextCount: 3, // 10001 values at 4095 per ciphertext
      ciphertextsPerChunk: 15,
      chunkCount: 1,
      headroom: { valueBits: 0.42, noiseBits: 2.89 },
    });
  });

  it('leaves no room for wrap-around or noise overflow in its own choice', async () => {
    const choice = await chooseBfvParameters({ length: 100, maxSummands: 37, maxAbsValue: 0.05, maxWeight: 5000, precisionBits: 16 });
    const t = BigInt(choice.plainModulus);
    const q = BigInt(choice.coeffModulus[0] as string);
    const worstSum = 37n * BigInt(choice.perSummandBound);
    expect(2n * worstSum).toBeLessThan(t); // |sum| <= (t-1)/2: centred, no wrap
    expect(2n * BigInt(NOISE_PER_SUMMAND) * 37n * t * 4n).toBeLessThan(q); // 2 bits of noise margin
    expect(choice.headroom.valueBits).toBeGreaterThanOrEqual(0);
    expect(choice.headroom.noiseBits).toBeGreaterThanOrEqual(2);
    expect(choice.scale).toBe(2 ** 16 / 0.05);
  });

  it('takes a scale given directly', async () => {
    const choice = await chooseBfvParameters({ length: 10, maxSummands: 100, maxAbsValue: 1000, maxWeight: 1, scale: 1 });
    expect(choice.scale).toBe(1);
    expect(choice.perSummandBound).toBe(1001);
  });

  it('refuses a sum that could wrap within the wire budget', async () => {
    const request = { length: 10, maxSummands: 10_000, maxAbsValue: 1, maxWeight: 1_000_000, precisionBits: 20 };
    await expect(chooseBfvParameters(request)).rejects.toMatchObject({
      code: SecureAggErrors.PARAMS.code,
      details: { plainModulusBits: 55, maxDataPrimeBits: 58 },
    });
  });

  it('lists every invalid field at once', async () => {
    const request = { length: 1, maxSummands: 0, maxAbsValue: -1, maxWeight: 1.5, precisionBits: 12, scale: 3 };
    await expect(chooseBfvParameters(request)).rejects.toMatchObject({
      code: SecureAggErrors.PARAMS.code,
      details: {
        problems: [
          'length: expected an integer >= 2, got 1',
          'maxSummands: expected an integer in 1..16777216, got 0',
          'maxAbsValue: expected a finite number > 0, got -1',
          'maxWeight: expected an integer in 1..1099511627776, got 1.5',
          'precisionBits, scale: give exactly one',
        ],
      },
    });
  });
});
