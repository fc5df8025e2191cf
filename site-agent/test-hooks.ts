/**
 * TEST-ONLY hooks of the site agent, inert unless their variable is set (read once at load):
 *
 *   COHORT_TEST_SITE_EXIT_AT=<before-upload|after-upload>@<round>
 *     The agent SIGKILLs itself at that point of that round's training task: a site lost
 *     before its update reached the coordinator, or after it did and before unmasking.
 *   COHORT_TEST_RECORD_UPDATES=<dir>
 *     The agent writes each update vector it is about to encode (before masking and
 *     encryption) to <dir>/<site>.<run>.<round>.json, so that a test can compare the round's
 *     decrypted sum with the survivors' own updates.
 *
 * An update vector is derived from patient data: never set these outside tests. Like the
 * coordinator's COHORT_TEST_CRASH_AT (coordinator/state/crash-hook.ts), they are inert unless
 * NODE_ENV is `test`, an agent refuses to start when one is set without it
 * ({@link assertSiteTestHooksAllowed}), and it logs a warning at start when they are live.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CohortError, GeneralErrors } from '../core/errors/index.ts';

const HOOK_VARIABLES = ['COHORT_TEST_SITE_EXIT_AT', 'COHORT_TEST_RECORD_UPDATES'] as const;
const setIn = (env: NodeJS.ProcessEnv): string[] => HOOK_VARIABLES.filter((v) => (env[v] ?? '') !== '');

/** The hooks live in this process: set, and NODE_ENV is `test`. */
export const SITE_TEST_HOOKS_SET = process.env.NODE_ENV === 'test' ? setIn(process.env) : [];

/** Throws (COHORT_E_GENERAL_USAGE) when a site test hook is set outside tests (NODE_ENV not `test`). */
export function assertSiteTestHooksAllowed(env: NodeJS.ProcessEnv): void {
  const set = setIn(env);
  if (set.length > 0 && env.NODE_ENV !== 'test') {
    throw new CohortError(GeneralErrors.USAGE, `${set.join(', ')} set but NODE_ENV is not "test": the site's test hooks are for tests only; unset them`, { details: { variables: set } });
  }
}

function parseExit(value: string | undefined): { point: string; round: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(before-upload|after-upload)@([1-9][0-9]*)$/.exec(value);
  if (!m) throw new Error(`COHORT_TEST_SITE_EXIT_AT="${value}" is not <before-upload|after-upload>@<round>`);
  return { point: m[1] as string, round: Number(m[2]) };
}

const EXIT = process.env.NODE_ENV === 'test' ? parseExit(process.env.COHORT_TEST_SITE_EXIT_AT) : undefined;
const RECORD_DIR = process.env.NODE_ENV === 'test' ? (process.env.COHORT_TEST_RECORD_UPDATES ?? '') : '';

/** Kills this process where COHORT_TEST_SITE_EXIT_AT says; a no-op otherwise. */
export function siteExitPoint(point: 'before-upload' | 'after-upload', round: number): void {
  if (EXIT !== undefined && EXIT.point === point && EXIT.round === round) process.kill(process.pid, 'SIGKILL');
}

/** Writes the update vector where COHORT_TEST_RECORD_UPDATES says; a no-op otherwise. */
export function recordUpdateForTests(site: string, runId: string, round: number, vector: Float64Array): void {
  if (RECORD_DIR === '') return;
  mkdirSync(RECORD_DIR, { recursive: true });
  writeFileSync(join(RECORD_DIR, `${site}.${runId}.${round}.json`), JSON.stringify(Array.from(vector)));
}
