/**
 * What a run spends, in (epsilon, delta), at one site, with the RDP accountant:
 *
 * - Record level (protects each patient of the site): DP-SGD, the Poisson-subsampled
 *   Gaussian with q = min(1, batchSize / n) and sigma = privacy.record.noiseMultiplier,
 *   `stepsPerRound` steps a round, composed over every round of the run.
 * - Site level (protects the hospital's whole contribution): the Gaussian mechanism,
 *   q = 1, sigma = z = privacy.site.noiseMultiplier, one step a round. With adaptive
 *   clipping z is still the right multiplier: the pair (update, count) has the privacy
 *   of z (Andrew et al. 2021; see adaptive-clipping.ts). The guarantee is for adding or
 *   removing one site's contribution, as in McMahan et al. 2018 (replacing it doubles the
 *   sensitivity, as z / 2 would), and assumes all K sites add their noise share.
 *
 * Each guarantee alone protects a patient (changing a patient's records changes only
 * their site's contribution), so a patient's effective epsilon is the smaller of the
 * two. Without either kind of noise it is Infinity.
 *
 * Across runs a site's total spend is the SUM of each run's epsilon and of each run's
 * delta: basic composition, valid for any runs whatever their mechanisms (tighter RDP
 * composition across runs would need every run's RDP curve at common orders).
 */
import { epsilonFromRdp } from './conversion.ts';
import { DEFAULT_RDP_ORDERS } from './orders.ts';
import { computeEpsilon, computeRdp, type AccountantOptions } from './rdp-accountant.ts';
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
}

/** A run's cumulative spend. */
export interface RunSpend {
  /** Record-level epsilon (DP-SGD); Infinity without record-level noise. */
  readonly recordEpsilon: number;
  /** Site-level epsilon; Infinity without site-level noise. */
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
  /** Site-level Gaussian: `rounds` releases with noise multiplier z; absent without site-level DP. */
  readonly site?: { readonly noiseMultiplier: number; readonly rounds: number };
  readonly delta: number;
}

/** The cumulative spend of the mechanisms `m`, each composed with the RDP accountant. */
export function spendAfter(m: RunMechanisms, options: AccountantOptions = {}): RunSpend {
  const delta = checkDelta(m.delta);
  const recordEpsilon =
    m.record === undefined ? Infinity : computeEpsilon({ q: m.record.samplingRate, sigma: m.record.noiseMultiplier, steps: m.record.steps, delta }, options).epsilon;
  const siteEpsilon = m.site === undefined ? Infinity : computeEpsilon({ q: 1, sigma: m.site.noiseMultiplier, steps: m.site.rounds, delta }, options).epsilon;
  return { recordEpsilon, siteEpsilon, epsilon: Math.min(recordEpsilon, siteEpsilon), delta };
}

/**
 * What a run has spent at a site after `steps` DP-SGD steps and `releases` released updates,
 * for the mechanisms its spec turns on (none with zero steps or releases).
 */
export function runSpendAfter(spec: Pick<RunPrivacySpec, 'privacy'>, samplingRate: number, steps: number, releases: number, delta: number): RunSpend {
  const { record, site } = spec.privacy ?? {};
  return spendAfter({
    record: record && steps > 0 ? { samplingRate, noiseMultiplier: record.noiseMultiplier, steps } : undefined,
    site: site && releases > 0 ? { noiseMultiplier: site.noiseMultiplier, rounds: releases } : undefined,
    delta,
  });
}

/**
 * What the whole run `spec` would spend at a site with `records` training records, at `delta`.
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on out-of-range inputs (named in the message).
 */
export function planRunSpend(spec: RunPrivacySpec, records: number, delta: number, options: AccountantOptions = {}): PlannedRunSpend {
  const rounds = checkPositiveInteger(spec.rounds, 'rounds');
  const { samplingRate, stepsPerRound } = dpSgdSchedule(spec.training, records);
  const record = spec.privacy?.record;
  const site = spec.privacy?.site;
  const spend = spendAfter(
    {
      record: record && { samplingRate, noiseMultiplier: record.noiseMultiplier, steps: checkSteps(stepsPerRound * rounds) },
      site: site && { noiseMultiplier: site.noiseMultiplier, rounds },
      delta,
    },
    options,
  );
  return { ...spend, stepsPerRound, samplingRate, rounds };
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
