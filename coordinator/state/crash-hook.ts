/**
 * TEST-ONLY fault injection: lets a test SIGKILL a real coordinator process at a chosen
 * persisted step, to show that a restart resumes from every state a crash can leave.
 *
 *   COHORT_TEST_CRASH_AT=<action>[@<n>][:uncommitted]
 *
 * `<action>` is an event action the state store records (`round.open`, `update.commit`,
 * `round.aggregated`, `round.evaluation`, `round.evaluated`, `round.metrics`, `round.close`,
 * `run.completed`, ...), and every state change is recorded with its event in one transaction.
 * The process kills itself with SIGKILL at the `<n>`-th (default first) such event it records:
 * right after the transaction holding it commits, or with `:uncommitted` while that
 * transaction is still open (SQLite then rolls all of it back at the next open).
 *
 * Inert unless the variable is set and NODE_ENV is `test`: it is read once, and otherwise every
 * hook is a no-op. A coordinator refuses to start when the variable is set without NODE_ENV=test
 * (assertCrashHookAllowed), and logs a warning at start when it is live. Never set it outside tests.
 */

import { CohortError, GeneralErrors } from '../../core/errors/index.ts';

export interface CrashPoint {
  readonly action: string;
  readonly occurrence: number;
  readonly uncommitted: boolean;
}

/** Parses the variable's value; undefined (inert) when unset or empty. Throws on a malformed value. */
export function parseCrashPoint(value: string | undefined): CrashPoint | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^([a-z][a-z0-9.-]*)(?:@([1-9][0-9]*))?(:uncommitted)?$/.exec(value);
  if (!m) throw new Error(`COHORT_TEST_CRASH_AT="${value}" is not <action>[@<n>][:uncommitted]`);
  return { action: m[1] as string, occurrence: m[2] === undefined ? 1 : Number(m[2]), uncommitted: m[3] !== undefined };
}

/** The crash point `env` gives: none unless NODE_ENV is `test` (see the module comment). */
export function crashPointOf(env: NodeJS.ProcessEnv): CrashPoint | undefined {
  return env.NODE_ENV === 'test' ? parseCrashPoint(env.COHORT_TEST_CRASH_AT) : undefined;
}

/** Throws (COHORT_E_GENERAL_USAGE) when COHORT_TEST_CRASH_AT is set outside tests (NODE_ENV not `test`). */
export function assertCrashHookAllowed(env: NodeJS.ProcessEnv): void {
  if ((env.COHORT_TEST_CRASH_AT ?? '') !== '' && env.NODE_ENV !== 'test') {
    throw new CohortError(GeneralErrors.USAGE, 'COHORT_TEST_CRASH_AT is set but NODE_ENV is not "test": the fault-injection hook is for tests only; unset it', {
      details: { variable: 'COHORT_TEST_CRASH_AT' },
    });
  }
}

/** The crash point of this process (test-only; see the module comment). */
export const CRASH_POINT: CrashPoint | undefined = crashPointOf(process.env);

/** Counts the crash point's events and kills the process where it says. One per state store. */
export class CrashHook {
  private seen = 0;
  private armed = false;

  constructor(private readonly point: CrashPoint | undefined = CRASH_POINT) {}

  /** An event was inserted; `inTransaction` false means it has committed already. */
  eventRecorded(action: string, inTransaction: boolean): void {
    if (this.point === undefined || action !== this.point.action) return;
    this.seen++;
    if (this.seen !== this.point.occurrence) return;
    if (this.point.uncommitted || !inTransaction) die();
    this.armed = true;
  }

  /** The outermost transaction committed. */
  committed(): void {
    if (this.armed) die();
  }

  /** The outermost transaction rolled back: its event never happened. */
  rolledBack(): void {
    if (this.armed) {
      this.armed = false;
      this.seen--;
    }
  }
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; nothing below runs.
  throw new Error('unreachable: SIGKILL did not end the process');
}
