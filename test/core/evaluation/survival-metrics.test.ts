/**
 * Harrell's C-index and the survival evaluation vector: the O(n log n) pair counts against a
 * brute-force loop over every pair (with tied times and tied risks), a hand-counted case, and
 * the consortium metrics from vectors summed in plain and through real BFV ciphertexts.
 */
import { describe, expect, it } from 'vitest';
import { evaluationCodec } from '../../../core/evaluation/summed-metrics.ts';
import {
  CINDEX_SCALE,
  concordanceCounts,
  concordanceIndex,
  SURVIVAL_EVAL_VECTOR_LENGTH,
  survivalConsortiumMetrics,
  survivalEvaluationVector,
} from '../../../core/evaluation/survival-metrics.ts';
import { BfvChunkAdder } from '../../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey } from '../../../core/secure-agg/keys.ts';
import { bfvDescriptor, consortiumKeyContext, runParametersForKey } from '../../../core/secure-agg/parameters.ts';
import { loadSeal } from '../../../core/secure-agg/seal-library.ts';
import type { BfvCodecDescriptor } from '../../../core/update-codec/index.ts';
import { mulberry32 } from '../../../models/seeded-random.ts';
import { seededUniformSource, sumThroughAdder } from '../secure-agg/bfv-fixtures.ts';
import { bruteForceConcordance } from '../../support/survival.ts';

interface Survival {
  risk: number[];
  time: number[];
  event: number[];
}

/** Small integer times and risks, so that both tie often. */
function survivalRows(n: number, seed: number): Survival {
  const rng = mulberry32(seed);
  const out: Survival = { risk: [], time: [], event: [] };
  for (let i = 0; i < n; i++) {
    out.risk.push(Math.floor(rng() * 6));
    out.time.push(1 + Math.floor(rng() * 8));
    out.event.push(rng() < 0.6 ? 1 : 0);
  }
  return out;
}

const bruteForce = bruteForceConcordance;

describe('concordanceCounts', () => {
  it('counts by hand a case with tied times and tied risks', () => {
    // Patients (time, event, risk): A (2, 1, 3), B (2, 0, 1), C (2, 1, 2), D (5, 1, 3), E (7, 0, 3).
    // Usable pairs: A-B, C-B (same time, B censored); A-D, A-E, C-D, C-E, D-E (earlier event).
    // A-C: two events at the same time, not usable. Concordant (first has higher risk):
    // A>B, C>B. Tied: A-D, A-E, D-E. Discordant: C-D, C-E.
    const risk = [3, 1, 2, 3, 3];
    const time = [2, 2, 2, 5, 7];
    const event = [1, 0, 1, 1, 0];

    expect(concordanceCounts(risk, time, event)).toEqual({ concordant: 2, tied: 3, comparable: 7 });
    expect(concordanceIndex(risk, time, event)).toBe((2 + 1.5) / 7);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('equals the brute-force pair count on 60 rows with ties (seed %i)', (seed) => {
    const rows = survivalRows(60, seed);

    expect(concordanceCounts(rows.risk, rows.time, rows.event)).toEqual(bruteForce(rows));
  });

  it('is 1 for risks that order every usable pair, 0 reversed, NaN without an event', () => {
    const time = [1, 2, 3, 4];
    const event = [1, 1, 0, 1];

    expect(concordanceIndex([4, 3, 2, 1], time, event)).toBe(1);
    expect(concordanceIndex([1, 2, 3, 4], time, event)).toBe(0);
    expect(concordanceIndex([1, 2, 3, 4], time, [0, 0, 0, 0])).toBeNaN();
  });
});

/** Element-wise sum of vectors. */
const add = (vs: readonly Float64Array[]): Float64Array => vs.reduce((s, v) => s.map((x, i) => x + v[i]!), new Float64Array(SURVIVAL_EVAL_VECTOR_LENGTH));

describe('the summed survival evaluation', () => {
  const sites = [survivalRows(50, 11), survivalRows(30, 12), survivalRows(70, 13)];
  const vectors = sites.map((s) => survivalEvaluationVector(s.risk, s.time, s.event));
  const counts = sites.map(bruteForce);

  it('gives the mean of the sites\' C-indexes to 2^-17, and the pair-weighted C-index exactly', () => {
    const m = survivalConsortiumMetrics(add(vectors));

    const perSite = counts.map((c) => (c.concordant + c.tied / 2) / c.comparable);
    const meanC = perSite.reduce((a, b) => a + b, 0) / 3;
    expect(Math.abs(m.meanCIndex - meanC)).toBeLessThanOrEqual(0.5 / CINDEX_SCALE);
    const total = counts.reduce((t, c) => ({ concordant: t.concordant + c.concordant, tied: t.tied + c.tied, comparable: t.comparable + c.comparable }));
    expect(m.pairCIndex).toBe((2 * total.concordant + total.tied) / 2 / total.comparable);
    expect(m).toMatchObject({ numExamples: 150, evaluators: 3, sitesWithPairs: 3, comparablePairs: total.comparable });
    expect(m.events).toBe(sites.reduce((n, s) => n + s.event.filter((e) => e === 1).length, 0));
  });

  it('carries pair counts past 2^24 in two digits', () => {
    // 6000 events at distinct times: 6000 x 5999 / 2 = 17,997,000 pairs > 2^24 = 16,777,216.
    const n = 6000;
    const time = Array.from({ length: n }, (_, i) => i);
    const risk = time.map((t) => (t % 3 === 0 ? -t : n - t));
    const event = time.map(() => 1);
    const c = concordanceCounts(risk, time, event);

    const m = survivalConsortiumMetrics(survivalEvaluationVector(risk, time, event));

    expect(c.comparable).toBe((n * (n - 1)) / 2);
    expect(m.comparablePairs).toBe(c.comparable);
    expect(m.pairCIndex).toBe((c.concordant + c.tied / 2) / c.comparable);
  });

  it('leaves a site without a usable pair out of the mean', () => {
    const none = survivalEvaluationVector([1, 2], [3, 4], [0, 0]);

    const m = survivalConsortiumMetrics(add([vectors[0]!, none]));

    expect(m.sitesWithPairs).toBe(1);
    expect(m.evaluators).toBe(2);
    expect(Math.abs(m.meanCIndex - concordanceIndex(sites[0]!.risk, sites[0]!.time, sites[0]!.event))).toBeLessThanOrEqual(0.5 / CINDEX_SCALE);
  });

  it('decrypts from real BFV ciphertexts of the run\'s evaluation codec to the plain sum\'s metrics', async () => {
    const ctx = await consortiumKeyContext();
    const key = await generateConsortiumKey(ctx);
    const run = bfvDescriptor(await runParametersForKey(ctx, { length: 15, maxSummands: 3, maxAbsValue: 1, maxWeight: 100, precisionBits: 16 }), key.params.keyId, key.params.paramsId);
    const codec = evaluationCodec(run) as BfvCodecDescriptor;
    const encoders = await Promise.all(['a', 'b', 'c'].map((s) => BfvUpdateEncoder.create(codec, key.secretKey, { random: seededUniformSource(s) })));
    const adder = new BfvChunkAdder(await loadSeal(), codec);
    try {
      const summed = sumThroughAdder(adder, vectors.map((v, i) => [...encoders[i]!.encode(v)]));
      const decoded = encoders[0]!.decodeAggregate(summed);

      expect(decoded.summands).toBe(3);
      expect(survivalConsortiumMetrics(decoded.sum)).toEqual(survivalConsortiumMetrics(add(vectors)));
    } finally {
      adder.dispose();
      for (const e of encoders) e.dispose();
    }
  });
});
