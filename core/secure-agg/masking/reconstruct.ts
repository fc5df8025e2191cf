/**
 * The coordinator's side of unmasking, before any ciphertext is touched: rebuild the self-mask
 * seeds of the survivors and the mask keys of the dropped sites from the shares the survivors
 * released, and check each rebuilt secret against what its owner signed (the b_u commitment,
 * the advertised mask public key). Imports no module that handles the HE key.
 */
import { combine } from 'shamir-secret-sharing';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import { checkShareCommitment, selfSeedCommitment, x25519PrivateFromRaw, x25519PublicOf, type MaskRoundContext, type ShareCommitment } from './seeds.ts';

/** What the coordinator knows of each cohort member: its verified public advertisement. */
export interface PublicMaskKeys {
  readonly site: string;
  /** SPKI DER. */
  readonly maskPublicKeyDer: Uint8Array;
  readonly selfSeedCommitment: string;
  /** The member's certificate, verified with its advertisement: checks its share commitments. */
  readonly certificatePem: string;
}

/** The released shares, as the survivors sent them (see protocol.ts ReleasedShares). */
export interface Release {
  readonly from: string;
  /** The cohort digest the survivor answered for, hex. */
  readonly cohort: string;
  /** The dealer's signed commitment for each released share, by owner (dealer) site. */
  readonly commitments: Readonly<Record<string, ShareCommitment>>;
  readonly selfShares: Readonly<Record<string, string>>;
  readonly maskKeyShares: Readonly<Record<string, string>>;
}

/** A released share the coordinator dropped, and who is to blame. */
export interface RejectedShare {
  /** The survivor that released it. */
  readonly from: string;
  /** The owner (dealer) of the secret it is a share of; undefined when the whole release was dropped. */
  readonly site?: string;
  /** The site at fault (the releaser: it checked the dealer's commitment when it opened the share). */
  readonly culprit: string;
  readonly reason: string;
}

/** Everything the unmasker needs: seeds of U, mask keys (PKCS#8 DER) of D. */
export interface RebuiltSecrets {
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
  readonly selfSeeds: ReadonlyMap<string, Buffer>;
  readonly droppedMaskKeys: ReadonlyMap<string, Buffer>;
  /** Shares dropped as bad, each with its culprit (empty when every release was good). */
  readonly rejected: readonly RejectedShare[];
}

function failed(message: string, details: Record<string, unknown>, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.UNMASK_FAILED, message, { details, cause });
}

async function rebuild(shares: readonly Buffer[], threshold: number, site: string, kind: string, rejected: readonly RejectedShare[]): Promise<Buffer> {
  if (shares.length < threshold) {
    const bad = rejected.filter((r) => r.site === site || r.site === undefined).map((r) => r.culprit);
    throw failed(`${shares.length} good share(s) of the ${kind} of ${site} released, ${threshold} needed${bad.length > 0 ? `; bad shares dropped from ${[...new Set(bad)].join(', ')}` : ''}`, {
      site,
      shares: shares.length,
      threshold,
      culprits: [...new Set(bad)],
    });
  }
  return Buffer.from(await combine(shares.slice(0, threshold).map((s) => new Uint8Array(s))));
}

/**
 * Rebuilds the secrets from the releases of distinct survivors. Every released share is checked
 * against its dealer's signed commitment (hash of the share, bound to cohort digest, dealer and
 * recipient): a bad one, a release for another cohort digest, or a share of the wrong kind is
 * dropped and listed in `rejected` with its culprit, and the first `threshold` good shares of
 * each secret are combined. Throws SECURE_AGG_UNMASK_FAILED when a secret has fewer than
 * `threshold` good shares (naming the culprits), or when the rebuilt secret does not match its
 * owner's signed commitment or public key although every share matched the owner's signed
 * hashes: then the owner dealt inconsistent shares and is named. SECURE_AGG_MASKING when a
 * release comes from a non-survivor or twice from one site (the coordinator's own input).
 */
