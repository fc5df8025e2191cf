/**
 * The sites' side of the key ceremony over the coordinator (see core/secure-agg/key-ceremony.ts
 * for the cryptography): every agent publishes its signed exchange key when it connects and
 * fetches its sealed copy of the consortium key when a run needs it; the key holder runs
 * {@link runKeyCeremony} (`cohort site key-ceremony`) to make the key and seal it to every site
 * that has published a current exchange key, is not revoked by the CRL the key holder checks
 * itself, and is on the key holder's roster of confirmed sites (core/secure-agg/roster.ts),
 * again whenever sites are added.
 */
import { CohortError, GeneralErrors, SecureAggErrors } from '../core/errors/index.ts';
import type { Kit } from '../core/pki/kit.ts';
import { unary } from '../core/rpc/clients.ts';
import { consortiumKeyContext } from '../core/secure-agg/parameters.ts';
import { generateConsortiumKey } from '../core/secure-agg/keys.ts';
import { verifyCeremonyCrl } from '../core/secure-agg/crl-check.ts';
import { announceExchangeKey, keyHolderNotPinned, openSealedKey, sealSecretKey, type HeKeyParameters, type KeyHolderPin, type VerifiedExchangeKey } from '../core/secure-agg/key-ceremony.ts';
import { signingKeyFingerprint } from '../core/secure-agg/fingerprints.ts';
import { confirmMember, rosterMember, screenAnnouncements, type AwaitingConfirmation, type Refusal } from '../core/secure-agg/roster.ts';
import type { CrlResponse__Output } from '../protos/gen/cohort/v1/CrlResponse.ts';
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
  /** Sites whose announcement failed a check (CA, revocation, time window, replay, a wrong --accept): nothing was sealed to them. */
  readonly refused: readonly Refusal[];
  /** Verified sites not on the roster (new, or their certificate or exchange key changed): nothing sealed until confirmed. */
  readonly awaitingConfirmation: readonly AwaitingConfirmation[];
  /** Sites confirmed (added to the roster, or updated there) by this call. */
  readonly confirmed: readonly string[];
  readonly params: HeKeyParameters;
}

export interface CeremonyOptions {
  /** site -> exchange-key fingerprint, confirmed out of band (`--accept site=fingerprint`). */
  readonly accept?: ReadonlyMap<string, string>;
  /** Asked for each site still awaiting confirmation (the interactive prompt); true adds it to the roster. */
  readonly confirm?: (site: AwaitingConfirmation) => Promise<boolean>;
  /** The CRL to check revocation against (`--crl`); default: what the coordinator serves (GetCrl). */
  readonly crl?: { readonly pem: string; readonly source: string };
  /** The key holder's clock (tests). */
  readonly now?: () => number;
  /**
   * `--rebuild-roster`: the roster file is lost for good while the key is held. Starts an empty
   * roster (no CRL-number or replay floor) on which every member must be confirmed again
   * (`accept` / `confirm`, in this or a later run); sites that hold a copy already wait under
   * `awaitingConfirmation` like the others until then, and are not sealed to again. Refused
   * (GENERAL_USAGE) while the roster file exists.
   */
  readonly rebuildRoster?: boolean;
}

/** Publishes this site's signed X25519 exchange key, freshly dated (the agent does it on connect and every 12 h). */
export async function publishExchangeKey(client: SiteServiceClient, kit: Kit, keys: HeKeyStore, options: { now?: number } = {}): Promise<void> {
  const announcement = announceExchangeKey(kit, keys.exchangeKey().publicKeyDer, options.now === undefined ? {} : { now: options.now });
  await unary((o, cb) => client.publishExchangeKey({ announcementJson: JSON.stringify(announcement) }, o, cb));
}

/**
 * The key holder's ceremony: checks the CRL (the coordinator's, or `options.crl`) against its
 * own CA certificate, generates the consortium key on the first call, then seals it to every
 * site that does not have it yet whose announcement verifies and matches its roster entry (or
 * that `accept` / `confirm` confirms now), and publishes the sealed copies with the key's
 * public parameters. Throws SECURE_AGG_KEY_CEREMONY when this site is not the key holder or
 * has lost the key it published, SECURE_AGG_ROSTER_MISSING when it holds a key but its roster
 * file is gone (unless `rebuildRoster`), SECURE_AGG_CRL_INVALID / CRL_STALE when the CRL fails.
 */
