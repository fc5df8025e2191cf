/**
 * The sites' side of the key ceremony over the coordinator (see core/secure-agg/key-ceremony.ts
 * for the cryptography): every agent publishes its signed exchange key when it connects and
 * fetches its sealed copy of the consortium key when a run needs it; the key holder runs
 * {@link runKeyCeremony} (`cohort site key-ceremony`) to make the key and seal it to every site
 * that has published an exchange key, again whenever sites are added.
 */
import { CohortError, SecureAggErrors, isCohortError } from '../core/errors/index.ts';
import type { Kit } from '../core/pki/kit.ts';
import { unary } from '../core/rpc/clients.ts';
import { consortiumKeyContext } from '../core/secure-agg/parameters.ts';
import { generateConsortiumKey } from '../core/secure-agg/keys.ts';
import {
  announceExchangeKey,
  openSealedKey,
  sealSecretKey,
  verifyExchangeKey,
  type HeKeyParameters,
} from '../core/secure-agg/key-ceremony.ts';
import type { KeyCeremonyStatus__Output } from '../protos/gen/cohort/v1/KeyCeremonyStatus.ts';
import type { SealedKeyResponse__Output } from '../protos/gen/cohort/v1/SealedKeyResponse.ts';
import type { SiteServiceClient } from '../protos/gen/cohort/v1/SiteService.ts';
import type { HeKeyStore } from './he-keys.ts';

export interface CeremonyResult {
  readonly keyId: string;
  /** True when this call generated the key (the first ceremony). */
  readonly generated: boolean;
  readonly sealedFor: readonly string[];
  readonly alreadySealed: readonly string[];
  /** Sites whose exchange key failed verification: nothing was sealed to them. */
  readonly refused: readonly { site: string; code: string; message: string }[];
  readonly params: HeKeyParameters;
}

/** Publishes this site's signed X25519 exchange key (idempotent). */
export async function publishExchangeKey(client: SiteServiceClient, kit: Kit, keys: HeKeyStore): Promise<void> {
  const announcement = announceExchangeKey(kit, keys.exchangeKey().publicKeyDer);
  await unary((o, cb) => client.publishExchangeKey({ announcementJson: JSON.stringify(announcement) }, o, cb));
}

/**
 * The key holder's ceremony: generates the consortium key on the first call, then seals it to
 * every site with a verified exchange key that does not have it yet, and publishes the
 * sealed copies with the key's public parameters. Throws SECURE_AGG_KEY_CEREMONY when this
 * site is not the key holder or has lost the key it published.
 */
export async function runKeyCeremony(client: SiteServiceClient, kit: Kit, keys: HeKeyStore): Promise<CeremonyResult> {
  if (kit.keyHolder === undefined || kit.keyHolder !== kit.name) {
    throw new CohortError(SecureAggErrors.KEY_CEREMONY, `site "${kit.name}" is not the consortium's key holder ("${kit.keyHolder ?? 'none in its kit'}"); run the ceremony there`);
  }
  await publishExchangeKey(client, kit, keys);
  const status = await unary<KeyCeremonyStatus__Output>((o, cb) => client.getKeyCeremony({}, o, cb));
  let params: HeKeyParameters;
  let secretKey: Uint8Array;
  let generated = false;
  if (status.paramsJson === '') {
    const key = await generateConsortiumKey(await consortiumKeyContext());
    keys.save(key.params, key.secretKey);
    ({ params, secretKey } = key);
    generated = true;
  } else {
    const published = JSON.parse(status.paramsJson) as HeKeyParameters;
    const held = keys.secretKey(published.keyId);
    // The key holder seals its own record of the parameters, not what the coordinator relays.
    params = keys.params(published.keyId) ?? published;
    if (held === undefined) {
      throw new CohortError(SecureAggErrors.KEY_CEREMONY, `the coordinator holds HE key ${params.keyId}, but this key holder's data directory does not; restore it from backup`);
    }
    secretKey = held;
  }
  const sealed: { site: string; sealedJson: string }[] = [];
  const alreadySealed: string[] = [];
  const refused: { site: string; code: string; message: string }[] = [];
  for (const r of status.recipients) {
    if (r.site === kit.name) continue;
    if (r.sealed && !generated) {
      alreadySealed.push(r.site);
      continue;
    }
    try {
      const publicKeyDer = verifyExchangeKey(r.announcementJson, { caPem: kit.caPem, consortium: kit.consortium, site: r.site });
      sealed.push({ site: r.site, sealedJson: JSON.stringify(sealSecretKey(kit, { site: r.site, publicKeyDer }, params, secretKey)) });
    } catch (e) {
      if (!isCohortError(e)) throw e;
      refused.push({ site: r.site, code: e.code, message: e.message });
    }
  }
  await unary((o, cb) => client.publishSealedKeys({ paramsJson: JSON.stringify(params), sealed }, o, cb));
  return { keyId: params.keyId, generated, sealedFor: sealed.map((s) => s.site), alreadySealed, refused, params };
}

/**
 * Makes sure this site holds HE key `keyId`: fetches its sealed copy from the coordinator and
 * opens it (checking it comes from the key holder). Throws SECURE_AGG_NO_KEY when nothing was
 * sealed to this site yet, SECURE_AGG_KEY_CEREMONY when the copy fails its checks.
 */
export async function ensureHeKey(client: SiteServiceClient, kit: Kit, keys: HeKeyStore, keyId: string): Promise<void> {
  if (keys.has(keyId)) return;
  if (kit.keyHolder === undefined) throw new CohortError(SecureAggErrors.KEY_CEREMONY, `kit ${kit.dir} names no key holder; re-issue it with a current provisioner`);
  const res = await unary<SealedKeyResponse__Output>((o, cb) => client.getSealedKey({ keyId }, o, cb));
  const { secretKey, params } = openSealedKey(res.sealedJson, kit, kit.keyHolder, keys.exchangeKey().privateKeyDer);
  if (params.keyId !== keyId) throw new CohortError(SecureAggErrors.KEY_CEREMONY, `asked for HE key ${keyId}, the sealed copy holds ${params.keyId}`);
  keys.save(params, secretKey);
  secretKey.fill(0);
}
