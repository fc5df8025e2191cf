/**
 * `cohort privacy epsilon`, `cohort privacy noise` and `cohort privacy plan`: the RDP
 * accountant on the command line, for data scientists sizing a run and site IT checking a
 * budget. `plan` prints what a spec costs a site with n records, with the same function the
 * site agent decides on (core/privacy/run-budget.ts planPrivacy).
 */
import { formatPrivacy } from '../../core/privacy/format.ts';
import type { Command } from 'commander';
import { CohortError, GeneralErrors, PrivacyErrors } from '../../core/errors/index.ts';
import { computeEpsilon, noiseForTargetEpsilon, planPrivacy, runDelta, type PrivacyPlan } from '../../core/privacy/index.ts';
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkPositiveInteger, checkSamplingRate, checkSteps } from '../../core/privacy/validate.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { printJson, reportError } from '../output.ts';

interface PrivacyFlags {
  samplingRate?: string;
  noiseMultiplier?: string;
  targetEpsilon?: string;
  steps?: string;
  delta?: string;
  spec?: string;
  records?: string;
  codec?: string;
  json?: boolean;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a required numeric flag and checks its range with `check`; both errors
 * name the flag, never guess.
 */
function numberFlag(value: string | undefined, flag: string, check: (x: number, name: string) => number): number {
  if (value === undefined) throw new CohortError(GeneralErrors.USAGE, `${flag} is required`, { details: { flag } });
  if (!DECIMAL.test(value.trim())) {
    throw new CohortError(PrivacyErrors.INVALID_ARGUMENT, `${flag}: expected a decimal number, got "${value}"`, {
      details: { parameter: flag, expected: 'a decimal number' },
    });
  }
  return check(Number(value), flag);
}

/** JSON has no Infinity: an unbounded epsilon is written as null. */
function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

const fmt = (x: number): string => formatPrivacy(x, 7);

function runEpsilon(flags: PrivacyFlags): void {
  const samplingRate = numberFlag(flags.samplingRate, '--sampling-rate', checkSamplingRate);
  const noiseMultiplier = numberFlag(flags.noiseMultiplier, '--noise-multiplier', checkNoiseMultiplier);
  const steps = numberFlag(flags.steps, '--steps', checkSteps);
  const delta = numberFlag(flags.delta, '--delta', checkDelta);
  const { epsilon, order } = computeEpsilon({ q: samplingRate, sigma: noiseMultiplier, steps, delta });
  if (flags.json) {
    printJson({ epsilon: jsonNumber(epsilon), order, delta, samplingRate, noiseMultiplier, steps });
    return;
  }
  process.stdout.write(
    `epsilon ${fmt(epsilon)} at delta ${delta} (best RDP order ${order}; ` +
      `sampling rate ${samplingRate}, noise multiplier ${noiseMultiplier}, ${steps} steps)\n`,
  );
}

function runNoise(flags: PrivacyFlags): void {
  const targetEpsilon = numberFlag(flags.targetEpsilon, '--target-epsilon', checkEpsilon);
  const samplingRate = numberFlag(flags.samplingRate, '--sampling-rate', checkSamplingRate);
  const steps = numberFlag(flags.steps, '--steps', checkSteps);
  const delta = numberFlag(flags.delta, '--delta', checkDelta);
  const found = noiseForTargetEpsilon({ targetEpsilon, q: samplingRate, steps, delta });
  if (flags.json) {
    printJson({
      noiseMultiplier: found.noiseMultiplier,
      epsilon: jsonNumber(found.epsilon),
      order: found.order,
      targetEpsilon,
      delta,
      samplingRate,
      steps,
    });
    return;
  }
  process.stdout.write(
    `noise multiplier ${fmt(found.noiseMultiplier)} gives epsilon ${fmt(found.epsilon)} <= ${targetEpsilon} ` +
      `at delta ${delta} (best RDP order ${found.order}; sampling rate ${samplingRate}, ${steps} steps)\n`,
  );
}

/** The JSON of `cohort privacy plan`: unbounded epsilons as null. */
export interface PrivacyPlanJson {
  readonly record: { epsilon: number | null; delta: number; samplingRate: number; steps: number; noiseMultiplier: number } | null;
  readonly site: {
    epsilon: number | null;
    epsilonReplaceOne: number | null;
    epsilonAgainstParticipants: number | null;
    epsilonAgainstCoordinator: number | null;
    chargedEpsilon: number | null;
    chargedAgainst: string;
    epsilonForPatients: number | null;
    delta: number;
    noiseMultiplier: number;
    updateNoiseMultiplier: number;
    countNoiseMultiplier?: number;
    rounds: number;
    minSites: number;
  } | null;
  readonly epsilon: number | null;
  readonly delta: number;
  readonly records: number;
  readonly codec: 'bfv' | 'plain';
  readonly stepsPerRound: number;
  readonly rounds: number;
}

/** A plan as `cohort privacy plan --json` prints it. */
export function planJson(plan: PrivacyPlan): PrivacyPlanJson {
  const { record, site } = plan;
  return {
    record: record && { epsilon: jsonNumber(record.epsilon), delta: record.delta, samplingRate: record.samplingRate, steps: record.steps, noiseMultiplier: record.noiseMultiplier },
    site: site && {
      epsilon: jsonNumber(site.epsilon),
      epsilonReplaceOne: jsonNumber(site.epsilonReplaceOne),
      epsilonAgainstParticipants: jsonNumber(site.epsilonAgainstParticipants),
      epsilonAgainstCoordinator: jsonNumber(site.epsilonAgainstCoordinator),
      chargedEpsilon: jsonNumber(site.chargedEpsilon),
      chargedAgainst: site.chargedAgainst,
      epsilonForPatients: jsonNumber(site.epsilonForPatients),
      delta: site.delta,
      noiseMultiplier: site.noiseMultiplier,
      updateNoiseMultiplier: site.updateNoiseMultiplier,
      ...(site.countNoiseMultiplier === undefined ? {} : { countNoiseMultiplier: site.countNoiseMultiplier }),
      rounds: site.rounds,
      minSites: site.minSites,
    },
    epsilon: jsonNumber(plan.epsilon),
    delta: plan.delta,
    records: plan.records,
    codec: plan.exposure === 'plaintext' ? 'plain' : 'bfv',
    stepsPerRound: plan.stepsPerRound,
    rounds: plan.rounds,
  };
}

function planHuman(plan: PrivacyPlan): string {
  const { record, site } = plan;
  const lines = [`privacy plan for a site with ${plan.records} training records, at delta ${fmt(plan.delta)}, codec ${plan.exposure === 'plaintext' ? 'plain' : 'bfv'}`];
  lines.push(
    record
      ? `record level (add/remove one patient's record, DP-SGD): epsilon ${fmt(record.epsilon)} (noise multiplier ${record.noiseMultiplier}, sampling rate ${fmt(record.samplingRate)}, ${record.steps} steps)`
      : 'record level: off (no privacy.record)',
  );
  if (site) {
    const count = site.countNoiseMultiplier === undefined ? 'fixed clipping' : `adaptive clipping, count noise multiplier ${site.countNoiseMultiplier}`;
    lines.push(
      `site level (noise multiplier ${site.noiseMultiplier}, update ${fmt(site.updateNoiseMultiplier)}, ${count}; ${site.rounds} rounds, minSites ${site.minSites}):`,
      `  zero-out, against the aggregate:        epsilon ${fmt(site.epsilon)}`,
      `  zero-out, against a participating site: epsilon ${fmt(site.epsilonAgainstParticipants)}`,
      `  zero-out, against the coordinator:      epsilon ${fmt(site.epsilonAgainstCoordinator)}${plan.exposure === 'plaintext' ? ' (plain codec: it sees each update with only its own noise share)' : ' (it could pass one site\'s ciphertext off as a sum: sums are not yet verified)'}`,
      `  replace-one, against the aggregate:     epsilon ${fmt(site.epsilonReplaceOne)}`,
      `  the hospital's guarantee (zero-out, weakest applicable, against ${site.chargedAgainst === 'coordinator' ? 'the coordinator' : 'a participating site'}): epsilon ${fmt(site.chargedEpsilon)}`,
      `  one patient's record (replace-one within the site, same observer): epsilon ${fmt(site.epsilonForPatients)}`,
    );
  } else lines.push('site level: off (no privacy.site)');
  lines.push(`a patient's guarantee (the smaller of record level and the site level for one record; charged and capped): epsilon ${fmt(plan.epsilon)} at delta ${fmt(plan.delta)}`);
  return `${lines.join('\n')}\n`;
}

function runPlan(flags: PrivacyFlags): void {
  if (flags.spec === undefined) throw new CohortError(GeneralErrors.USAGE, '--spec is required', { details: { flag: '--spec' } });
  const records = numberFlag(flags.records, '--records', checkPositiveInteger);
  const codec = flags.codec ?? 'bfv';
  if (codec !== 'bfv' && codec !== 'plain') {
    throw new CohortError(GeneralErrors.USAGE, `--codec: expected bfv or plain, got "${codec}"`, { details: { flag: '--codec' } });
  }
  const delta = flags.delta === undefined ? runDelta(records) : numberFlag(flags.delta, '--delta', checkDelta);
  const spec = loadSpecFile(flags.spec);
  const plan = planPrivacy(spec, records, delta, { exposure: codec === 'plain' ? 'plaintext' : 'encrypted' });
  if (flags.json) printJson(planJson(plan));
  else process.stdout.write(planHuman(plan));
}

/** Runs one subcommand, turning any error into a report and an exit status. */
function guarded(run: (flags: PrivacyFlags) => void): (flags: PrivacyFlags) => void {
  return (flags) => {
    try {
      run(flags);
    } catch (e) {
      process.exitCode = reportError(e, flags.json === true);
    }
  };
}

/** Adds `privacy epsilon`, `privacy noise` and `privacy plan` to `program`. */
export function registerPrivacyCommands(program: Command): void {
  const privacy = program
    .command('privacy')
    .description('differential-privacy accounting: Renyi DP of the Poisson-subsampled Gaussian mechanism');

  privacy
    .command('epsilon')
    .description('epsilon spent by T steps of sampling rate Q and noise multiplier SIGMA, at delta D')
    .option('--sampling-rate <Q>', 'Poisson sampling rate per step, in [0, 1]')
    .option('--noise-multiplier <SIGMA>', 'noise standard deviation over the clipping norm, >= 0')
    .option('--steps <T>', 'number of steps (or rounds), a non-negative integer')
    .option('--delta <D>', 'target delta, in (0, 1)')
    .option('--json', 'print one JSON object')
    .action(guarded(runEpsilon));

  privacy
    .command('noise')
    .description('smallest noise multiplier keeping T steps of sampling rate Q within epsilon E at delta D')
    .option('--target-epsilon <E>', 'epsilon budget, >= 0')
    .option('--sampling-rate <Q>', 'Poisson sampling rate per step, in [0, 1]')
    .option('--steps <T>', 'number of steps (or rounds), a non-negative integer')
    .option('--delta <D>', 'target delta, in (0, 1)')
    .option('--json', 'print one JSON object')
    .action(guarded(runNoise));

  privacy
    .command('plan')
    .description('what a model spec costs a site with N training records, before it joins: every record- and site-level figure, and the one charged')
    .option('--spec <file>', 'the model spec (YAML or JSON)')
    .option('--records <N>', "the site's training records (after the test split), a positive integer")
    .option('--delta <D>', "the site's delta, in (0, 1); default 1 / (10 N)")
    .option('--codec <bfv|plain>', 'how updates leave the site: bfv (encrypted, default) or plain (needs the site policy allowPlaintext)')
    .option('--json', 'print one JSON object')
    .action(guarded(runPlan));
}
