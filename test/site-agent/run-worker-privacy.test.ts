/**
 * The site's own budget, end to end through the real RunWorker on a real extract: it
 * declines a run that would exceed its cap, and stops a run at the limit when other runs
 * have spent part of it meanwhile. The ledger is the site's real encrypted ledger.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialWeights } from '../../models/weight-layout.ts';
import { computeEpsilon } from '../../core/privacy/rdp-accountant.ts';
import { dpSgdSchedule, planRunSpend } from '../../core/privacy/run-budget.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema, type SiteConfig } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';

const PLAIN = { kind: 'plain' };
const SPEC = join(import.meta.dirname, '../../models/examples/demo-private.yaml');

describe('RunWorker privacy budget', () => {
  let dir: string;
  let extract: string;
  const spec: ModelSpec = { ...loadSpecFile(SPEC), rounds: 3, testFraction: 0.3 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-budget-'));
    const [h] = await generateHospitals({ sites: 1, seed: 5, rowsPerSite: 200, outDir: join(dir, 'extracts') });
    extract = h!.path;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function site(
    name: string,
    maxEpsilon: number | null,
    allowPlaintext = true,
    runSpec: ModelSpec = spec,
  ): { worker: (runId: string) => RunWorker; ledger: PrivacyLedger; config: SiteConfig } {
    const config = SiteConfigSchema.parse({
      dataDir: join(dir, name, 'state'),
      keyFile: join(dir, name, 'at-rest.key'),
      datasets: { heart: { path: extract, columns: syntheticColumnMapping() } },
      // Plaintext keeps this test about budgets; encryption has its own tests.
      // Exact counts: these tests compare the reported figures with the accountant's to the last digit (coarsened ones have their own test).
      policy: { allowPlaintext, privacy: { maxEpsilon }, release: { recordCounts: 'exact' } },
    });
    const key = initSiteStorage(config);
    const ledger = PrivacyLedger.open(privacyLedgerDir(config.dataDir), key);
    const worker = (runId: string): RunWorker =>
      new RunWorker({ site: name, runId, spec: runSpec, config, states: new RunStateStore(config.dataDir, key), heKeys: new HeKeyStore(config.dataDir, key), ledger });
    return { worker, ledger, config };
  }

  it('declines a run whose planned spend exceeds its cap, naming the numbers, and records nothing', async () => {
    const { worker, ledger } = site('small-cap', 1);
    const decision = await worker('run-a').decide('alice', PLAIN);
    expect(decision.accept).toBe(false);
    expect(decision.reasonCode).toBe('COHORT_E_PRIVACY_BUDGET_EXCEEDED');
    expect(decision.reason).toMatch(/epsilon/);
    expect(ledger.entries()).toEqual([]);
  });

  it('accepts within its cap with the exact planned spend, then stops before the step that would cross it', async () => {
    const probe = await site('probe', null).worker('run-probe').decide('alice', PLAIN);
    const n = probe.numExamples;
    const planned = planRunSpend(spec, n, 1 / (10 * n), { exposure: 'plaintext' });
    expect(probe.planned?.epsilon).toBe(planned.epsilon);

    // A cap the whole run fits in, by a margin smaller than one round's worth.
    const cap = planned.epsilon * 1.01;
    const { worker, ledger } = site('tight', cap);
    const w = worker('run-b');
    const decision = await w.decide('alice', PLAIN);
    expect(decision.accept).toBe(true);
    expect(ledger.entries().map((e) => [e.runId, e.event, e.epsilon])).toEqual([['run-b', 'accept', 0]]);

    // Meanwhile another run at this site spent half the cap: run-b can no longer take every step.
    ledger.append({ runId: 'run-other', round: 0, event: 'accept', recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: planned.delta, steps: 0 });
    ledger.append({ runId: 'run-other', round: 1, event: 'round', recordEpsilon: cap / 2, siteEpsilon: Infinity, epsilon: cap / 2, delta: planned.delta, steps: 10 });

    const codec = plainDescriptor(updateLayout(spec).length);
    const { stepsPerRound } = dpSgdSchedule(spec.training, n);
    let stoppedAt = 0;
    let weights = initialWeights(spec);
    for (let round = 1; round <= spec.rounds; round++) {
      try {
        await w.train({ round, proximalMu: 0 }, codec);
      } catch (e) {
        expect((e as { code: string }).code).toBe('COHORT_E_PRIVACY_BUDGET_EXCEEDED');
        stoppedAt = round;
        break;
      }
      // Apply the site's own update as the round's aggregate (one-site federation).
      const zeroMean = new Float64Array(updateLayout(spec).length);
      zeroMean[zeroMean.length - 1] = 1;
      weights = w.applyAggregate(round, zeroMean).weights;
    }
    // The zero mean leaves the global weights as they were.
    expect(Array.from(weights)).toEqual(Array.from(initialWeights(spec)));
    const runB = ledger.entries().filter((e) => e.runId === 'run-b');
    const last = runB.at(-1)!;
    expect(last.event).toBe('stop');
    // It took fewer steps than the run planned, and stayed within what was left of the cap.
    expect(last.steps).toBeLessThan(stepsPerRound * spec.rounds);
    expect(last.epsilon).toBeLessThanOrEqual(cap - cap / 2);
    expect(runB.filter((e) => e.event === 'stop')).toHaveLength(1);
    expect(ledger.totalSpent().epsilon).toBeLessThanOrEqual(cap);
    // Once stopped, the run trains no more at this site, whichever round the stop came in.
    await expect(w.train({ round: last.round + 1, proximalMu: 0 }, codec)).rejects.toMatchObject({ code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED' });
    // Exactly where (the accounting is deterministic): round 1 takes 1 of its 2 steps and records
    // the stop; round 2 is refused before training.
    expect(stepsPerRound).toBe(2);
    expect(runB.map((e) => [e.event, e.round, e.steps])).toEqual([
      ['accept', 0, 0],
      ['stop', 1, 1],
    ]);
    expect(stoppedAt).toBe(2);
    expect(ledger.entries().filter((e) => e.runId === 'run-b').at(-1)).toEqual(last);
  }, 60_000);

  it('declines a plaintext run unless its policy allows one, and refuses a codec switched after the offer', async () => {
    const strict = await site('strict', null, false).worker('run-c').decide('alice', PLAIN);
    expect([strict.accept, strict.reasonCode]).toEqual([false, 'COHORT_E_SITE_CODEC_REFUSED']);

    const w = site('switch', null).worker('run-d');
    expect((await w.decide('alice', PLAIN)).accept).toBe(true);
    const bfv = { kind: 'bfv', length: updateLayout(spec).length, keyId: 'a'.repeat(32) } as unknown as Parameters<RunWorker['encoderFor']>[0];
    await expect(w.encoderFor(bfv)).rejects.toMatchObject({ code: 'COHORT_E_SITE_CODEC_REFUSED' });

    const e = site('switch-back', null).worker('run-e');
    expect((await e.decide('alice', { kind: 'bfv-pending', key: { keyId: 'b'.repeat(32) } })).accept).toBe(true);
    await expect(e.encoderFor(plainDescriptor(updateLayout(spec).length))).rejects.toMatchObject({ code: 'COHORT_E_SITE_CODEC_REFUSED' });
  });
  it('charges a patient replace-one (z / 2) against the coordinator (1 / sqrt(minSites)), plain and encrypted alike while sums are unverified', async () => {
    // Site level only, so the patient's epsilon is the site-level figure for one record.
    const siteOnly: ModelSpec = { ...spec, privacy: { site: { noiseMultiplier: 2, clipNorm: 0.5 } }, minSites: 4 };
    const plain = site('plain-charge', null, true, siteOnly).worker('run-p');
    const p = await plain.decide('alice', PLAIN);
    const delta = 1 / (10 * p.numExamples);
    const gauss = (sigma: number, rounds: number): number => computeEpsilon({ q: 1, sigma, steps: rounds, delta }).epsilon;
    expect(p.accept).toBe(true);
    expect(p.planned?.siteEpsilon).toBe(gauss(2 / 2 / Math.sqrt(4), 3));
    expect(p.planned?.epsilon).toBe(p.planned?.siteEpsilon);

    const encrypted = await site('bfv-charge', null, true, siteOnly).worker('run-q').decide('alice', { kind: 'bfv-pending', key: { keyId: 'c'.repeat(32) } });
    // The coordinator could pass one site's ciphertext off as the sum of four: encryption earns no more yet.
    expect(encrypted.planned?.siteEpsilon).toBe(gauss(2 / 2 / Math.sqrt(4), 3));

    // The ledger charges the same figure round by round.
    await plain.train({ round: 1, proximalMu: 0 }, plainDescriptor(updateLayout(siteOnly).length));
    const ledger = site('plain-charge', null, true, siteOnly).ledger;
    expect(ledger.entries().filter((e) => e.runId === 'run-p').map((e) => [e.event, e.siteEpsilon])).toEqual([
      ['accept', 0],
      ['round', gauss(0.5, 1)],
    ]);
  }, 60_000);

  it('reserves a run\'s planned spend at accept: a second run is declined while it stands, and accepted once the first ends and releases the rest', async () => {
    const probe = await site('probe-2', null).worker('run-probe').decide('alice', PLAIN);
    const planned = planRunSpend(spec, probe.numExamples, 1 / (10 * probe.numExamples), { exposure: 'plaintext' });
    const P = planned.epsilon;
    // Room for one whole run and most of a second, not for two.
    const cap = 1.9 * P;
    const { worker, ledger } = site('shared', cap);
    const one = worker('run-1');
    const two = worker('run-2');

    // Offered together: exactly one is accepted; the other is declined against its reservation.
    const decisions = await Promise.all([one.decide('alice', PLAIN), two.decide('alice', PLAIN)]);
    expect(decisions.map((d) => d.accept).sort()).toEqual([false, true]);
    const [first, second] = decisions[0]!.accept ? [one, two] : [two, one];
    const declined = decisions.find((d) => !d.accept)!;
    expect(declined.reasonCode).toBe('COHORT_E_PRIVACY_BUDGET_EXCEEDED');
    expect(declined.reason).toMatch(/spent or reserved epsilon/);
    expect(ledger.entries()).toHaveLength(1);
    expect(ledger.entries()[0]).toMatchObject({ runId: first.runId, event: 'accept', epsilon: 0, reservedEpsilon: P, reservedDelta: planned.delta });
    expect(ledger.totalSpent().epsilon).toBe(0);
    expect(ledger.totalCommitted()).toEqual({ epsilon: P, delta: planned.delta });

    // The first trains a round: still declined, the reservation (the plan) stands over the spend.
    await first.train({ round: 1, proximalMu: 0 }, plainDescriptor(updateLayout(spec).length));
    const spentOne = ledger.spentByRun().get(first.runId)!.epsilon;
    expect(spentOne).toBeGreaterThan(0);
    expect(spentOne).toBeLessThan(0.9 * P);
    expect((await second.decide('alice', PLAIN)).reasonCode).toBe('COHORT_E_PRIVACY_BUDGET_EXCEEDED');

    // The first ends after one round of three (cancelled): its stop releases what it did not spend.
    first.end();
    first.end(); // idempotent: one stop only
    expect(ledger.totalCommitted()).toEqual({ epsilon: spentOne, delta: planned.delta });
    const accepted = await second.decide('alice', PLAIN);
    expect(accepted.accept).toBe(true);
    expect(ledger.totalCommitted().epsilon).toBe(spentOne + P);
    expect(ledger.totalCommitted().epsilon).toBeLessThanOrEqual(cap);

    // The chain holds the reservations and the release, and verifies after a restart.
    const reopened = site('shared', cap).ledger;
    expect(reopened.entries().map((e) => [e.runId === first.runId ? 'first' : 'second', e.event, e.epsilon, e.reservedEpsilon])).toEqual([
      ['first', 'accept', 0, P],
      ['first', 'round', spentOne, P],
      ['first', 'stop', spentOne, spentOne],
      ['second', 'accept', 0, P],
    ]);
    expect(reopened.totalCommitted()).toEqual(ledger.totalCommitted());
  }, 60_000);
});
