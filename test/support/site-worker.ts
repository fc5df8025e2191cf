/**
 * A site's RunWorker over its own storage, as the agent makes one: the at-rest key, the HE key
 * store (holding the consortium key when one is given), the run states and the privacy ledger,
 * all under the config's data directory.
 */
import type { ConsortiumKey } from '../../core/secure-agg/keys.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { RunWorker, type RunWorkerOptions } from '../../site-agent/run-worker.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';

export function siteWorker(options: Omit<RunWorkerOptions, 'states' | 'heKeys' | 'ledger'> & { readonly key?: ConsortiumKey }): RunWorker {
  const { key, ...rest } = options;
  const atRest = initSiteStorage(rest.config);
  const heKeys = new HeKeyStore(rest.config.dataDir, atRest);
  if (key !== undefined && heKeys.secretKey(key.params.keyId) === undefined) heKeys.save(key.params, key.secretKey);
  return new RunWorker({ ...rest, states: new RunStateStore(rest.config.dataDir, atRest), heKeys, ledger: PrivacyLedger.open(privacyLedgerDir(rest.config.dataDir), atRest) });
}
