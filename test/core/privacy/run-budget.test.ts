import { describe, expect, it } from 'vitest';
import { computeEpsilon, DEFAULT_RDP_ORDERS, epsilonFromRdp, RdpAccountant } from '../../../core/privacy/index.ts';
import {
  defaultDelta,
  dpSgdSchedule,
  planRunSpend,
  runDelta,
  stepsWithinBudget,
  sumSpends,
  type RunPrivacySpec,
} from '../../../core/privacy/run-budget.ts';

const SPEC: RunPrivacySpec = {
  privacy: { record: { noiseMultiplier: 1.1, clipNorm: 1 }, site: { noiseMultiplier: 0.8, clipNorm: 0.1 } },
  training: { epochs: 2, batchSize: 32 },
  rounds: 10,
  minSites: 2,
};

describe('planRunSpend', () => {
  it('equals the RDP accountant composed by hand over every round, at both levels (the site level replace-one, against the coordinator)', () => {
    // n = 1000: q = 32 / 1000 = 0.032, steps per round = 2 epochs * round(1 / 0.032 = 31.25) = 62.
    const plan = planRunSpend(SPEC, 1000, 1e-5);
    const record = new RdpAccountant();
    const site = new RdpAccountant();
    for (let round = 0; round < 10; round++) {
      record.compose({ q: 0.032, sigma: 1.1, steps: 62 });
      // One patient's record is replace-one within its site (z / 2), and the coordinator, whose sums
      // the sites cannot yet verify, may isolate one site's share of the noise (1 / sqrt(2)).
      site.compose({ q: 1, sigma: 0.8 / 2 / Math.SQRT2, steps: 1 });
    }
    expect(plan.samplingRate).toBe(0.032);
    expect(plan.stepsPerRound).toBe(62);
    expect(plan.rounds).toBe(10);
    expect(plan.delta).toBe(1e-5);
    expect(plan.recordEpsilon).toBeCloseTo(record.getEpsilon(1e-5).epsilon, 12);
    expect(plan.siteEpsilon).toBeCloseTo(site.getEpsilon(1e-5).epsilon, 12);
    expect(plan.epsilon).toBe(Math.min(plan.recordEpsilon, plan.siteEpsilon));
  });

  it('charges the site level as the plain Gaussian at multiplier z / 2 / sqrt(2): RDP a * rounds / (2 (z^2 / 8))', () => {
    const plan = planRunSpend(SPEC, 1000, 1e-5);
    const rdp = DEFAULT_RDP_ORDERS.map((a) => (a * 10) / (2 * (0.8 ** 2 / 8)));
    expect(plan.siteEpsilon).toBeCloseTo(epsilonFromRdp(DEFAULT_RDP_ORDERS, rdp, 1e-5).epsilon, 12);
    // The zero-out figure against the aggregate's readers (multiplier z) is reported beside it, and is smaller.
    const zeroOut = epsilonFromRdp(DEFAULT_RDP_ORDERS, DEFAULT_RDP_ORDERS.map((a) => (a * 10) / (2 * 0.8 ** 2)), 1e-5).epsilon;
    expect(plan.plan.site?.epsilon).toBeCloseTo(zeroOut, 12);
    expect(plan.plan.site?.epsilon).toBeLessThan(plan.siteEpsilon);
    // The site level dominates here: ten rounds at z = 0.8 cost more than DP-SGD at sigma 1.1 and q 0.032.
    expect(plan.siteEpsilon).toBeGreaterThan(plan.recordEpsilon);
  });

  it('charges the TOTAL z when clipping is adaptive (the count is inside z)', () => {
    const adaptive = { targetQuantile: 0.5, learningRate: 0.2, countNoiseMultiplier: 2, maxClipNorm: 1 };
    const fixed = planRunSpend(SPEC, 1000, 1e-5);
    const withAdaptive = planRunSpend({ ...SPEC, privacy: { ...SPEC.privacy, site: { noiseMultiplier: 0.8, clipNorm: 0.1, adaptive } } }, 1000, 1e-5);
    expect(withAdaptive.siteEpsilon).toBe(fixed.siteEpsilon);
  });

  it('uses training.steps as the steps per round when given', () => {
    const plan = planRunSpend({ ...SPEC, training: { steps: 25, batchSize: 50 } }, 500, 1e-4);
    expect(plan.stepsPerRound).toBe(25);
    expect(plan.recordEpsilon).toBe(computeEpsilon({ q: 0.1, sigma: 1.1, steps: 250, delta: 1e-4 }).epsilon);
  });

  it('caps the sampling rate at 1 when the batch is larger than the site', () => {
    expect(dpSgdSchedule({ epochs: 3, batchSize: 64 }, 40)).toEqual({ samplingRate: 1, stepsPerRound: 3 });
  });

  it('is unbounded without noise, and takes the one level present', () => {
    const none = planRunSpend({ training: SPEC.training, rounds: 10, minSites: 2 }, 1000, 1e-5);
    expect(none).toMatchObject({ recordEpsilon: Infinity, siteEpsilon: Infinity, epsilon: Infinity });
    const siteOnly = planRunSpend({ ...SPEC, privacy: { site: SPEC.privacy!.site } }, 1000, 1e-5);
    expect(siteOnly.recordEpsilon).toBe(Infinity);
    expect(siteOnly.epsilon).toBe(siteOnly.siteEpsilon);
    const recordOnly = planRunSpend({ ...SPEC, privacy: { record: SPEC.privacy!.record } }, 1000, 1e-5);
    expect(recordOnly.epsilon).toBe(recordOnly.recordEpsilon);
    expect(Number.isFinite(recordOnly.epsilon)).toBe(true);
  });

  it('refuses a non-integer record count naming it', () => {
    expect(() => planRunSpend(SPEC, 10.5, 1e-5)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'records: expected a positive integer, got 10.5' }),
    );
  });
});

