import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../../core/crypto/at-rest.ts';
import { computeEpsilon } from '../../../core/privacy/index.ts';
import { planRunSpend, runDelta, stepsWithinBudget, type RunPrivacySpec } from '../../../core/privacy/run-budget.ts';
import { checkRunAgainstBudget } from '../../../site-agent/privacy/budget-check.ts';
import { PrivacyLedger } from '../../../site-agent/privacy/ledger.ts';

describe('checkRunAgainstBudget', () => {
  it('accepts a run that fits, equality included', () => {
    expect(checkRunAgainstBudget({ planned: { epsilon: 2, delta: 1e-5 }, spent: { epsilon: 6, delta: 2e-5 }, maxEpsilon: 8, maxDelta: 1e-4 })).toEqual({ ok: true });
  });

  it('declines a run that would cross the epsilon cap, naming both levels and the numbers', () => {
    const planned = { recordEpsilon: 3.2, siteEpsilon: Infinity, epsilon: 3.2, delta: 1e-5 };
    expect(checkRunAgainstBudget({ planned, spent: { epsilon: 8.1, delta: 2e-5 }, maxEpsilon: 10, maxDelta: 1e-4 })).toEqual({
      ok: false,
      code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
      reason:
        'the run would spend epsilon 3.2 (record level 3.2, site level unbounded) at delta 0.00001; ' +
        'this site has spent or reserved epsilon 8.1 of its maximum 10, so 1.9 remains',
    });
  });

  it('declines a run that would cross the delta cap', () => {
    expect(checkRunAgainstBudget({ planned: { epsilon: 1, delta: 1e-5 }, spent: { epsilon: 1, delta: 9.5e-5 }, maxEpsilon: 10, maxDelta: 1e-4 })).toEqual({
      ok: false,
      code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
      reason: 'the run would spend delta 0.00001; this site has spent or reserved delta 0.000095 of its maximum 0.0001, so 0.000005 remains',
    });
  });

  it('declines a run without differential privacy at a site that caps epsilon, and accepts it at one that does not', () => {
    const planned = { recordEpsilon: Infinity, siteEpsilon: Infinity, epsilon: Infinity, delta: 1e-5 };
    expect(checkRunAgainstBudget({ planned, spent: { epsilon: 0, delta: 0 }, maxEpsilon: 10, maxDelta: 1e-4 })).toEqual({
      ok: false,
      code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
      reason: 'the run has no differential privacy (neither record- nor site-level noise), so its epsilon is unbounded; this site caps epsilon at 10',
    });
    expect(checkRunAgainstBudget({ planned, spent: { epsilon: 0, delta: 0 }, maxEpsilon: Infinity, maxDelta: 1e-4 })).toEqual({ ok: true });
    // The site policy writes "no cap" as null.
    expect(checkRunAgainstBudget({ planned, spent: { epsilon: 40, delta: 0.5 }, maxEpsilon: null, maxDelta: null })).toEqual({ ok: true });
  });
});

describe('a site enforcing its budget with its ledger', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-budget-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Record-level DP only: n = 1000, q = 0.05, 1 epoch = 20 steps a round.
  const SPEC: RunPrivacySpec = { privacy: { record: { noiseMultiplier: 1, clipNorm: 1 } }, training: { epochs: 1, batchSize: 50 }, rounds: 20, minSites: 2 };
  const N = 1000;
  const MAX_EPSILON = 10;

  it('accepts a first run, declines a second that would exceed the rest, and stops a run at the limit', () => {
    const ledger = PrivacyLedger.open(join(dir, 'privacy'), loadKeyFile(join(dir, 'k'), { create: true }));
    const delta = runDelta(N);
    const plan = planRunSpend(SPEC, N, delta);
    expect(plan.epsilon).toBeGreaterThan(MAX_EPSILON / 2);
    expect(plan.epsilon).toBeLessThan(MAX_EPSILON);

    // Run 1: accepted, runs to completion.
    expect(checkRunAgainstBudget({ planned: plan, spent: ledger.totalSpent({ excludeRun: 'run-1' }), maxEpsilon: MAX_EPSILON, maxDelta: 1e-3 })).toEqual({ ok: true });
    ledger.append({ runId: 'run-1', event: 'accept', round: 0, recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: 0, steps: 0 });
    ledger.append({ runId: 'run-1', event: 'stop', round: 20, recordEpsilon: plan.recordEpsilon, siteEpsilon: Infinity, epsilon: plan.epsilon, delta, steps: 400 });

    // Run 2, the same spec: the rest of the budget is too small.
    const decision = checkRunAgainstBudget({ planned: plan, spent: ledger.totalSpent({ excludeRun: 'run-2' }), maxEpsilon: MAX_EPSILON, maxDelta: 1e-3 });
    expect(decision).toMatchObject({ ok: false, code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED' });

    // Mid-run stop: with what is left, DP-SGD stops before the step that would cross it.
    const remainingEpsilon = MAX_EPSILON - ledger.totalSpent().epsilon;
    let stepsTaken = 0;
    let round = 0;
    while (round < SPEC.rounds) {
      const k = stepsWithinBudget({ record: { samplingRate: plan.samplingRate, noiseMultiplier: 1 }, stepsTaken, maxSteps: plan.stepsPerRound, remainingEpsilon, delta });
      stepsTaken += k;
      if (k < plan.stepsPerRound) break;
      round++;
    }
    expect(round).toBeLessThan(SPEC.rounds);
    const at = (steps: number): number => computeEpsilon({ q: plan.samplingRate, sigma: 1, steps, delta }).epsilon;
    expect(ledger.totalSpent().epsilon + at(stepsTaken)).toBeLessThanOrEqual(MAX_EPSILON);
    expect(ledger.totalSpent().epsilon + at(stepsTaken + 1)).toBeGreaterThan(MAX_EPSILON);
  });
});
