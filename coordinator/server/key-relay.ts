/**
 * The coordinator's checks on key-ceremony messages it relays. It cannot verify what
 * matters (signatures and sealing are checked by the sites, which hold the CA and the keys
 * that count); it refuses what is plainly malformed or claims to be from or for a site
 * other than the caller, so that a site cannot overwrite another site's entries. It also
 * remembers the key of the certificate that first published the HE key and never replaces a
 * sealed copy, so that the operator, who can issue a certificate for the key holder's name,
 * cannot replace copies not yet fetched without the coordinator's help (the sites' pin of the
 * key holder's key stops it even with that help).
 */
import { createHash } from 'node:crypto';
import { CohortError, PkiErrors, SecureAggErrors } from '../../core/errors/index.ts';
import { identityFromCertificate } from '../../core/pki/identity.ts';
import { signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import type { CallWithAuthContext, RevocationGuard } from '../../core/tls/credentials.ts';
import type { ExchangeKeyAnnouncement, HeKeyParameters, SealedHeKey } from '../../core/secure-agg/key-ceremony.ts';

function malformed(what: string, why: string): CohortError {
  return new CohortError(SecureAggErrors.KEY_CEREMONY, `${what}: ${why}`, { details: { what } });
}

function parseObject(json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw malformed(what, 'not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(what, 'not a JSON object');
  return value as Record<string, unknown>;
}

/** An exchange-key announcement must be version 2 (with its time window) and for the calling site of this consortium. */
export function checkAnnouncementShape(json: string, caller: string, consortium: string): void {
  const a = parseObject(json, 'exchange key') as Partial<ExchangeKeyAnnouncement>;
  if ((a.v as number | undefined) === 1) throw malformed('exchange key', 'announcement version 1 (no issue or expiry time) is no longer accepted; upgrade the site agent');
  if (a.v !== 2 || typeof a.publicKey !== 'string' || typeof a.signature !== 'string' || typeof a.certificatePem !== 'string' || typeof a.issuedAt !== 'string' || typeof a.expiresAt !== 'string') {
    throw malformed('exchange key', 'missing fields');
  }
  if (a.site !== caller || a.consortium !== consortium) throw malformed('exchange key', `announced for "${String(a.site)}" of "${String(a.consortium)}", but the caller is "${caller}" of "${consortium}"`);
}

/** The HE key's public parameters: ids in hex and the three numbers SEAL builds a context from. */
export function checkKeyParameters(json: string): HeKeyParameters {
  const p = parseObject(json, 'HE key parameters') as Partial<HeKeyParameters>;
  const ok =
    typeof p.keyId === 'string' &&
    /^[0-9a-f]{32}$/.test(p.keyId) &&
    typeof p.paramsId === 'string' &&
    /^[0-9a-f]{64}$/.test(p.paramsId) &&
    Number.isInteger(p.polyModulusDegree) &&
    Array.isArray(p.coeffModulusBits) &&
    p.coeffModulusBits.every((b) => Number.isInteger(b)) &&
    typeof p.plainModulus === 'string' &&
    /^[0-9]+$/.test(p.plainModulus);
  if (!ok) throw malformed('HE key parameters', 'expected keyId (32 hex), paramsId (64 hex), polyModulusDegree, coeffModulusBits and plainModulus');
  // Only the public fields are kept: nothing else can ride along into the coordinator's state.
  return { keyId: p.keyId!, paramsId: p.paramsId!, polyModulusDegree: p.polyModulusDegree!, coeffModulusBits: p.coeffModulusBits!, plainModulus: p.plainModulus! };
}

/** A sealed key must be addressed to the site it is filed under, for the key being published, from the caller. */
export function checkSealedKeyShape(json: string, site: string, keyId: string, sender: string): void {
  const s = parseObject(json, `sealed key for ${site}`) as Partial<SealedHeKey>;
  if (s.v !== 1 || typeof s.ciphertext !== 'string' || typeof s.signature !== 'string' || typeof s.recipientKeySha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.recipientKeySha256)) {
    throw malformed(`sealed key for ${site}`, 'missing fields');
  }
  if (s.recipient !== site) throw malformed(`sealed key for ${site}`, `addressed to "${String(s.recipient)}"`);
  if (s.sender !== sender) throw malformed(`sealed key for ${site}`, `claims sender "${String(s.sender)}", the caller is "${sender}"`);
  if (s.params?.keyId !== keyId) throw malformed(`sealed key for ${site}`, `holds key ${String(s.params?.keyId)}, the published key is ${keyId}`);
}

/** Whether a stored announcement was signed under a certificate the coordinator's CRL now revokes. */
export function announcedByRevoked(announcementJson: string, guard: RevocationGuard): boolean {
  try {
    const a = JSON.parse(announcementJson) as Partial<ExchangeKeyAnnouncement>;
    return guard.isRevoked(identityFromCertificate(String(a.certificatePem)).serial);
  } catch {
    return true; // unreadable: never offer it for sealing
  }
}

/** Whether a stored sealed copy was sealed to the exchange key the site announces now. */
export function sealedToCurrentKey(sealedJson: string | undefined, announcementJson: string): boolean {
  if (sealedJson === undefined) return false;
  try {
    const sealed = JSON.parse(sealedJson) as Partial<SealedHeKey>;
    const a = JSON.parse(announcementJson) as Partial<ExchangeKeyAnnouncement>;
    const current = createHash('sha256').update(Buffer.from(String(a.publicKey), 'base64')).digest('hex');
    return sealed.recipientKeySha256 === current;
  } catch {
    return false;
  }
}

/** The signing-key fingerprint (SPKI SHA-256) of the caller's verified client certificate. */
export function callerSigningKey(call: CallWithAuthContext): string {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (raw === undefined) throw new CohortError(PkiErrors.NO_PEER_CERTIFICATE, 'the call carries no verified client certificate (mutual TLS is required)');
  return signingKeyFingerprint(raw);
}

/**
 * Refuses (SECURE_AGG_KEY_PUBLISHER_MISMATCH) a publish of HE key `keyId` from a certificate
 * whose key is not `recorded`, the key of the certificate that first published it.
 */
export function checkPublisherKey(keyId: string, recorded: string, caller: { name: string; signingKey: string }): void {
  if (caller.signingKey === recorded) return;
  throw new CohortError(
    SecureAggErrors.KEY_PUBLISHER_MISMATCH,
    `HE key ${keyId} was published under a certificate with key ${recorded}; "${caller.name}" calls with a certificate for key ${caller.signingKey}, so nothing is stored`,
    { details: { keyId, recorded, caller: caller.signingKey } },
  );
}

/**
 * What storing sealed copy `next` for `site` does, given the copy stored now: `insert` (none,
 * or one sealed to an earlier exchange key of the site, which it replaces), `unchanged` (the
 * same copy again). A different copy sealed to the same exchange key is refused
 * (SECURE_AGG_SEALED_KEY_EXISTS): a stored copy is never overwritten.
 */
export function sealedCopyChange(existing: string | undefined, next: string, site: string): 'insert' | 'unchanged' {
  if (existing === undefined) return 'insert';
  if (existing === next) return 'unchanged';
  const to = (json: string): string | undefined => {
    try {
      return String((JSON.parse(json) as Partial<SealedHeKey>).recipientKeySha256);
    } catch {
      return undefined;
    }
  };
  const key = to(next);
  if (to(existing) !== key) return 'insert';
  throw new CohortError(
    SecureAggErrors.SEALED_KEY_EXISTS,
    `sealed key for ${site}: a different copy sealed to the same exchange key (${String(key)}) is stored already, and a stored copy is never replaced`,
    { details: { site, recipientKeySha256: key } },
  );
}
