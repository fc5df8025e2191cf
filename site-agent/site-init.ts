/** What `cohort site init` sets up, and the kit-and-config check of the site commands; also used by the demo. */
import { CohortError, SiteErrors } from '../core/errors/index.ts';
import { makePrivateDir } from '../core/pki/files.ts';
import { loadKit, type Kit } from '../core/pki/kit.ts';
import { PrivacyLedger, privacyLedgerDir } from './privacy/ledger.ts';
import { loadSiteConfig, type SiteConfig } from './site-config.ts';
import { loadSiteKey } from './site-key.ts';

/**
 * Creates the site's data directory (0700) and, if missing, its owner-only at-rest key
 * (wrapped by the HSM key when the config has keyStore); returns the key.
 */
export function initSiteStorage(config: Pick<SiteConfig, 'dataDir' | 'keyFile' | 'keyStore'>): Buffer {
  makePrivateDir(config.dataDir);
  return loadSiteKey(config, { create: true });
}

/** The site's privacy ledger, checked (hash chain and head) as it opens. */
export function openSiteLedger(config: Pick<SiteConfig, 'dataDir'>, key: Buffer): PrivacyLedger {
  return PrivacyLedger.open(privacyLedgerDir(config.dataDir), key, { verify: true });
}

/**
 * A site's kit and config, checked to belong together: a site kit, and the site the config
 * names (if it names one). Throws COHORT_E_SITE_KIT_MISMATCH otherwise.
 */
export function loadSiteKitAndConfig(kitDir: string, configPath: string): { kit: Kit; config: SiteConfig } {
  const kit = loadKit(kitDir);
  const config = loadSiteConfig(configPath);
  if (kit.role !== 'site') throw new CohortError(SiteErrors.KIT_MISMATCH, `kit ${kit.dir} is a ${kit.role} kit, not a site kit`);
  if (config.site && config.site !== kit.name) throw new CohortError(SiteErrors.KIT_MISMATCH, `the config names site "${config.site}" but the kit is "${kit.name}"`);
  return { kit, config };
}
