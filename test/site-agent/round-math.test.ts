/**
 * The per-round arithmetic every site runs: the vector it encodes (clipped and weighted, or
 * clipped to S with its share of the site-level noise drawn once), and the server step on
 * the decoded sum.
 */
import { describe, expect, it } from 'vitest';
import { nextClipNorm } from '../../core/privacy/adaptive-clipping.ts';
import { GaussianSampler } from '../../core/privacy/gaussian.ts';
import { clipToNorm } from '../../core/secure-agg/quantize.ts';
import { meanFromWeightedSum, strategyFromSpec } from '../../core/strategies/index.ts';
import { plainDescriptor, type BfvCodecDescriptor, type CodecDescriptor } from '../../core/update-codec/index.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { applyDecodedAggregate, CLIP_NORM_STATE, initialServerState, siteUpdateVector } from '../../site-agent/round-math.ts';

/** Logistic regression on `features` numeric columns: features + 1 parameters. */
function specWith(extra: Record<string, unknown>, features = 1): ModelSpec {
  return parseSpec({
    name: 'tiny',
    dataset: 'heart',
    features: Array.from({ length: features }, (_, i) => ({ name: `f${i}`, type: 'numeric' })),
    label: { name: 'disease', type: 'binary' },
    model: { family: 'logistic-regression' },
    training: { epochs: 1 },
    rounds: 3,
    ...extra,
  });
}

