/**
 * What of its own numbers a site lets leave it (policy.release), through the real RunWorker on
 * a real extract: record counts exact, rounded or withheld, its own metrics only when allowed,
 * and a summed evaluation opened only when it holds at least minSites evaluations. The last is
 * the attack test: a coordinator that hands one site's encrypted evaluation back as "the sum"
 * would show that site's metrics to every other site; the run worker refuses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consortiumMetrics, evaluationCodec, EVAL_VECTOR_LENGTH } from '../../core/evaluation/summed-metrics.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { generateConsortiumKey, type ConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { finalCodec, type RunCodec } from '../../core/update-codec/codec-plan.ts';
import { plainDescriptor, type BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile, parseSpec } from '../../models/validate-spec.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { countsReleasedAs, releasedCount } from '../../site-agent/privacy/release-policy.ts';
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { loadSeal } from '../../core/secure-agg/seal-library.ts';
import { PlainChunkAdder } from '../../core/update-codec/plain-codec.ts';
import { planRunSpend, runDelta } from '../../core/privacy/run-budget.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { ReleasePolicySchema, SiteConfigSchema } from '../../site-agent/site-config.ts';
import { evaluate } from '../../site-agent/training/local-trainer.ts';
import { siteWorker } from '../support/site-worker.ts';

const PLAIN = { kind: 'plain' };
/** Site-level DP: every site sends weight 1 (unweighted). Without the demo's fairness and explanations: the base evaluation vector alone (run-worker-fairness.test.ts has the rest). */
const PRIVATE: ModelSpec = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/demo-private.yaml')), fairness: undefined, explanations: undefined, rounds: 2, minSites: 2 };
/** No DP: updates are weighted by the site's example count. */
const WEIGHTED: ModelSpec = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), dataset: 'heart', privacy: undefined, rounds: 2, minSites: 2 };

