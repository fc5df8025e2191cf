/**
 * `cohort privacy epsilon` and `cohort privacy noise`: the RDP accountant on the
 * command line, for data scientists sizing a run and site IT checking a budget.
 */
import type { Command } from 'commander';
import { CohortError, GeneralErrors, PrivacyErrors } from '../../core/errors/index.ts';
import { computeEpsilon, noiseForTargetEpsilon } from '../../core/privacy/index.ts';
import { checkDelta, checkEpsilon, checkNoiseMultiplier, checkSamplingRate, checkSteps } from '../../core/privacy/validate.ts';
import { printJson, reportError } from '../output.ts';

interface PrivacyFlags {
  samplingRate?: string;
  noiseMultiplier?: string;
  targetEpsilon?: string;
  steps?: string;
  delta?: string;
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

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(7))) : 'unbounded';
}

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

/** Adds `privacy epsilon` and `privacy noise` to `program`. */
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
}