function bfvCodec(length: number, maxWeight: number): BfvCodecDescriptor {
  return {
    kind: 'bfv', length, polyModulusDegree: 4096, coeffModulusBits: [58], plainModulus: '17592186028033', scale: 1024, ciphertextsPerChunk: 15,
    maxSummands: 4, maxAbsValue: 1, maxWeight, keyId: '0'.repeat(32), paramsId: '0'.repeat(64),
  };
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

describe('siteUpdateVector without site-level DP', () => {
  const spec = specWith({ aggregation: { maxUpdateNorm: 1 } });
  const global = Float32Array.of(0.5, -1);
  const trained = Float32Array.of(3.5, 3); // delta = [3, 4], norm 5
  const input = (codec: CodecDescriptor, numExamples: number): Parameters<typeof siteUpdateVector>[0] => ({
    spec: { ...spec, minSites: 2 }, global, trained, numExamples, codec, serverState: {}, rng: GaussianSampler.seededForTests('unused'),
  });

  it('sends clip(delta) * n with the weight slot n (plain codec)', () => {
    const out = siteUpdateVector(input(plainDescriptor(3), 50));
    const clipped = clipToNorm(Float64Array.of(3, 4), 1);
    expect(Array.from(out)).toEqual([Math.fround(clipped[0] as number) * 50, Math.fround(clipped[1] as number) * 50, 50]);
    expect(out[0]).toBeCloseTo(30, 5); // 0.6 * 50
    expect(out[1]).toBeCloseTo(40, 5); // 0.8 * 50
    expect(norm(out.subarray(0, 2)) / 50).toBeLessThanOrEqual(1 + 1e-7); // float32 rounding of the clipped delta
  });

  it('caps the weight at the bfv codec\'s maxWeight, and leaves a smaller count as it is', () => {
    const capped = siteUpdateVector(input(bfvCodec(3, 30), 50));
    const clipped = clipToNorm(Float64Array.of(3, 4), 1);
    expect(Array.from(capped)).toEqual([Math.fround(clipped[0] as number) * 30, Math.fround(clipped[1] as number) * 30, 30]);
    expect(siteUpdateVector(input(bfvCodec(3, 30), 20))[2]).toBe(20);
    // The plain codec has no cap.
    expect(siteUpdateVector(input(plainDescriptor(3), 5000))[2]).toBe(5000);
  });

  it('leaves an update within the norm bound unscaled', () => {
    const out = siteUpdateVector({ ...input(plainDescriptor(3), 2), trained: Float32Array.of(0.8, -0.6) }); // delta [0.3, 0.4]
    expect(Array.from(out)).toEqual([(Math.fround(0.8) - 0.5) * 2, (Math.fround(-0.6) + 1) * 2, 2]);
  });
});

describe('siteUpdateVector with site-level DP', () => {
  const z = 1.2;
  const S = 0.5;
  const spec = specWith({ privacy: { site: { noiseMultiplier: z, clipNorm: S } } }, 3); // 4 parameters
  const global = new Float32Array(4);
  const trained = Float32Array.of(1, -2, 2, 4); // norm 5 > S

  it('sends weight 1, the update clipped to S plus this site\'s noise share N(0, (zS)^2/K), drawn once', () => {
    const K = 4;
    const rng = GaussianSampler.seededForTests('site-dp');
    const out = siteUpdateVector({ spec: { ...spec, minSites: K }, global, trained, numExamples: 300, codec: plainDescriptor(5), serverState: {}, rng });
    const reference = GaussianSampler.seededForTests('site-dp');
    const noise = reference.fillGaussian(new Float64Array(4), (z * S) / Math.sqrt(K));
    expect(out[4]).toBe(1);
    const signal = Array.from(out.subarray(0, 4), (x, i) => x - (noise[i] as number));
    expect(norm(signal)).toBeLessThanOrEqual(S + 1e-12);
    expect(norm(signal)).toBeCloseTo(S, 12);
    // Clipping only scales: the signal points along delta.
    signal.forEach((x, i) => expect(x).toBeCloseTo(((trained[i] as number) * S) / 5, 12));
    // Exactly 4 normals were drawn: the sampler's next draw is the reference's fifth.
    expect(rng.standardNormal()).toBe(reference.standardNormal());
  });

  it('gives a zero-update sum over K sites the variance (z S)^2: one share per site, no more, no less', () => {
    const K = 4;
    const features = 50;
    const wide = specWith({ privacy: { site: { noiseMultiplier: z, clipNorm: S } } }, features);
    const P = features + 1;
    const weights = new Float32Array(P).fill(0.25);
    const rngs = Array.from({ length: K }, (_, k) => GaussianSampler.seededForTests(`noise-once-${k}`));
    const trials = 200;
    let sumSq = 0;
    let sumSqDoubled = 0;
    let sumSqMissing = 0;
    for (let t = 0; t < trials; t++) {
      const vectors = rngs.map((rng) => siteUpdateVector({ spec: { ...wide, minSites: K }, global: weights, trained: weights, numExamples: 10, codec: plainDescriptor(P + 1), serverState: {}, rng }));
      for (let i = 0; i < P; i++) {
        const shares = vectors.map((v) => v[i] as number);
        const sum = shares.reduce((a, b) => a + b, 0);
        sumSq += sum * sum;
        sumSqDoubled += (sum + (shares[0] as number)) ** 2; // one site adding its share twice
        sumSqMissing += (sum - (shares[0] as number)) ** 2; // one site adding none
      }
    }
    const n = trials * P; // 10,200 coordinates
    const target = (z * S) ** 2; // 0.36
    // The variance estimate's relative standard error is sqrt(2/n) = 1.4%, so +-5% is 3.5
    // standard errors; a doubled share gives (K+3)/K = 1.75x, a missing one (K-1)/K = 0.75x.
    const ratio = sumSq / n / target;
    expect(ratio).toBeGreaterThan(0.95);
    expect(ratio).toBeLessThan(1.05);
    expect(sumSqDoubled / n / target).toBeGreaterThan(1.05);
    expect(sumSqMissing / n / target).toBeLessThan(0.95);
  });

  it('puts the noised "not clipped" indicator into the count slot under adaptive clipping', () => {
    const adaptive = { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 2, maxClipNorm: 10 };
    const aSpec = specWith({ privacy: { site: { noiseMultiplier: 1, clipNorm: 1, adaptive } } }, 3);
    const state = initialServerState(aSpec, strategyFromSpec(aSpec.strategy), new Float32Array(4));
    expect(Array.from(state[CLIP_NORM_STATE] as Float32Array)).toEqual([1]);
    const K = 4;
    const out = siteUpdateVector({ spec: { ...aSpec, minSites: K }, global, trained, numExamples: 9, codec: plainDescriptor(6), serverState: state, rng: GaussianSampler.seededForTests('adaptive') });
    const reference = GaussianSampler.seededForTests('adaptive');
    // z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2) = (1 - 1/16)^(-1/2) for the update ...
    const zDelta = (1 - 1 / 16) ** -0.5;
    const noise = reference.fillGaussian(new Float64Array(4), (zDelta * 1) / Math.sqrt(K));
    const signal = Array.from(out.subarray(0, 4), (x, i) => x - (noise[i] as number));
    expect(norm(signal)).toBeCloseTo(1, 12);
    // ... and the count: 0 (norm 5 > S = 1 was clipped) + N(0, sigma_b^2 / K), the next draw.
    expect(out[4]).toBe(0 + (2 / Math.sqrt(K)) * reference.standardNormal());
    expect(out[5]).toBe(1);
  });
});

describe('applyDecodedAggregate', () => {
  it('takes the strategy\'s step on sum / weight (FedAvg: x + mean delta)', () => {
    const spec = specWith({});
    const strategy = strategyFromSpec(spec.strategy);
    const weights = Float32Array.of(1, 2);
    const state = { weights, serverState: initialServerState(spec, strategy, weights) };
    const next = applyDecodedAggregate(spec, strategy, state, Float64Array.of(10, -20, 5), 1);
    expect(Array.from(next.weights)).toEqual([3, -2]);
  });

  it('equals FedAdam\'s own step on the weighted mean, state included', () => {
    const spec = specWith({ strategy: { name: 'fedadam', serverLearningRate: 0.1 } });
    const strategy = strategyFromSpec(spec.strategy);
    const weights = Float32Array.of(0.25, -0.5);
    const summed = Float64Array.of(1, -2, 3); // mean [1/3, -2/3]
    const initial = initialServerState(spec, strategy, weights);
    const next = applyDecodedAggregate(spec, strategy, { weights, serverState: initial }, summed, 1);
    const direct = strategyFromSpec(spec.strategy).applyAggregate(weights, meanFromWeightedSum(summed).meanDelta, initial, 1);
    expect(Array.from(next.weights)).toEqual(Array.from(direct.weights));
    expect(next.serverState).toEqual(direct.state);
    expect(Array.from(next.weights)).not.toEqual(Array.from(weights));
  });

  it('moves the adaptive clip norm by nextClipNorm and steps on the parameter slots only', () => {
    const adaptive = { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 2, maxClipNorm: 10 };
    const spec = specWith({ privacy: { site: { noiseMultiplier: 1, clipNorm: 1, adaptive } } });
    const strategy = strategyFromSpec(spec.strategy);
    const weights = Float32Array.of(1, 1);
    const state = { weights, serverState: initialServerState(spec, strategy, weights) };
    // [sum delta_1, sum delta_2, noised count sum, K]: 3 of 4 sites not clipped.
    const next = applyDecodedAggregate(spec, strategy, state, Float64Array.of(0.4, -0.8, 3, 4), 1);
    expect(Array.from(next.weights)).toEqual([Math.fround(1 + Math.fround(0.1)), Math.fround(1 + Math.fround(-0.2))]);
    const expected = nextClipNorm({ clipNorm: 1, noisedUnclippedSum: 3, sites: 4, adaptive });
    // S * exp(-eta (b~ - gamma)) = exp(-0.2 * (0.75 - 0.5)) = exp(-0.05)
    expect(expected.clipNorm).toBeCloseTo(0.951229424500714, 15);
    expect(Array.from(next.serverState[CLIP_NORM_STATE] as Float32Array)).toEqual([Math.fround(expected.clipNorm)]);
    // Capped at maxClipNorm when the noised count says every site was clipped many times over.
    const capped = applyDecodedAggregate(spec, strategy, state, Float64Array.of(0, 0, -100, 4), 1);
    expect(Array.from(capped.serverState[CLIP_NORM_STATE] as Float32Array)).toEqual([10]);
  });
});
