/**
 * One writer per audit directory: `<dir>/lock`, created exclusively with the holder's pid,
 * held for the writer's life. Two writers on one log would each append at the same index
 * and fork the chain for good. A lock whose pid is no longer running (a killed coordinator)
 * is taken over. The scheme is core/pki's provisioner lock (`.provisioner/lock`): the pid is
 * written to a unique file first and then hard-linked into place, so the lock never exists
 * without its pid. That code is private to the provisioner (it waits; this one refuses at
 * once), so the two small functions are repeated here.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AuditErrors, CohortError } from '../errors/index.ts';
import { OWNER_ONLY_FILE, writeNewFile } from '../pki/files.ts';

export const AUDIT_LOCK_FILE = 'lock';

/** The pid in a lock file when that process still runs; undefined when stale or gone. */
function livePid(lockFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lockFile, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Takes `<dir>/lock` for this process, or throws COHORT_E_AUDIT_WRITER_LOCKED when a live
 * process holds it (this process included: a second writer in one process is refused too).
 * Returns the release function.
 */
export function acquireAuditLock(dir: string): () => void {
  const lock = join(dir, AUDIT_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    const tmp = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeNewFile(tmp, `${process.pid}\n`, OWNER_ONLY_FILE);
    try {
      linkSync(tmp, lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = livePid(lock);
      if (holder !== undefined || attempt >= 3) {
        throw new CohortError(AuditErrors.WRITER_LOCKED, `another writer (pid ${holder ?? 'unknown'}) holds ${lock}: one audit log has one writer`, { details: { lock, ...(holder === undefined ? {} : { pid: holder }) } });
      }
      rmSync(lock, { force: true }); // stale: its process is gone
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    // Only our own lock: never remove one another process took over meanwhile.
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
    } catch {
      // already gone
    }
  };
}