export async function rebuildSecrets(
  context: MaskRoundContext,
  members: readonly PublicMaskKeys[],
  threshold: number,
  survivors: readonly string[],
  releases: readonly Release[],
  cohortDigest: string,
): Promise<RebuiltSecrets> {
  const survivorSet = new Set(survivors);
  const dropped = members.map((m) => m.site).filter((s) => !survivorSet.has(s));
  const byName = new Map(members.map((m) => [m.site, m]));
  const seen = new Set<string>();
  const selfShares = new Map<string, Buffer[]>();
  const keyShares = new Map<string, Buffer[]>();
  const rejected: RejectedShare[] = [];
  for (const r of releases) {
    if (!survivorSet.has(r.from) || seen.has(r.from)) {
      throw new CohortError(SecureAggErrors.MASKING, `release from ${r.from}, which is not a survivor or answered twice`, { details: { from: r.from } });
    }
    seen.add(r.from);
    if (r.cohort !== cohortDigest) {
      rejected.push({ from: r.from, culprit: r.from, reason: 'released for another cohort digest' });
      continue;
    }
    if (typeof r.commitments !== 'object' || r.commitments === null || typeof r.selfShares !== 'object' || r.selfShares === null || typeof r.maskKeyShares !== 'object' || r.maskKeyShares === null) {
      rejected.push({ from: r.from, culprit: r.from, reason: 'malformed release' });
      continue;
    }
    for (const [kind, entries, want] of [['self', r.selfShares, true], ['maskKey', r.maskKeyShares, false]] as const) {
      for (const [site, share] of Object.entries(entries)) {
        const owner = byName.get(site);
        const reject = (reason: string): void => void rejected.push({ from: r.from, site, culprit: r.from, reason });
        if (owner === undefined) {
          reject('a share of a site outside the cohort');
          continue;
        }
        if (survivorSet.has(site) !== want) {
          reject(kind === 'self' ? 'a self-mask share of a dropped site' : 'a mask-key share of a survivor');
          continue;
        }
        if (typeof share !== 'string') {
          reject('a share that is not base64 text');
          continue;
        }
        const bytes = Buffer.from(share, 'base64');
        const verdict = checkShareCommitment(context, cohortDigest, site, r.from, owner.certificatePem, r.commitments[site], kind, bytes);
        if (verdict !== 'ok') {
          reject(`the ${kind === 'self' ? 'self-mask seed' : 'mask key'} share does not match the dealer's signed commitment (${verdict})`);
          continue;
        }
        const into = kind === 'self' ? selfShares : keyShares;
        into.set(site, [...(into.get(site) ?? []), bytes]);
      }
    }
  }
  const selfSeeds = new Map<string, Buffer>();
  const droppedMaskKeys = new Map<string, Buffer>();
  for (const m of members) {
    if (survivorSet.has(m.site)) {
      const seed = await rebuild(selfShares.get(m.site) ?? [], threshold, m.site, 'self-mask seed', rejected);
      if (selfSeedCommitment(context, m.site, seed) !== m.selfSeedCommitment) {
        throw failed(`the rebuilt self-mask seed of ${m.site} does not match its signed commitment, though every share matched the hashes ${m.site} signed: ${m.site} dealt inconsistent shares`, { site: m.site, culprit: m.site });
      }
      selfSeeds.set(m.site, seed);
    } else {
      const raw = await rebuild(keyShares.get(m.site) ?? [], threshold, m.site, 'mask key', rejected);
      let der: Buffer;
      try {
        der = x25519PrivateFromRaw(raw);
        if (!x25519PublicOf(der).equals(Buffer.from(m.maskPublicKeyDer))) throw new Error('public key differs');
      } catch (e) {
        throw failed(`the rebuilt mask key of ${m.site} is not the key it advertised, though every share matched the hashes ${m.site} signed: ${m.site} dealt inconsistent shares`, { site: m.site, culprit: m.site }, e);
      }
      droppedMaskKeys.set(m.site, der);
    }
  }
  return { survivors: members.map((m) => m.site).filter((s) => survivorSet.has(s)), dropped, selfSeeds, droppedMaskKeys, rejected };
}
