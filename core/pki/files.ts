/**
 * File writes for key material: owner-only modes set at creation (never a window in
 * which a key is world-readable) and atomic replacement for files that readers watch.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** rw for the owner only: private keys and the provisioner's state. */
export const OWNER_ONLY_FILE = 0o600;
/** rwx for the owner only: kit and provisioner directories. */
const OWNER_ONLY_DIR = 0o700;
/** Certificates and other public files. */
export const PUBLIC_FILE = 0o644;

/** Creates a directory (and parents) with owner-only access; the umask cannot widen it. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: OWNER_ONLY_DIR });
  chmodSync(path, OWNER_ONLY_DIR);
}

/** Writes a file that must not exist yet, with `mode` from its first byte. */
export function writeNewFile(path: string, data: string | Uint8Array, mode: number): void {
  writeFileSync(path, data, { mode, flag: 'wx' });
  chmodSync(path, mode);
}

/**
 * Replaces a file atomically (write a sibling, then rename), so that a watcher never
 * reads half a CRL or half a state file.
 */
export function replaceFile(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data, { mode, flag: 'wx' });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
