/**
 * Watches the coordinator kit's crl.pem and reloads it into the running server when
 * the provisioner (or the operator copying a new one) replaces it.
 */
import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { CrlContents } from '../pki/crl.ts';
import type { CohortServerCredentials } from './server-credentials.ts';

export interface CrlWatchOptions {
  /** Polling interval; fs.watchFile polls, which also works on network file systems. Default 2000 ms. */
  readonly intervalMs?: number;
  /** Called after a new CRL took effect. */
  readonly onReload?: (crl: CrlContents) => void;
  /** Called when a changed file could not be loaded; the previous CRL stays in force. */
  readonly onError?: (error: unknown) => void;
}

function changed(curr: Stats, prev: Stats): boolean {
  return curr.mtimeMs !== prev.mtimeMs || curr.ino !== prev.ino || curr.size !== prev.size;
}

/** Reloads `path` into `credentials` whenever it changes. Returns the function that stops watching. */
export function watchCrlFile(path: string, credentials: CohortServerCredentials, options: CrlWatchOptions = {}): () => void {
  // Reloads run one after another, so that the last file written is the one in force.
  let queue: Promise<void> = Promise.resolve();
  const listener = (curr: Stats, prev: Stats): void => {
    // A missing file (nlink 0) keeps the CRL in force: better stale than none.
    if (curr.nlink === 0 || !changed(curr, prev)) return;
    queue = queue.then(async () => {
      try {
        const crl = await credentials.reloadCrl(await readFile(path, 'utf8'), path);
        options.onReload?.(crl);
      } catch (e) {
        options.onError?.(e);
      }
    });
  };
  watchFile(path, { interval: options.intervalMs ?? 2000, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
