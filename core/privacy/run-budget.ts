/**
 * What a run spends, in (epsilon, delta), at one site, with the RDP accountant:
 *
 * - Record level (protects each patient of the site; add/remove one patient's record):
 *   DP-SGD, the Poisson-subsampled Gaussian with q = min(1, batchSize / n) and
 *   sigma = privacy.record.noiseMultiplier, `stepsPerRound` steps a round, composed over
 *   every round of the run.
 * - Site level: the Gaussian mechanism, q = 1, one step a round (site-adjacency.ts). For a
 *   patient, the neighbour is the same site with one record changed: the update moves by up
 *   to 2S and the count bit by up to 1, i.e. replace-one adjacency, at the weakest observer
 *   that applies (today the coordinator: z_replace / sqrt(minSites), see site-adjacency.ts on
 *   why encrypted sums do not yet earn more). That is `siteEpsilon` here. The hospital-level
 *   zero-out figures (the whole contribution) are reported beside it by planPrivacy.
 *
 * A patient's effective epsilon is the smaller of the record-level and this site-level
 * bound: each alone bounds what one record changes. Without either kind of noise it is
 * Infinity. That is what the ledger charges and the site's cap applies to.
 *
 * Across runs a site's total spend is the SUM of each run's epsilon and of each run's
 * delta: basic composition, valid for any runs whatever their mechanisms (tighter RDP
 * composition across runs would need every run's RDP curve at common orders).
 */
import { epsilonFromRdp } from './conversion.ts';
import { DEFAULT_RDP_ORDERS } from './orders.ts';
import { computeEpsilon, computeRdp, type AccountantOptions } from './rdp-accountant.ts';
import { siteLevelFigures, type SiteExposure, type SiteLevelFigures } from './site-adjacency.ts';
import type { SiteDpConfig } from './site-dp.ts';
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkPositiveInteger, checkSamplingRate, checkSteps } from './validate.ts';

/** The spec's `privacy.record` block: DP-SGD in local training. */
export interface RecordDpConfig {
  /** sigma: noise standard deviation over the per-example clip norm. */
  readonly noiseMultiplier: number;
  /** C: the per-example gradient clip norm (does not enter the accounting). */
  readonly clipNorm: number;
}

/** The parts of a model spec that decide what a run spends. */
export interface RunPrivacySpec {
  readonly privacy?: { readonly record?: RecordDpConfig; readonly site?: SiteDpConfig };
  /** Exactly one of epochs or steps (the spec schema enforces it). */
  readonly training: { readonly epochs?: number; readonly steps?: number; readonly batchSize: number };
  readonly rounds: number;
  /** Every round sums at least this many updates; each site adds 1 / minSites of the site-level noise variance. */
  readonly minSites: number;
}

/** A run's cumulative spend. */
export interface RunSpend {
  /** Record-level epsilon (DP-SGD); Infinity without record-level noise. */
  readonly recordEpsilon: number;
  /** Site-level bound on one patient's record (replace-one, weakest applicable observer, site-adjacency.ts); Infinity without site-level noise. */
  readonly siteEpsilon: number;
  /** min(recordEpsilon, siteEpsilon): the patient's effective guarantee. */
  readonly epsilon: number;
  readonly delta: number;
}

/** What a whole run would spend, with the DP-SGD schedule it assumes. */
export interface PlannedRunSpend extends RunSpend {
  /** DP-SGD steps per round: training.steps, or epochs * round(1 / q). */
  readonly stepsPerRound: number;
  /** q = min(1, batchSize / n): the Poisson sampling rate of each example per step. */
  readonly samplingRate: number;
  readonly rounds: number;
  /** Every figure of the plan (planPrivacy), the one the budget decision is made on. */
  readonly plan: PrivacyPlan;
}

/** An (epsilon, delta) pair, as a run's spend or a site's total. */
export interface EpsilonDelta {
  readonly epsilon: number;
  readonly delta: number;
}



/** The default delta for a site with n records: 1 / (10 n), below 1 / n (a delta near 1/n allows releasing a record outright). */
export function defaultDelta(records: number): number {
  return 1 / (10 * checkPositiveInteger(records, 'records'));
}

/** The delta a run is accounted at: the site policy's when it sets one, else defaultDelta(n). */
export function runDelta(records: number, policyDelta?: number): number {
  return policyDelta === undefined ? defaultDelta(records) : checkDelta(policyDelta, 'policy delta');
}

/**
 * The DP-SGD schedule at a site with n training records: q = min(1, batchSize / n),
 * steps per round = training.steps, or epochs * round(1 / q) (one epoch visits each
 * example once in expectation).
 */
export function dpSgdSchedule(training: RunPrivacySpec['training'], records: number): { samplingRate: number; stepsPerRound: number } {
  const n = checkPositiveInteger(records, 'records');
  const batchSize = checkPositiveInteger(training.batchSize, 'training.batchSize');
  const samplingRate = Math.min(1, batchSize / n);
  return { samplingRate, stepsPerRound: dpStepsPerRound(training, samplingRate) };
}

