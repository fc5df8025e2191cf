/**
 * How every command reports: human text on a terminal, one JSON object with --json,
 * and errors as `error <CODE>: <message>` on stderr with a non-zero exit status.
 */
import { status } from '@grpc/grpc-js';
import { CohortError, GeneralErrors } from '../core/errors/index.ts';

/** Exit statuses: 1 for a refused operation, 2 for bad usage or input. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Prints a CohortError (or wraps any other error) and returns the exit status. */
export function reportError(e: unknown, json: boolean): number {
  const err =
    e instanceof CohortError
      ? e
      : new CohortError(GeneralErrors.INTERNAL, e instanceof Error ? e.message : String(e), { cause: e });
  if (json) process.stderr.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
  else process.stderr.write(`error ${err.code}: ${err.message}\n`);
  return err.grpc === status.INVALID_ARGUMENT ? EXIT_USAGE : EXIT_FAILURE;
}

/** Runs one command body: prints its result (JSON with --json, else `human`), or reports its error and sets the exit status. */
export async function runCommand<T>(json: boolean | undefined, body: () => Promise<T> | T, human: (result: T) => string): Promise<void> {
  try {
    const result = await body();
    if (json === true) printJson(result);
    else process.stdout.write(human(result));
  } catch (e) {
    process.exitCode = reportError(e, json === true);
  }
}
