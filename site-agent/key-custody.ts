/**
 * Key custody at the sites, as the CLI and the demo use it: `cohort site fingerprint` (each
 * site's own fingerprints, for the key holder's IT to compare out of band) and
 * `cohort site key-ceremony` with its confirmations (`--accept`, the prompt) and `--crl`.
 */
import { readFileSync } from 'node:fs';
import { PARTICIPANT_NAME } from '../core/config/consortium.ts';
import { CohortError, GeneralErrors } from '../core/errors/index.ts';
import { siteClient } from '../core/rpc/clients.ts';
import { certificateFingerprint, exchangeKeyFingerprint, isFingerprint, signingKeyFingerprint } from '../core/secure-agg/fingerprints.ts';
import type { AwaitingConfirmation } from '../core/secure-agg/roster.ts';
import { HeKeyStore } from './he-keys.ts';
import { runKeyCeremony, type CeremonyResult } from './key-ceremony.ts';
import { loadSiteKitAndConfig } from './site-init.ts';
import { loadSiteKey } from './site-key.ts';

/** What `cohort site fingerprint` prints. */
export interface SiteFingerprints {
  readonly site: string;
  /** SHA-256 of the site's certificate (DER), `SHA256:` base64 (core/secure-agg/fingerprints.ts). */
  readonly certificateFingerprint: string;
  /**
   * SHA-256 of the public key of the site's certificate (SPKI DER): at the key holder, the value
   * every other site pins as `keyHolderKey`. Unchanged when the certificate is renewed for the same key.
   */
  readonly signingKeyFingerprint: string;
  /** SHA-256 of the site's X25519 exchange public key (SPKI DER), the one its agent announces. */
  readonly exchangeKeyFingerprint: string;
  /** True when the exchange key did not exist yet and was made now, as the agent makes it on its first connect. */
  readonly exchangeKeyCreated: boolean;
}

/**
 * The fingerprints of the site that `kitDir` and `configPath` describe: its certificate and the
 * exchange key sealed in its data directory (created there, as the agent would, if missing).
 */
export function siteFingerprints(kitDir: string, configPath: string): SiteFingerprints {
  const { kit, config } = loadSiteKitAndConfig(kitDir, configPath);
  const keys = new HeKeyStore(config.dataDir, loadSiteKey(config));
  const exchangeKeyCreated = !keys.hasExchangeKey();
  const { publicKeyDer } = keys.exchangeKey();
  return {
    site: kit.name,
    certificateFingerprint: certificateFingerprint(kit.certPem),
    signingKeyFingerprint: signingKeyFingerprint(kit.certPem),
    exchangeKeyFingerprint: exchangeKeyFingerprint(publicKeyDer),
    exchangeKeyCreated,
  };
}

/** Parses repeated `--accept <site>=<exchange-key fingerprint>` values. Throws GENERAL_USAGE on a malformed one. */
export function parseAccepts(values: readonly string[]): Map<string, string> {
  const accept = new Map<string, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const site = eq < 0 ? v : v.slice(0, eq);
    const fp = eq < 0 ? '' : v.slice(eq + 1);
    if (!PARTICIPANT_NAME.test(site) || !isFingerprint(fp)) {
      throw new CohortError(GeneralErrors.USAGE, `--accept "${v}": expected <site>=SHA256:<43 base64 characters>, the exchange-key fingerprint that \`cohort site fingerprint\` prints at that site`, { details: { value: v } });
    }
    const before = accept.get(site);
    if (before !== undefined && before !== fp) throw new CohortError(GeneralErrors.USAGE, `--accept names ${site} twice, with two fingerprints`, { details: { site } });
    accept.set(site, fp);
  }
  return accept;
}

export interface KeyHolderCeremonyOptions {
  readonly address?: string;
  readonly accept?: ReadonlyMap<string, string>;
  /** A CRL file (`--crl`) to check revocation against instead of the coordinator's. */
  readonly crlFile?: string;
  /** The interactive confirmation (the CLI's prompt); absent: sites not confirmed wait. */
  readonly confirm?: (site: AwaitingConfirmation) => Promise<boolean>;
  /** `--rebuild-roster`: the roster is lost for good; start an empty one, every member confirmed again. */
  readonly rebuildRoster?: boolean;
}

/** Runs the key holder's ceremony with the site's kit and config (`cohort site key-ceremony`). */
export async function keyHolderCeremony(kitDir: string, configPath: string, options: KeyHolderCeremonyOptions = {}): Promise<CeremonyResult> {
  const { kit, config } = loadSiteKitAndConfig(kitDir, configPath);
  const keys = new HeKeyStore(config.dataDir, loadSiteKey(config));
  let crl: { pem: string; source: string } | undefined;
  if (options.crlFile !== undefined) {
    try {
      crl = { pem: readFileSync(options.crlFile, 'utf8'), source: options.crlFile };
    } catch (e) {
      throw new CohortError(GeneralErrors.USAGE, `--crl ${options.crlFile}: cannot read it (${(e as Error).message})`, { details: { file: options.crlFile }, cause: e });
    }
  }
  const client = siteClient(kit, options.address);
  try {
    return await runKeyCeremony(client, kit, keys, {
      ...(options.accept === undefined ? {} : { accept: options.accept }),
      ...(options.confirm === undefined ? {} : { confirm: options.confirm }),
      ...(crl === undefined ? {} : { crl }),
      ...(options.rebuildRoster === true ? { rebuildRoster: true } : {}),
    });
  } finally {
    client.close();
  }
}