describe('delta', () => {
  it('defaults to 1 / (10 n), below 1 / n', () => {
    expect(defaultDelta(1000)).toBe(1e-4);
    expect(runDelta(303)).toBe(1 / 3030);
  });

  it("takes the site policy's delta when it sets one", () => {
    expect(runDelta(1000, 1e-6)).toBe(1e-6);
    expect(() => runDelta(1000, 0)).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT', message: 'policy delta: expected a number in (0, 1), got 0' }));
  });
});

describe('stepsWithinBudget', () => {
  const record = { samplingRate: 0.01, noiseMultiplier: 1 };
  const eps = (steps: number): number => computeEpsilon({ q: 0.01, sigma: 1, steps, delta: 1e-5 }).epsilon;

  it('stops before the step that would cross the budget', () => {
    const remainingEpsilon = 2;
    const k = stepsWithinBudget({ record, stepsTaken: 300, maxSteps: 5000, remainingEpsilon, delta: 1e-5 });
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(5000);
    expect(eps(300 + k)).toBeLessThanOrEqual(remainingEpsilon);
    expect(eps(300 + k + 1)).toBeGreaterThan(remainingEpsilon);
  });

  it('allows the whole round when it fits, and nothing when the budget is already spent', () => {
    expect(stepsWithinBudget({ record, stepsTaken: 0, maxSteps: 100, remainingEpsilon: 10, delta: 1e-5 })).toBe(100);
    expect(stepsWithinBudget({ record, stepsTaken: 100_000, maxSteps: 100, remainingEpsilon: 1, delta: 1e-5 })).toBe(0);
  });

  it('allows the whole round when the site-level guarantee alone keeps the run within budget', () => {
    expect(stepsWithinBudget({ record, stepsTaken: 100_000, maxSteps: 100, remainingEpsilon: 1, delta: 1e-5, siteEpsilon: 0.9 })).toBe(100);
  });

  it('allows no steps without record-level noise when the site level does not cover the budget', () => {
    expect(stepsWithinBudget({ stepsTaken: 0, maxSteps: 100, remainingEpsilon: 1, delta: 1e-5 })).toBe(0);
  });
});

describe('sumSpends', () => {
  it('adds epsilons and deltas over runs (basic composition)', () => {
    expect(sumSpends([{ epsilon: 1.5, delta: 1e-5 }, { epsilon: 2.25, delta: 2e-5 }])).toEqual({ epsilon: 3.75, delta: 3.0000000000000004e-5 });
    expect(sumSpends([])).toEqual({ epsilon: 0, delta: 0 });
  });
});
