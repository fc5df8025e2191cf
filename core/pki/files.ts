/**
 * File writes for key material: owner-only modes set at creation (never a window in
 * which a key is world-readable) and atomic replacement for files that readers watch.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDirectory } from '../audit/lines.ts';

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
 * Replaces a file atomically and durably: write a sibling, fsync it, rename it over `path`, then
 * fsync the directory. A watcher never reads half a CRL or half a state file, and once this
 * returns the new content survives a power loss (the site's masking state, its equivocation
 * proofs and release ledger among them: a site that forgot what it released could be led to
 * release the other kind of share). Power-loss durability holds by construction (fsync of the
 * file before the rename, of the directory after); no test can pull the power.
 */
export function replaceFile(path: string, data: string | Uint8Array, mode: number): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDirectory(path);
}
