/** The errors a test expects: what a call threw or a promise rejected with, failing the test when it succeeded. */
import { CohortError } from '../../core/errors/index.ts';

/** The CohortError a promise (or function) rejects with; fails the test when it resolves or throws something else. */
export async function caught(work: Promise<unknown> | (() => unknown)): Promise<CohortError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (e) {
    if (e instanceof CohortError) return e;
    throw e;
  }
  throw new Error('expected a CohortError, but the call succeeded');
}

/** The CohortError a synchronous call throws; fails the test when it returns or throws something else. */
export function caughtSync(work: () => unknown): CohortError {
  try {
    work();
  } catch (e) {
    if (e instanceof CohortError) return e;
    throw e;
  }
  throw new Error('expected a CohortError, but the call succeeded');
}
