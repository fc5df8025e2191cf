/**
 * Watches the coordinator kit's crl.pem and reloads it into the running server when
 * the provisioner (or the operator copying a new one) replaces it.
 */
import { statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { CrlContents } from '../pki/crl.ts';
import type { CohortServerCredentials } from './server-credentials.ts';

export interface CrlWatchOptions {
  /** Polling interval; polling (not inotify) also works on network file systems. Default 2000 ms. */
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
  // The baseline is taken here, synchronously: fs.watchFile takes its own on the thread
  // pool, and a file replaced before that ran was never reported as changed.
  let last = statSync(path, { throwIfNoEntry: false });
  const poll = async (): Promise<void> => {
    // A missing file keeps the CRL in force: better stale than none.
    const curr = await stat(path).catch(() => undefined);
    if (curr === undefined || (last !== undefined && !changed(curr, last))) return;
    last = curr;
    try {
      const crl = await credentials.reloadCrl(await readFile(path, 'utf8'), path);
      options.onReload?.(crl);
    } catch (e) {
      options.onError?.(e);
    }
  };
  // One poll at a time, so that the last file written is the one in force.
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void poll().finally(() => {
      polling = false;
    });
  }, options.intervalMs ?? 2000);
  timer.unref();
  return () => clearInterval(timer);
}
