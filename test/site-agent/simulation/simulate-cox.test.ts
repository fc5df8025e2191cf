/**
 * A cox-ph spec through the simulator, i.e. the sites' code: a site's CSV extract read with
 * its survival label (prepareDataset), local training on the partial likelihood, the update
 * vectors, plain and BFV aggregation, FedAvg and FedAdam server steps, site-level DP, and the
 * survival evaluation vectors summed. Data from a known Cox model, so the fit can be checked
 * against the coefficients that generated it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CINDEX_SCALE, concordanceIndex } from '../../../core/evaluation/survival-metrics.ts';
import type { Matrix } from '../../../models/features.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { prepareDataset } from '../../../site-agent/data/prepare-dataset.ts';
import { simulate, type SimulatedSite } from '../../../site-agent/simulation/simulate.ts';
import { selectBackend } from '../../../site-agent/training/backend.ts';
import { COX_SPEC_BASE, coxRows, TRUE_BETA } from '../../support/survival.ts';

const matrixOf = (r: ReturnType<typeof coxRows>): Matrix => ({ x: Float32Array.from(r.x.flat()), y: Float32Array.from(r.event), time: Float64Array.from(r.time), rows: r.x.length, cols: 3 });

function coxSpec(extra: Record<string, unknown> = {}): ModelSpec {
  return parseSpec({
    ...COX_SPEC_BASE,
    name: 'cox',
    dataset: 'synthetic',
    training: { steps: 20, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 },
    rounds: 5,
    ...extra,
  });
}

const sites: SimulatedSite[] = [120, 80, 100].map((n, i) => ({ name: `site-${i}`, train: matrixOf(coxRows(n, 10 + i)), test: matrixOf(coxRows(60, 20 + i)) }));

const cosine = (a: ArrayLike<number>, b: readonly number[]): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < b.length; i++) {
    dot += (a[i] as number) * b[i]!;
    na += (a[i] as number) ** 2;
    nb += b[i]! ** 2;
  }
  return dot / Math.sqrt(na * nb);
};

beforeAll(async () => {
  await selectBackend('cpu', 'cox-ph');
});

describe('simulate a cox-ph spec', () => {
  it('recovers the direction of the generating coefficients with FedAvg and reports the summed survival metrics', async () => {
    const result = await simulate(coxSpec(), sites);

    expect(cosine(result.weights, TRUE_BETA)).toBeGreaterThan(0.95);
    const last = result.rounds[4]!;
    expect(last.metrics).toBeUndefined();
    expect(last.sites).toEqual([]);
    expect(last.survivalSites?.map((s) => [s.site, s.numExamples])).toEqual([['site-0', 60], ['site-1', 60], ['site-2', 60]]);
    // Each site's C-index is its own pair count on its test rows under the final weights.
    for (const [i, s] of sites.entries()) {
      const risk = Array.from({ length: s.test.rows }, (_, r) => [0, 1, 2].reduce((acc, k) => acc + s.test.x[r * 3 + k]! * result.weights[k]!, 0));
      expect(last.survivalSites?.[i]?.cIndex).toBeCloseTo(concordanceIndex(risk, s.test.time!, s.test.y), 6);
    }
    const direct = last.survivalSites!.reduce((a, s) => a + s.cIndex, 0) / 3;
    expect(Math.abs(last.survival!.meanCIndex - direct)).toBeLessThanOrEqual(0.5 / CINDEX_SCALE);
    expect(last.survival).toMatchObject({ evaluators: 3, sitesWithPairs: 3, numExamples: 180 });
    // The generating coefficients' own mean C-index on these test rows is 0.738; the fit comes close.
    expect(last.survival!.meanCIndex).toBeGreaterThan(0.65);
  });

  it('gives the plaintext weights to within the fixed-point error under BFV, and trains with FedAdam', async () => {
    const spec = coxSpec({ aggregation: { maxUpdateNorm: 10, precisionBits: 16 } });

    const plain = await simulate(spec, sites);
    const encrypted = await simulate(spec, sites, undefined, { codec: 'bfv' });
    const fedadam = await simulate(coxSpec({ strategy: { name: 'fedadam', serverLearningRate: 0.1 } }), sites, undefined, { codec: 'bfv' });

    expect(encrypted.codec).toMatchObject({ kind: 'bfv', maxSummands: 3, maxWeight: 120, length: 3 + 1 });
    const gap = Math.max(...Array.from(plain.weights, (w, i) => Math.abs(w - encrypted.weights[i]!)));
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(1e-3);
    expect(cosine(fedadam.weights, TRUE_BETA)).toBeGreaterThan(0.9);
    expect(fedadam.rounds[4]!.survival!.meanCIndex).toBeGreaterThan(0.65);
  });

  it('trains under site-level DP and charges only the site level', async () => {
    const spec = coxSpec({ privacy: { site: { noiseMultiplier: 0.5, clipNorm: 5 } } });

    const result = await simulate(spec, sites, undefined, { randomSeed: 4 });

    expect(result.rounds).toHaveLength(5);
    expect(result.rounds.every((r) => r.siteClipNorm === 5)).toBe(true);
    for (const p of result.privacy) {
      expect(p.recordEpsilon).toBe(Infinity);
      expect(Number.isFinite(p.siteEpsilon)).toBe(true);
      expect(p.epsilon).toBe(p.siteEpsilon);
    }
  });

  it('reads a site\'s CSV extract with its time and event columns, and trains on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-cox-'));
    const rows = coxRows(90, 31);
    const path = join(dir, 'site.csv');
    writeFileSync(path, ['x1,x2,x3,followup_days,died', ...rows.x.map((x, i) => `${x.join(',')},${rows.time[i]},${rows.event[i] === 1 ? 'yes' : 'no'}`)].join('\n'));
    const spec = coxSpec({ label: { type: 'survival', time: 'T', event: 'E', eventValues: ['yes'] }, testFraction: 0.3 });

    const data = await prepareDataset({ spec, mapping: { path, columns: { a: 'x1', b: 'x2', c: 'x3', T: 'followup_days', E: 'died' } }, fingerprintKey: Buffer.alloc(32, 1) });

    expect(data.train.rows + data.test.rows).toBe(90);
    const all = [...Array.from(data.train.time!), ...Array.from(data.test.time!)].sort((a, b) => a - b);
    expect(all).toEqual([...rows.time].sort((a, b) => a - b));
    expect(Array.from(data.train.y).concat(Array.from(data.test.y)).filter((e) => e === 1)).toHaveLength(rows.event.filter((e) => e === 1).length);
    const result = await simulate({ ...spec, rounds: 2 }, [{ name: 'csv', train: data.train, test: data.test }]);
    expect(result.rounds[1]!.survival!.evaluators).toBe(1);
  });

  it('refuses a follow-up time that is negative or not a number, naming the line and column but not the value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-cox-'));
    const path = join(dir, 'site.csv');
    writeFileSync(path, 'a,b,c,T,E\n1,2,3,4,1\n1,2,3,-7,0\n');

    const e = await prepareDataset({ spec: coxSpec(), mapping: { path, columns: { a: 'a', b: 'b', c: 'c', T: 'T', E: 'E' } }, fingerprintKey: Buffer.alloc(32, 1) }).catch((x: unknown) => x);

    expect(e).toMatchObject({ code: 'COHORT_E_DATA_NOT_NUMERIC', details: { row: 3, column: 'T' } });
    expect((e as Error).message).not.toContain('-7');
  });
});