/**
 * DP-SGD steps in one round at sampling rate q: training.steps, or epochs * round(1 / q).
 * The one formula the budget plan and the trainer both use.
 */
export function dpStepsPerRound(training: Pick<RunPrivacySpec['training'], 'epochs' | 'steps'>, samplingRate: number): number {
  if (training.steps !== undefined) return checkPositiveInteger(training.steps, 'training.steps');
  return checkPositiveInteger(training.epochs, 'training.epochs') * Math.round(1 / samplingRate);
}

/** The mechanisms a run has run so far (or will have run), for spendAfter. */
export interface RunMechanisms {
  /** DP-SGD at the site: `steps` subsampled Gaussian steps in total; absent without record-level DP. */
  readonly record?: { readonly samplingRate: number; readonly noiseMultiplier: number; readonly steps: number };
  /** Site-level Gaussian: `rounds` releases of the spec's `privacy.site`; absent without site-level DP. */
  readonly site?: { readonly dp: SiteDpConfig; readonly rounds: number; readonly minSites: number; readonly exposure: SiteExposure };
  readonly delta: number;
}

/** The record-level figure of a plan: DP-SGD over every step of the run. */
export interface RecordLevelFigures {
  readonly epsilon: number;
  readonly delta: number;
  readonly samplingRate: number;
  /** DP-SGD steps over the whole run. */
  readonly steps: number;
  readonly noiseMultiplier: number;
}

/** Record- and site-level figures of the mechanisms `m`; null for a level that is off. */
function figures(m: RunMechanisms, options: AccountantOptions): { record: RecordLevelFigures | null; site: SiteLevelFigures | null; delta: number } {
  const delta = checkDelta(m.delta);
  const record =
    m.record === undefined
      ? null
      : {
          epsilon: computeEpsilon({ q: m.record.samplingRate, sigma: m.record.noiseMultiplier, steps: m.record.steps, delta }, options).epsilon,
          delta,
          samplingRate: m.record.samplingRate,
          steps: m.record.steps,
          noiseMultiplier: m.record.noiseMultiplier,
        };
  const site =
    m.site === undefined ? null : siteLevelFigures({ site: m.site.dp, rounds: m.site.rounds, minSites: m.site.minSites, delta, exposure: m.site.exposure }, options);
  return { record, site, delta };
}

/** The cumulative spend of the mechanisms `m`, each composed with the RDP accountant; the site level at its charged figure. */
export function spendAfter(m: RunMechanisms, options: AccountantOptions = {}): RunSpend {
  const { record, site, delta } = figures(m, options);
  const recordEpsilon = record?.epsilon ?? Infinity;
  const siteEpsilon = site?.epsilonForPatients ?? Infinity;
  return { recordEpsilon, siteEpsilon, epsilon: Math.min(recordEpsilon, siteEpsilon), delta };
}

/**
 * What a run has spent at a site after `steps` DP-SGD steps and `releases` released updates,
 * for the mechanisms its spec turns on (none with zero steps or releases), its updates
 * leaving the site as `exposure` says. Zero steps and zero releases spend 0 at both levels.
 */
export function runSpendAfter(
  spec: Pick<RunPrivacySpec, 'privacy' | 'minSites'>,
  samplingRate: number,
  steps: number,
  releases: number,
  delta: number,
  exposure: SiteExposure,
): RunSpend {
  const { record, site } = spec.privacy ?? {};
  // Nothing trained and nothing released: nothing spent (not the Infinity of a run without noise).
  if (steps === 0 && releases === 0) return { recordEpsilon: 0, siteEpsilon: 0, epsilon: 0, delta: checkDelta(delta) };
  return spendAfter({
    record: record && steps > 0 ? { samplingRate, noiseMultiplier: record.noiseMultiplier, steps } : undefined,
    site: site && releases > 0 ? { dp: site, rounds: releases, minSites: spec.minSites, exposure } : undefined,
    delta,
  });
}

/** What a spec costs a site with n records, before it joins (`cohort privacy plan`, and the site's own decision). */
export interface PrivacyPlan {
  /** DP-SGD; null without record-level noise. */
  readonly record: RecordLevelFigures | null;
  /** Every site-level figure; null without site-level noise. */
  readonly site: SiteLevelFigures | null;
  /** The guarantee a patient of the site gets: min(record epsilon, charged site epsilon). */
  readonly epsilon: number;
  readonly delta: number;
  /** q = min(1, batchSize / n). */
  readonly samplingRate: number;
  readonly stepsPerRound: number;
  readonly rounds: number;
  readonly records: number;
  readonly exposure: SiteExposure;
}

/** Options of a plan: the accountant's, and how the site's updates leave it (default 'encrypted'). */
export interface PlanOptions extends AccountantOptions {
  readonly exposure?: SiteExposure;
}