export async function runKeyCeremony(client: SiteServiceClient, kit: Kit, keys: HeKeyStore, options: CeremonyOptions = {}): Promise<CeremonyResult> {
  if (kit.keyHolder === undefined || kit.keyHolder !== kit.name) {
    throw new CohortError(SecureAggErrors.KEY_CEREMONY, `site "${kit.name}" is not the consortium's key holder ("${kit.keyHolder ?? 'none in its kit'}"); run the ceremony there`);
  }
  const now = options.now ?? Date.now;
  const rebuild = options.rebuildRoster === true;
  if (keys.hasRoster()) {
    if (rebuild) throw new CohortError(GeneralErrors.USAGE, `--rebuild-roster: the roster ${keys.rosterFile()} is present, so there is nothing to rebuild; run without --rebuild-roster`, { details: { roster: keys.rosterFile() } });
  } else if (!rebuild) {
    // Deleting the roster must not silently empty it: that would also drop the CRL-number and replay floors.
    const held = keys.heldKeyIds();
    if (held.length > 0) {
      throw new CohortError(
        SecureAggErrors.ROSTER_MISSING,
        `this key holder holds HE key ${held.join(', ')} but its roster ${keys.rosterFile()} is missing; restore it from backup, or, if it is lost for good, rerun with --rebuild-roster and confirm every member again with --accept <site>=<fingerprint>`,
        { details: { roster: keys.rosterFile(), keyIds: held } },
      );
    }
  }
  let roster = keys.roster(kit.consortium);
  const crlGiven = options.crl ?? { pem: (await unary<CrlResponse__Output>((o, cb) => client.getCrl({}, o, cb))).crlPem, source: 'served by the coordinator' };
  const crl = await verifyCeremonyCrl(crlGiven.pem, kit.caPem, { source: crlGiven.source, now: now(), ...(roster.crlNumber === undefined ? {} : { minCrlNumber: roster.crlNumber }) });
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
  // A new key is sealed to everyone, whatever the coordinator remembers.
  const holdingCopy = new Set(status.recipients.filter((r) => r.sealed && !generated).map((r) => r.site));
  const screened = screenAnnouncements({
    holder: kit,
    // A site holding a copy but not on the roster (it was rebuilt) is screened and confirmed again; it is not sealed to again.
    recipients: status.recipients.map((r) => ({ site: r.site, announcementJson: r.announcementJson, sealed: holdingCopy.has(r.site) && rosterMember(roster, r.site) !== undefined })),
    roster,
    crl,
    ...(options.accept === undefined ? {} : { accept: options.accept }),
    now: now(),
  });
  roster = screened.roster;
  const toSeal: VerifiedExchangeKey[] = [...screened.seal];
  const confirmed = [...screened.confirmed];
  const awaitingConfirmation: AwaitingConfirmation[] = [];
  for (const { confirmation, key } of screened.awaiting) {
    if (options.confirm !== undefined && (await options.confirm(confirmation))) {
      roster = confirmMember(roster, key, now());
      confirmed.push(key.site);
      toSeal.push(key);
    } else {
      awaitingConfirmation.push(confirmation);
    }
  }
  if (crl.crlNumber !== undefined && (roster.crlNumber === undefined || crl.crlNumber > roster.crlNumber)) roster = { ...roster, crlNumber: crl.crlNumber };
  // The confirmations are the key holder's IT's decisions: kept even if publishing fails below.
  keys.saveRoster(roster);
  // Confirmed again after a rebuild, but holding a copy already: nothing to seal.
  const reconfirmed = toSeal.filter((k) => holdingCopy.has(k.site)).map((k) => k.site);
  const sealed = toSeal
    .filter((k) => !holdingCopy.has(k.site))
    .map((k) => ({ site: k.site, sealedJson: JSON.stringify(sealSecretKey(kit, { site: k.site, publicKeyDer: k.publicKeyDer }, params, secretKey)) }));
  await unary((o, cb) => client.publishSealedKeys({ paramsJson: JSON.stringify(params), sealed }, o, cb));
  return {
    keyId: params.keyId,
    generated,
    sealedFor: sealed.map((s) => s.site),
    alreadySealed: [...screened.alreadySealed, ...reconfirmed].sort(),
    refused: screened.refused,
    awaitingConfirmation,
    confirmed,
    params,
  };
}

/**
 * Makes sure this site holds HE key `keyId`: fetches its sealed copy from the coordinator and
 * opens it, checking it comes from the key holder its kit names, signed under the key its
 * config pins (`keyHolderKey`; the key holder itself trusts only its own certificate key).
 * Throws SECURE_AGG_KEY_HOLDER_NOT_PINNED when no key is pinned, SECURE_AGG_NO_KEY when nothing
 * was sealed to this site yet, SECURE_AGG_KEY_HOLDER_MISMATCH when the copy is signed under
 * another key, SECURE_AGG_KEY_CEREMONY when it fails its other checks.
 */
export async function ensureHeKey(client: SiteServiceClient, kit: Kit, keys: HeKeyStore, keyId: string, keyHolderKey: string | undefined): Promise<void> {
  if (keys.has(keyId)) return;
  if (kit.keyHolder === undefined) throw new CohortError(SecureAggErrors.KEY_CEREMONY, `kit ${kit.dir} names no key holder; re-issue it with a current provisioner`);
  const pin: KeyHolderPin = { name: kit.keyHolder, signingKey: kit.keyHolder === kit.name ? signingKeyFingerprint(kit.certPem) : keyHolderKey };
  // Refused before asking the coordinator for anything.
  if (pin.signingKey === undefined) throw keyHolderNotPinned(kit.name, kit.keyHolder);
  const res = await unary<SealedKeyResponse__Output>((o, cb) => client.getSealedKey({ keyId }, o, cb));
  const { secretKey, params } = openSealedKey(res.sealedJson, kit, pin, keys.exchangeKey().privateKeyDer);
  if (params.keyId !== keyId) throw new CohortError(SecureAggErrors.KEY_CEREMONY, `asked for HE key ${keyId}, the sealed copy holds ${params.keyId}`);
  keys.save(params, secretKey);
  secretKey.fill(0);
}
