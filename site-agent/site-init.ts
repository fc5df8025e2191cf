/** What `cohort site init` sets up, also used by the demo: the data directory and the at-rest key. */
import { loadKeyFile } from '../core/crypto/at-rest.ts';
import { makePrivateDir } from '../core/pki/files.ts';
import type { SiteConfig } from './site-config.ts';

/** Creates the site's data directory (0700) and, if missing, its owner-only at-rest key; returns the key. */
export function initSiteStorage(config: Pick<SiteConfig, 'dataDir' | 'keyFile'>): Buffer {
  makePrivateDir(config.dataDir);
  return loadKeyFile(config.keyFile, { create: true });
}
