/**
 * One writer per audit directory: `<dir>/lock`, created exclusively with the holder's pid,
 * held for the writer's life. Two writers on one log would each append at the same index
 * and fork the chain for good. A lock whose pid is no longer running (a killed coordinator)
 * is taken over (core/pid-lock.ts, which the provisioner's lock uses too; that one waits,
 * this one refuses at once).
 */
import { join } from 'node:path';
import { AuditErrors, CohortError } from '../errors/index.ts';
import { releaseOwnLock, tryLock } from '../pid-lock.ts';

export const AUDIT_LOCK_FILE = 'lock';

/**
 * Takes `<dir>/lock` for this process, or throws COHORT_E_AUDIT_WRITER_LOCKED when a live
 * process holds it (this process included: a second writer in one process is refused too).
 * Returns the release function.
 */
export function acquireAuditLock(dir: string): () => void {
  const lock = join(dir, AUDIT_LOCK_FILE);
  const got = tryLock(lock);
  if (!got.taken) {
    const { holder } = got;
    throw new CohortError(AuditErrors.WRITER_LOCKED, `another writer (pid ${holder ?? 'unknown'}) holds ${lock}: one audit log has one writer`, { details: { lock, ...(holder === undefined ? {} : { pid: holder }) } });
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    releaseOwnLock(lock);
  };
}