/**
 * Every figure the whole run `spec` would have at a site with `records` training records, at
 * `delta`. The one function behind `cohort privacy plan` and the site's decision (planRunSpend).
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on out-of-range inputs (named in the message).
 */
export function planPrivacy(spec: RunPrivacySpec, records: number, delta: number, options: PlanOptions = {}): PrivacyPlan {
  const rounds = checkPositiveInteger(spec.rounds, 'rounds');
  const minSites = checkPositiveInteger(spec.minSites, 'minSites');
  const exposure = options.exposure ?? 'encrypted';
  const { samplingRate, stepsPerRound } = dpSgdSchedule(spec.training, records);
  const record = spec.privacy?.record;
  const site = spec.privacy?.site;
  const f = figures(
    {
      record: record && { samplingRate, noiseMultiplier: record.noiseMultiplier, steps: checkSteps(stepsPerRound * rounds) },
      site: site && { dp: site, rounds, minSites, exposure },
      delta,
    },
    options,
  );
  const epsilon = Math.min(f.record?.epsilon ?? Infinity, f.site?.epsilonForPatients ?? Infinity);
  return { record: f.record, site: f.site, epsilon, delta: f.delta, samplingRate, stepsPerRound, rounds, records, exposure };
}

/**
 * What the whole run `spec` would spend at a site with `records` training records, at `delta`
 * (planPrivacy, as the budget check and the ledger's reservation read it).
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on out-of-range inputs (named in the message).
 */
export function planRunSpend(spec: RunPrivacySpec, records: number, delta: number, options: PlanOptions = {}): PlannedRunSpend {
  const plan = planPrivacy(spec, records, delta, options);
  const recordEpsilon = plan.record?.epsilon ?? Infinity;
  const siteEpsilon = plan.site?.epsilonForPatients ?? Infinity;
  return { recordEpsilon, siteEpsilon, epsilon: plan.epsilon, delta: plan.delta, stepsPerRound: plan.stepsPerRound, samplingRate: plan.samplingRate, rounds: plan.rounds, plan };
}

/** What stepsWithinBudget needs. */
export interface StepsWithinBudgetInput {
  /** The run's DP-SGD; absent when the run has no record-level noise. */
  readonly record?: { readonly samplingRate: number; readonly noiseMultiplier: number };
  /** DP-SGD steps this run has already taken at this site, earlier rounds included. */
  readonly stepsTaken: number;
  /** Steps the round would take without a budget. */
  readonly maxSteps: number;
  /** The epsilon this run may reach: the site's maximum less what its other runs spent. */
  readonly remainingEpsilon: number;
  readonly delta: number;
  /** The run's site-level epsilon once this round's update is released; Infinity (default) without site-level DP. */
  readonly siteEpsilon?: number;
}

/**
 * The largest k in [0, maxSteps] such that the run's cumulative epsilon after
 * stepsTaken + k DP-SGD steps stays <= remainingEpsilon: the site trains k steps
 * and stops the run before the step that would cross its budget. maxSteps when the
 * site-level guarantee alone keeps the run within budget. Epsilon grows with the
 * steps, so a binary search on k finds it (one RDP evaluation, rescaled per try).
 */
export function stepsWithinBudget(input: StepsWithinBudgetInput, options: AccountantOptions = {}): number {
  const stepsTaken = checkSteps(input.stepsTaken, 'stepsTaken');
  const maxSteps = checkSteps(input.maxSteps, 'maxSteps');
  const remaining = checkEpsilon(input.remainingEpsilon, 'remainingEpsilon');
  const delta = checkDelta(input.delta);
  const siteEpsilon = input.siteEpsilon ?? Infinity;
  if (siteEpsilon <= remaining) return maxSteps;
  if (input.record === undefined) return 0;
  const q = checkSamplingRate(input.record.samplingRate, 'record.samplingRate');
  const sigma = checkNoiseMultiplier(input.record.noiseMultiplier, 'record.noiseMultiplier');
  const orders = options.orders ?? DEFAULT_RDP_ORDERS;
  // RDP is linear in the steps: one evaluation at 1 step, scaled for each candidate (as computeRdp does).
  const perStep = computeRdp({ q, sigma, steps: 1 }, { ...options, orders });
  const within = (k: number): boolean => {
    const t = stepsTaken + k;
    const rdp = perStep.map((r) => (t === 0 || r === 0 ? 0 : r * t));
    return epsilonFromRdp(orders, rdp, delta).epsilon <= remaining;
  };
  if (within(maxSteps)) return maxSteps;
  if (!within(0)) return 0;
  let lo = 0; // within(lo) holds
  let hi = maxSteps; // within(hi) fails
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (within(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** A site's total over runs by basic composition: the sum of the epsilons and the sum of the deltas. */
export function sumSpends(spends: Iterable<EpsilonDelta>): EpsilonDelta {
  let epsilon = 0;
  let delta = 0;
  for (const s of spends) {
    epsilon += s.epsilon;
    delta += s.delta;
  }
  return { epsilon, delta };
}
