/**
 * A lock file holding its owner's pid, for one writer at a time across processes (the
 * provisioner's `.provisioner/lock`, the audit log's `<dir>/lock`). The pid is written to a
 * unique file first and then hard-linked into place, so the lock never exists without its pid;
 * a lock whose process is gone (a killed command) is taken over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync } from 'node:fs';
import { OWNER_ONLY_FILE, writeNewFile } from './pki/files.ts';

/** The pid in a lock file when that process still runs; undefined when the lock is stale or gone. */
export function liveLockHolder(lockFile: string): number | undefined {
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
 * Tries once to take `lockFile` for this process: true when taken; false when a live process
 * holds it (`holder`, when it could be read). A stale lock is removed and taken, up to three times.
 */
export function tryLock(lockFile: string): { taken: true } | { taken: false; holder: number | undefined } {
  for (let attempt = 0; ; attempt++) {
    const tmp = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeNewFile(tmp, `${process.pid}\n`, OWNER_ONLY_FILE);
    try {
      linkSync(tmp, lockFile);
      return { taken: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = liveLockHolder(lockFile);
      if (holder !== undefined || attempt >= 3) return { taken: false, holder };
      rmSync(lockFile, { force: true }); // stale: its process is gone
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

/** Removes `lockFile` if this process holds it: never a lock another process took over meanwhile. */
export function releaseOwnLock(lockFile: string): void {
  try {
    if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) rmSync(lockFile, { force: true });
  } catch {
    // already gone
  }
}
