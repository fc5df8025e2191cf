/**
 * The key holder's roster: the sites its IT has confirmed to receive the consortium HE key,
 * each with the certificate and exchange key it had when confirmed (./fingerprints.ts) and
 * the issue time of the newest announcement accepted from it.
 *
 * Why: the CA check alone lets the operator, who runs the CA, issue a certificate for a
 * site name (or add a site "mallory") and announce an exchange key of its own; the key holder
 * would seal the key to it. With the roster, the key holder seals only to a site whose current
 * announcement matches its entry. A new site, or a known one whose certificate or exchange key
 * changed, waits until the key holder's IT confirms its fingerprint, compared out of band
 * with what the site prints (`cohort site fingerprint`), as SSH asks about a new host key.
 *
 * This module decides; the site agent stores the roster (sealed at rest) and asks.
 */
import { CohortError, SecureAggErrors, isCohortError } from '../errors/index.ts';
import type { CeremonyCrl } from './crl-check.ts';
import { msOf, verifyExchangeKey, type CeremonyIdentity, type VerifiedExchangeKey } from './key-ceremony.ts';

export const ROSTER_VERSION = 1;

/** One confirmed site. Times are ISO 8601 UTC. */
export interface RosterMember {
  readonly site: string;
  readonly certificateFingerprint: string;
  readonly exchangeKeyFingerprint: string;
  readonly confirmedAt: string;
  /** issuedAt of the newest announcement accepted from this site: older ones are replays. */
  readonly lastIssuedAt: string;
}

export interface Roster {
  readonly v: typeof ROSTER_VERSION;
  readonly consortium: string;
  /** Sorted by site; at most one per site. The key holder itself is implicit, never listed. */
  readonly members: readonly RosterMember[];
  /** The highest CRL number the key holder has verified: a lower one is an older CRL played back. */
  readonly crlNumber?: number;
}

/** Why a verified site is not sealed to yet. */
export type AwaitingReason = 'new' | 'certificate-changed' | 'exchange-key-changed' | 'certificate-and-exchange-key-changed';

/** A site waiting for the key holder's IT to confirm it (`--json`: `awaitingConfirmation[]`). */
export interface AwaitingConfirmation {
  readonly site: string;
  readonly certificateFingerprint: string;
  readonly exchangeKeyFingerprint: string;
  readonly reason: AwaitingReason;
}

export interface Refusal {
  readonly site: string;
  readonly code: string;
  readonly message: string;
}

export function emptyRoster(consortium: string): Roster {
  return { v: ROSTER_VERSION, consortium, members: [] };
}

/** Reads a stored roster (JSON) for `consortium`; throws SECURE_AGG_KEY_CEREMONY when it is not one. */
export function parseRoster(json: string, consortium: string, source: string): Roster {
  const fail = (why: string): CohortError => new CohortError(SecureAggErrors.KEY_CEREMONY, `roster ${source}: ${why}`, { details: { source } });
  let r: Partial<Roster>;
  try {
    r = JSON.parse(json) as Partial<Roster>;
  } catch {
    throw fail('not JSON');
  }
  if (typeof r !== 'object' || r === null || r.v !== ROSTER_VERSION || !Array.isArray(r.members)) throw fail(`not a version ${ROSTER_VERSION} roster`);
  if (r.consortium !== consortium) throw fail(`belongs to consortium "${String(r.consortium)}", not "${consortium}"`);
  for (const m of r.members as unknown[]) {
    const e = m as Partial<RosterMember>;
    if (typeof e !== 'object' || e === null || [e.site, e.certificateFingerprint, e.exchangeKeyFingerprint, e.confirmedAt, e.lastIssuedAt].some((f) => typeof f !== 'string')) throw fail('malformed member');
  }
  if (r.crlNumber !== undefined && !Number.isSafeInteger(r.crlNumber)) throw fail('malformed crlNumber');
  return r as Roster;
}

export function rosterMember(roster: Roster, site: string): RosterMember | undefined {
  return roster.members.find((m) => m.site === site);
}