describe('RunWorker release policy', () => {
  let dir: string;
  let extract: string;
  /** A second hospital with a few rows more: another count in the same rounding bucket. */
  let neighbour: string;
  let key: ConsortiumKey;
  let n = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-release-'));
    const [h] = await generateHospitals({ sites: 1, seed: 11, rowsPerSite: 157, outDir: join(dir, 'extracts') });
    extract = h!.path;
    const [g] = await generateHospitals({ sites: 1, seed: 11, rowsPerSite: 160, outDir: join(dir, 'extracts-2') });
    neighbour = g!.path;
    key = await generateConsortiumKey(await consortiumKeyContext());
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let sites = 0;
  function worker(spec: ModelSpec, release: Record<string, unknown>, runId = 'run-r', maxEpsilon: number | null = null, path = extract): RunWorker {
    const name = `site-${sites++}`;
    const config = SiteConfigSchema.parse({
      dataDir: join(dir, name, 'state'),
      keyFile: join(dir, name, 'at-rest.key'),
      datasets: { heart: { path, columns: syntheticColumnMapping() } },
      policy: { allowPlaintext: true, privacy: { maxEpsilon }, release },
    });
    return siteWorker({ site: name, runId, spec, config, key });
  }

  it('rounds half up to the unit and never below one unit; exact and withheld as named', () => {
    const rounded = ReleasePolicySchema.parse({ recordCounts: 'rounded', roundTo: 25 });
    expect([0, 12, 13, 37, 38, 157].map((x) => releasedCount(x, rounded))).toEqual([25, 25, 25, 25, 50, 150]);
    expect(releasedCount(157, ReleasePolicySchema.parse({ recordCounts: 'exact' }))).toBe(157);
    expect(releasedCount(157, ReleasePolicySchema.parse({ recordCounts: 'withheld' }))).toBeUndefined();
    // The default is rounded to 10 with the site's own metrics kept at the site.
    expect(ReleasePolicySchema.parse({})).toEqual({ recordCounts: 'rounded', roundTo: 10, siteMetrics: false });
  });

  it('finds exactly the counts a rounded count covers, by brute force over every count', () => {
    for (const roundTo of [2, 3, 10, 25]) {
      const policy = ReleasePolicySchema.parse({ recordCounts: 'rounded', roundTo });
      for (let n = 20; n <= 300; n++) {
        const brute = Array.from({ length: 400 }, (_, i) => i + 1).filter((m) => m >= 20 && releasedCount(m, policy) === releasedCount(n, policy));
        expect(countsReleasedAs(n, policy, 20), `roundTo ${roundTo}, n ${n}`).toEqual(brute);
      }
    }
    expect(countsReleasedAs(157, ReleasePolicySchema.parse({ recordCounts: 'exact' }), 20)).toEqual([157]);
    expect(countsReleasedAs(157, ReleasePolicySchema.parse({ recordCounts: 'withheld' }), 20)).toBeUndefined();
  });

  it('answers an offer with its count as the policy gives it, and says how beside the planned spend', async () => {
    const exact = await worker(WEIGHTED, { recordCounts: 'exact' }).decide('alice', PLAIN);
    n = exact.numExamples;
    expect(n).toBeGreaterThan(100);
    expect(exact.planned).toMatchObject({ recordCounts: 'exact', siteMetrics: false });
    const rounded = await worker(WEIGHTED, { recordCounts: 'rounded', roundTo: 25 }).decide('alice', PLAIN);
    expect(rounded).toMatchObject({ accept: true, numExamples: Math.max(25, Math.floor(n / 25 + 0.5) * 25), planned: { recordCounts: 'rounded to 25' } });
    expect(rounded.numExamples % 25).toBe(0);
  });

  it('reports privacy figures that say no more than its released count: the same for every count in the rounding bucket, none when withheld', async () => {
    const a = worker(PRIVATE, { recordCounts: 'rounded' });
    const b = worker(PRIVATE, { recordCounts: 'rounded' }, 'run-r', null, neighbour);
    const [da, db] = [await a.decide('alice', PLAIN), await b.decide('alice', PLAIN)];
    const [na, nb] = [(await a.data()).train.rows, (await b.data()).train.rows];
    // Two counts, one released count.
    expect(na).not.toBe(nb);
    expect(da.numExamples).toBe(db.numExamples);
    const exactA = planRunSpend(PRIVATE, na, runDelta(na, undefined), { exposure: 'plaintext' });
    const exactB = planRunSpend(PRIVATE, nb, runDelta(nb, undefined), { exposure: 'plaintext' });
    // The exact plans differ (so they would tell the counts apart); the reported ones do not.
    expect(exactA.recordEpsilon).not.toBe(exactB.recordEpsilon);
    expect(da.planned).toEqual(db.planned);
    expect(da.planned).toMatchObject({ steps: '0', recordCounts: 'rounded to 10' });
    // Each is a true bound for either count: at least the exact figure, rounded up to 2 digits.
    for (const exact of [exactA, exactB]) {
      expect(Number(da.planned?.epsilon)).toBeGreaterThanOrEqual(exact.epsilon);
      expect(Number(da.planned?.recordEpsilon)).toBeGreaterThanOrEqual(exact.recordEpsilon);
      expect(Number(da.planned?.delta)).toBeGreaterThanOrEqual(exact.delta);
    }
    expect(Number(Number(da.planned?.epsilon).toPrecision(2))).toBe(da.planned?.epsilon);
    // After a round, the spend it reports is the same bound (never the exact spend, which depends on n).
    const codec = plainDescriptor(updateLayout(PRIVATE).length);
    await a.encoderFor(codec);
    await a.train({ round: 1, proximalMu: 0 }, codec);
    expect(a.privacySpent()).toEqual({ ...da.planned, stoppedAtBudget: false });
    // Withheld: no figures at all.
    const w = await worker(PRIVATE, { recordCounts: 'withheld' }).decide('alice', PLAIN);
    expect(w.planned).toMatchObject({ epsilon: Number.NaN, delta: Number.NaN, recordEpsilon: Number.NaN, siteEpsilon: Number.NaN, steps: '0', recordCounts: 'withheld' });
    // With a cap it cannot meet, the decline says so without the figures.
    expect(await worker(PRIVATE, { recordCounts: 'rounded' }, 'run-r', 0.01).decide('alice', PLAIN)).toMatchObject({
      accept: false,
      reasonCode: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
      reason: 'the run would take this site past its privacy budget (the figures are withheld with its record count)',
    });
  });

  it('sends a count-bearing error as its code only, and refuses siteMetrics without exact counts', async () => {
    const broken = worker(PRIVATE, { recordCounts: 'rounded' }, 'run-r', null, join(dir, 'no-such.csv'));
    const d = await broken.decide('alice', PLAIN);
    expect(d.accept).toBe(false);
    expect(d.reason).toBe('details are in the site\'s own log (its policy does not release its record count, which such messages can carry)');
    const open = await worker(PRIVATE, { recordCounts: 'exact' }, 'run-r', null, join(dir, 'no-such.csv')).decide('alice', PLAIN);
    expect(open.reasonCode).toBe(d.reasonCode);
    expect(open.reason).toContain('no-such.csv');
    expect(() => ReleasePolicySchema.parse({ siteMetrics: true })).toThrow(/siteMetrics: true needs recordCounts: exact/);
  });

  it('withholding its count, declines a weighted run with COUNT_WITHHELD and joins an unweighted one sending 0', async () => {
    const weighted = await worker(WEIGHTED, { recordCounts: 'withheld' }).decide('alice', PLAIN);
    expect(weighted).toMatchObject({ accept: false, reasonCode: 'COHORT_E_SITE_COUNT_WITHHELD', numExamples: 0 });
    const unweighted = await worker(PRIVATE, { recordCounts: 'withheld' }).decide('alice', PLAIN);
    expect(unweighted).toMatchObject({ accept: true, numExamples: 0, planned: { recordCounts: 'withheld' } });
  });

  it('declines a cox-ph run that asks for record-level DP with SPEC_DP_UNSUPPORTED_MODEL, before reading its data', async () => {
    const cox = parseSpec({ ...WEIGHTED, label: { type: 'survival', time: 'T', event: 'E' }, model: { family: 'cox-ph' }, loss: 'cox-partial-likelihood' });
    // The spec parser refuses it at submission; a coordinator that relays it anyway meets the site's own check.
    const recordDp: ModelSpec = { ...cox, privacy: { record: PRIVATE.privacy!.record! } };

    const d = await worker(recordDp, { recordCounts: 'exact' }).decide('alice', PLAIN);

    expect(d).toMatchObject({ accept: false, reasonCode: 'COHORT_E_SPEC_DP_UNSUPPORTED_MODEL', numExamples: 0 });
    expect(d.reason).toMatch(/record-level DP \(DP-SGD\) does not apply to model family "cox-ph"/);
  });

  it('weights a weighted update by the released count, and sends its training loss only when its own metrics may go', async () => {
    const codec = plainDescriptor(updateLayout(WEIGHTED).length);
    const fit = { round: 1, proximalMu: 0 };
    const kept = worker(WEIGHTED, { recordCounts: 'rounded', roundTo: 25 });
    expect((await kept.decide('alice', PLAIN)).accept).toBe(true);
    await kept.encoderFor(codec);
    const trained = await kept.train(fit, codec);
    expect(trained.vector[updateLayout(WEIGHTED).weightSlot]).toBe(Math.floor(n / 25 + 0.5) * 25);
    expect(trained.trainLoss).toBeNaN();
    const shared = worker(WEIGHTED, { recordCounts: 'exact', siteMetrics: true });
    expect((await shared.decide('alice', PLAIN)).accept).toBe(true);
    await shared.encoderFor(codec);
    const t = await shared.train(fit, codec);
    expect(t.vector[updateLayout(WEIGHTED).weightSlot]).toBe(n);
    expect(Number.isFinite(t.trainLoss)).toBe(true);
  });

  it('evaluates into the summed vector always, and into its own metrics only when allowed', async () => {
    const codec = plainDescriptor(updateLayout(WEIGHTED).length);
    const weights = initialWeights(WEIGHTED);
    const kept = worker(WEIGHTED, {});
    await kept.decide('alice', PLAIN);
    await kept.encoderFor(codec);
    const a = await kept.evaluate(weights);
    expect(a.own).toBeUndefined();
    // Three sites' vectors summed as the coordinator sums them (here three copies: the same extract).
    const adder = new PlainChunkAdder(plainDescriptor(EVAL_VECTOR_LENGTH));
    const summed = adder.add(adder.add(adder.add(undefined, a.chunks[0]!, 0), a.chunks[0]!, 0), a.chunks[0]!, 0);
    const one = adder.add(undefined, a.chunks[0]!, 0);
    const two = adder.add(adder.add(undefined, a.chunks[0]!, 0), a.chunks[0]!, 0);
    // One or two evaluations, counted truthfully: refused on the minimum, not on a count mismatch.
    expect(() => kept.decodeEvaluation([one], 1)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID', details: expect.objectContaining({ evaluators: 1, needed: 3 }) }));
    expect(() => kept.decodeEvaluation([two], 2)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID', details: expect.objectContaining({ evaluators: 2, needed: 3 }) }));
    // Three, but the coordinator names another count.
    expect(() => kept.decodeEvaluation([summed], 2)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID', details: expect.objectContaining({ evaluators: 3, contributors: 2 }) }));
    const tripled = kept.decodeEvaluation([summed], 3);
    const sum = { ...tripled, numExamples: tripled.numExamples / 3 };
    const shared = worker(WEIGHTED, { siteMetrics: true, recordCounts: 'exact' });
    await shared.decide('alice', PLAIN);
    await shared.encoderFor(codec);
    const b = await shared.evaluate(weights);
    // The same rows and weights: the site's own metrics are the trainer's, and the summed vector says the same.
    const data = await shared.data();
    const direct = await evaluate(WEIGHTED, weights, data.test);
    expect(b.own).toEqual(direct);
    expect(sum.numExamples).toBe(direct.numExamples);
    expect(sum.accuracy).toBe(direct.accuracy);
    expect(sum.loss).toBeCloseTo(direct.loss, 12);
    expect(Math.abs(sum.auc - direct.auc)).toBeLessThanOrEqual(sum.aucResolution + 1e-12);
  });

  it('refuses a summed evaluation that holds one site\'s evaluation alone (the coordinator isolating it); the same bytes opened without the check show that site\'s metrics', async () => {
    // masking: false: this test needs a 2-site encrypted descriptor (minSites 2), which a masked spec may not have (minSites >= 3).
    const unmasked: ModelSpec = { ...PRIVATE, masking: false };
    const request: RunCodec = { kind: 'bfv-pending', length: updateLayout(unmasked).length, key: key.params };
    const victim = worker(unmasked, {}, 'run-bfv');
    const reader = worker(unmasked, {}, 'run-bfv');
    expect((await victim.decide('alice', request)).accept).toBe(true);
    expect((await reader.decide('alice', request)).accept).toBe(true);
    const codec = finalCodec(unmasked, request, [{ num_examples: 0 }, { num_examples: 0 }]) as BfvCodecDescriptor;
    await victim.encoderFor(codec);
    await reader.encoderFor(codec);
    const { chunks } = await victim.evaluate(initialWeights(unmasked));
    // The coordinator claims one contributor, truthfully: the check is the count, not honesty.
    expect(() => reader.decodeEvaluation(chunks, 1)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID' }));
    expect(() => reader.decodeEvaluation(chunks, 2)).toThrow(expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID' }));
    // Two evaluations are refused too: the reader would subtract its own and hold the victim's.
    const adder = new BfvChunkAdder(await loadSeal(), evaluationCodec(codec) as BfvCodecDescriptor);
    const own = (await reader.evaluate(initialWeights(unmasked))).chunks[0]!;
    try {
      expect(() => reader.decodeEvaluation([adder.add(adder.add(undefined, chunks[0]!, 0), own, 0)], 2)).toThrow(
        expect.objectContaining({ code: 'COHORT_E_SITE_EVALUATION_INVALID', message: 'the sum holds 2 evaluations, fewer than the 3 it needs' }),
      );
    } finally {
      adder.dispose();
    }
    // Without the defence: any key holder decrypts the lone ciphertext to the victim's exact held-out counts.
    const raw = await BfvUpdateEncoder.create(evaluationCodec(codec) as BfvCodecDescriptor, key.secretKey);
    try {
      const opened = raw.decodeAggregate(chunks);
      expect(opened.summands).toBe(1);
      expect(opened.sum).toHaveLength(EVAL_VECTOR_LENGTH);
      const victimData = await victim.data();
      expect(consortiumMetrics(opened.sum).numExamples).toBe(victimData.test.rows);
      expect(consortiumMetrics(opened.sum).accuracy).toBe((await evaluate(PRIVATE, initialWeights(unmasked), victimData.test)).accuracy);
    } finally {
      raw.dispose();
      victim.dispose();
      reader.dispose();
    }
  });
});
