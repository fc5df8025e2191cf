/**
 * The in-process simulator runs the sites' code: encrypted aggregation gives the plaintext
 * result to the quantization error, DP-SGD and site-level DP run with the schedule and
 * accounting the sites use, and the seeded randomness makes a run reproducible.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { computeEpsilon } from '../../../core/privacy/rdp-accountant.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { simulate, type SimulatedSite } from '../../../site-agent/simulation/simulate.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { separable } from '../training/helpers.ts';

const WIDTH = 3;

/** Logistic regression on WIDTH numeric columns (WIDTH + 1 parameters), 2 rounds. */
function specWith(extra: Record<string, unknown>): ModelSpec {
  return parseSpec({
    name: 'tiny',
    dataset: 'synthetic',
    features: Array.from({ length: WIDTH }, (_, i) => ({ name: `f${i}`, type: 'numeric' })),
    label: { name: 'y', type: 'binary' },
    model: { family: 'logistic-regression' },
    training: { epochs: 1, batchSize: 10, optimizer: 'sgd', learningRate: 0.5 },
    rounds: 2,
    seed: 7,
    ...extra,
  });
}

/** Three sites of 40, 20 and 30 rows (the weights differ), each with a test split. */
const sites: SimulatedSite[] = [40, 20, 30].map((rows, i) => ({ name: `site-${i}`, train: separable(rows, WIDTH, 10 + i), test: separable(20, WIDTH, 20 + i) }));
const totalRows = 90;

const maxAbsDifference = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

beforeAll(async () => {
  await selectBackend('cpu', 'logistic-regression');
});

describe('simulate with the bfv codec', () => {
  it('gives the plaintext weights to within the fixed-point quantization error after 2 rounds', async () => {
    // Arrange: a coarse encoding (scale 2^10 per unit), so the quantization shows.
    const spec = specWith({ aggregation: { maxUpdateNorm: 1, precisionBits: 10 } });

    // Act
    const plain = await simulate(spec, sites);
    const encrypted = await simulate(spec, sites, undefined, { codec: 'bfv' });

    // Assert: the coordinator's parameters for K = 3 sites and W = the largest site (40).
    expect(encrypted.codec).toMatchObject({ kind: 'bfv', polyModulusDegree: 4096, scale: 1024, maxSummands: 3, maxWeight: 40, maxAbsValue: 1, length: WIDTH + 2 });
    expect(plain.codec.kind).toBe('plain');
    // Stochastic rounding moves each site's weighted value by < 1/scale, so a round's mean
    // moves by < K / (scale * sum w) = 3 / (1024 * 90); two rounds, with the first round's
    // error carried through one round of training, stay under twice that per round.
    const bound = 2 * 2 * (3 / (1024 * totalRows));
    const difference = maxAbsDifference(encrypted.weights, plain.weights);
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(bound);
    expect(encrypted.rounds.map((r) => r.round)).toEqual([1, 2]);
  });
});

describe('simulate with record-level DP-SGD', () => {
  const spec = specWith({ privacy: { record: { noiseMultiplier: 1.1, clipNorm: 1 } } });

  it('takes round(n / batchSize) Poisson steps a round at each site and reports the RDP spend at delta 1/(10 n)', async () => {
    // Act
    const result = await simulate(spec, sites, undefined, { randomSeed: 1 });

    // Assert: q = 10/n; steps = 2 rounds x round(1/q).
    expect(result.privacy.map((p) => [p.site, p.samplingRate, p.steps, p.delta])).toEqual([
      ['site-0', 0.25, 8, 1 / 400],
      ['site-1', 0.5, 4, 1 / 200],
      ['site-2', 1 / 3, 6, 1 / 300],
    ]);
    const expected = computeEpsilon({ q: 0.25, sigma: 1.1, steps: 8, delta: 1 / 400 }).epsilon;
    expect(result.privacy[0]?.recordEpsilon).toBe(expected);
    expect(result.privacy[0]?.epsilon).toBe(expected);
    expect(result.privacy[0]?.plannedEpsilon).toBe(expected);
    expect(result.privacy[0]?.siteEpsilon).toBe(Number.POSITIVE_INFINITY);
  });

  it('is reproducible with the same randomSeed and differs with another', async () => {
    const a = await simulate(spec, sites, undefined, { randomSeed: 3 });
    const b = await simulate(spec, sites, undefined, { randomSeed: 3 });
    const c = await simulate(spec, sites, undefined, { randomSeed: 4 });
    expect(Array.from(b.weights)).toEqual(Array.from(a.weights));
    expect(maxAbsDifference(c.weights, a.weights)).toBeGreaterThan(0);
  });
});

describe('simulate with site-level DP and adaptive clipping, encrypted', () => {
  const spec = specWith({ privacy: { site: { noiseMultiplier: 1, clipNorm: 0.05, adaptive: { countNoiseMultiplier: 1 } } } });

  it('sends unweighted clipped updates, moves the clip norm between rounds, and reports the site-level spend', async () => {
    // Act
    const result = await simulate(spec, sites, undefined, { codec: 'bfv', randomSeed: 5 });

    // Assert: weight 1 per site under site-level DP; the count slot is in the layout.
    expect(result.codec).toMatchObject({ kind: 'bfv', maxWeight: 1, maxSummands: 3, length: WIDTH + 3 });
    const [first, second] = result.rounds.map((r) => r.siteClipNorm);
    expect(first).toBe(Math.fround(0.05));
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    // A patient's record: replace-one (z / 2, adaptive too) against the coordinator, whose sums are unverified (1 / sqrt(2)).
    const expected = computeEpsilon({ q: 1, sigma: 0.5 * Math.SQRT1_2, steps: 2, delta: 1 / 400 }).epsilon;
    // (z_replace is computed from z_update and sigma_b, so it equals z / 2 to rounding.)
    const p = result.privacy[0];
    expect(p).toMatchObject({ steps: 0, rounds: 2, recordEpsilon: Number.POSITIVE_INFINITY });
    expect(p?.siteEpsilon).toBeCloseTo(expected, 10);
    expect(p?.epsilon).toBe(p?.siteEpsilon);
  });
});