function withMember(roster: Roster, member: RosterMember): Roster {
  const members = [...roster.members.filter((m) => m.site !== member.site), member].sort((a, b) => (a.site < b.site ? -1 : a.site > b.site ? 1 : 0));
  return { ...roster, members };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The roster with `key` confirmed (by the key holder's IT) as its site's current certificate and exchange key. */
export function confirmMember(roster: Roster, key: VerifiedExchangeKey, now: Date | number = Date.now()): Roster {
  const at = msOf(now);
  return withMember(roster, {
    site: key.site,
    certificateFingerprint: key.certificateFingerprint,
    exchangeKeyFingerprint: key.exchangeKeyFingerprint,
    confirmedAt: iso(at),
    lastIssuedAt: iso(key.issuedAtMs),
  });
}

function awaitingReason(member: RosterMember | undefined, key: VerifiedExchangeKey): AwaitingReason | undefined {
  if (member === undefined) return 'new';
  const cert = member.certificateFingerprint !== key.certificateFingerprint;
  const exchange = member.exchangeKeyFingerprint !== key.exchangeKeyFingerprint;
  if (cert && exchange) return 'certificate-and-exchange-key-changed';
  if (cert) return 'certificate-changed';
  if (exchange) return 'exchange-key-changed';
  return undefined;
}

export interface ScreenInput {
  readonly holder: Pick<CeremonyIdentity, 'name' | 'consortium' | 'caPem'>;
  /** What the coordinator lists; `sealed`: it already holds a copy sealed to this announcement's key. */
  readonly recipients: readonly { readonly site: string; readonly announcementJson: string; readonly sealed?: boolean }[];
  readonly roster: Roster;
  /** A CRL the key holder verified itself (./crl-check.ts). */
  readonly crl: Pick<CeremonyCrl, 'isRevoked'>;
  /** site -> exchange-key fingerprint its IT confirmed out of band (`--accept site=fingerprint`). */
  readonly accept?: ReadonlyMap<string, string>;
  readonly now?: Date | number;
}

export interface ScreenResult {
  /** Verified, current, and on the roster (or confirmed by `accept`) with this certificate and key: seal to these. */
  readonly seal: readonly VerifiedExchangeKey[];
  /** Sites the coordinator says hold a copy already: left alone, not checked again. */
  readonly alreadySealed: readonly string[];
  /** Verified and current, but not (or no longer) on the roster: nothing is sealed to them until confirmed. */
  readonly awaiting: readonly { readonly confirmation: AwaitingConfirmation; readonly key: VerifiedExchangeKey }[];
  /** Failed a check (signature, CA, revocation, time window, replay, a wrong `accept` fingerprint). */
  readonly refused: readonly Refusal[];
  /** Sites added to (or updated in) the roster by `accept`. */
  readonly confirmed: readonly string[];
  /** The roster after this screening: newest accepted issue times, members confirmed by `accept`. */
  readonly roster: Roster;
}

/**
 * The key holder's decision for each listed site: verify the announcement (CA, identity,
 * revocation against `crl`, signature, time window), refuse one older than the roster's newest
 * for that site (SECURE_AGG_ANNOUNCEMENT_REPLAYED), then seal only to a site whose certificate
 * and exchange-key fingerprints equal its roster entry. A site that `accept` names is confirmed
 * when the fingerprint given equals the announced one, and refused with
 * SECURE_AGG_CONFIRMATION_MISMATCH otherwise (also when it announces nothing). Pure: the caller
 * stores the returned roster.
 */
export function screenAnnouncements(input: ScreenInput): ScreenResult {
  const { holder, crl } = input;
  const now = msOf(input.now);
  const accept = input.accept ?? new Map<string, string>();
  let roster = input.roster;
  const seal: VerifiedExchangeKey[] = [];
  const alreadySealed: string[] = [];
  const awaiting: { confirmation: AwaitingConfirmation; key: VerifiedExchangeKey }[] = [];
  const refused: Refusal[] = [];
  const confirmed: string[] = [];
  const refuse = (e: CohortError, site: string): void => {
    refused.push({ site, code: e.code, message: e.message });
  };
  for (const r of input.recipients) {
    if (r.site === holder.name) continue;
    if (r.sealed === true) {
      alreadySealed.push(r.site);
      continue;
    }
    let key: VerifiedExchangeKey;
    try {
      key = verifyExchangeKey(r.announcementJson, { caPem: holder.caPem, consortium: holder.consortium, site: r.site, now, isRevoked: (s) => crl.isRevoked(s) });
    } catch (e) {
      if (!isCohortError(e)) throw e;
      refuse(e, r.site);
      continue;
    }
    const member = rosterMember(roster, r.site);
    if (member !== undefined && key.issuedAtMs < Date.parse(member.lastIssuedAt)) {
      refuse(
        new CohortError(
          SecureAggErrors.ANNOUNCEMENT_REPLAYED,
          `exchange key of ${r.site}: the announcement is issued at ${iso(key.issuedAtMs)}, before ${member.lastIssuedAt}, the newest this key holder already accepted from ${r.site}: an old announcement played back`,
          { details: { site: r.site, issuedAt: iso(key.issuedAtMs), lastIssuedAt: member.lastIssuedAt } },
        ),
        r.site,
      );
      continue;
    }
    const given = accept.get(r.site);
    if (given !== undefined && given !== key.exchangeKeyFingerprint) {
      refuse(
        new CohortError(
          SecureAggErrors.CONFIRMATION_MISMATCH,
          `--accept ${r.site}=${given}: ${r.site} announces exchange key ${key.exchangeKeyFingerprint} (certificate ${key.certificateFingerprint}); nothing is sealed to it`,
          { details: { site: r.site, given, announced: key.exchangeKeyFingerprint } },
        ),
        r.site,
      );
      continue;
    }
    const reason = awaitingReason(member, key);
    if (reason === undefined) {
      // On the roster as announced (so `member` is set; older announcements were refused above):
      // this one's issue time becomes the replay bound.
      roster = withMember(roster, { ...(member as RosterMember), lastIssuedAt: iso(key.issuedAtMs) });
      seal.push(key);
    } else if (given !== undefined) {
      roster = confirmMember(roster, key, now);
      confirmed.push(r.site);
      seal.push(key);
    } else {
      awaiting.push({ confirmation: { site: r.site, certificateFingerprint: key.certificateFingerprint, exchangeKeyFingerprint: key.exchangeKeyFingerprint, reason }, key });
    }
  }
  const listed = new Set(input.recipients.map((r) => r.site));
  for (const [site, given] of accept) {
    if (listed.has(site) || site === holder.name) continue;
    refuse(
      new CohortError(SecureAggErrors.CONFIRMATION_MISMATCH, `--accept ${site}=${given}: the coordinator lists no exchange-key announcement from ${site}; nothing is sealed to it`, { details: { site, given } }),
      site,
    );
  }
  return { seal, alreadySealed, awaiting, refused, confirmed, roster };
}
