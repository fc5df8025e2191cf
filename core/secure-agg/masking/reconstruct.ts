/**
 * The coordinator's side of unmasking, before any ciphertext is touched: rebuild the self-mask
 * seeds of the survivors and the mask keys of the dropped sites from the shares the survivors
 * released, and check each rebuilt secret against what its owner signed (the b_u commitment,
 * the advertised mask public key). Imports no module that handles the HE key.
 */
import { combine } from 'shamir-secret-sharing';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import { selfSeedCommitment, x25519PrivateFromRaw, x25519PublicOf, type MaskRoundContext } from './seeds.ts';

/** What the coordinator knows of each cohort member: its verified public advertisement. */
export interface PublicMaskKeys {
  readonly site: string;
  /** SPKI DER. */
  readonly maskPublicKeyDer: Uint8Array;
  readonly selfSeedCommitment: string;
}

/** The released shares, as the survivors sent them (see protocol.ts ReleasedShares). */
export interface Release {
  readonly from: string;
  readonly selfShares: Readonly<Record<string, string>>;
  readonly maskKeyShares: Readonly<Record<string, string>>;
}

/** Everything the unmasker needs: seeds of U, mask keys (PKCS#8 DER) of D. */
export interface RebuiltSecrets {
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
  readonly selfSeeds: ReadonlyMap<string, Buffer>;
  readonly droppedMaskKeys: ReadonlyMap<string, Buffer>;
}

function failed(message: string, details: Record<string, unknown>, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.UNMASK_FAILED, message, { details, cause });
}

async function rebuild(shares: readonly Buffer[], threshold: number, site: string, kind: string): Promise<Buffer> {
  if (shares.length < threshold) throw failed(`${shares.length} share(s) of the ${kind} of ${site} released, ${threshold} needed`, { site, shares: shares.length, threshold });
  return Buffer.from(await combine(shares.map((s) => new Uint8Array(s))));
}

/**
 * Rebuilds the secrets from the releases of distinct survivors. Throws SECURE_AGG_UNMASK_FAILED
 * when a secret has fewer than `threshold` shares or the rebuilt secret does not match its
 * owner's signed commitment or public key; SECURE_AGG_MASKING when a release comes from a
 * non-survivor, twice from one site, or holds a share of the wrong kind for a site.
 */
export async function rebuildSecrets(
  context: MaskRoundContext,
  members: readonly PublicMaskKeys[],
  threshold: number,
  survivors: readonly string[],
  releases: readonly Release[],
): Promise<RebuiltSecrets> {
  const survivorSet = new Set(survivors);
  const dropped = members.map((m) => m.site).filter((s) => !survivorSet.has(s));
  const seen = new Set<string>();
  const selfShares = new Map<string, Buffer[]>();
  const keyShares = new Map<string, Buffer[]>();
  for (const r of releases) {
    if (!survivorSet.has(r.from) || seen.has(r.from)) {
      throw new CohortError(SecureAggErrors.MASKING, `release from ${r.from}, which is not a survivor or answered twice`, { details: { from: r.from } });
    }
    seen.add(r.from);
    for (const [site, share] of Object.entries(r.selfShares)) {
      if (!survivorSet.has(site)) throw new CohortError(SecureAggErrors.MASKING, `${r.from} released a self-mask share of ${site}, which dropped`, { details: { from: r.from, site } });
      selfShares.set(site, [...(selfShares.get(site) ?? []), Buffer.from(share, 'base64')]);
    }
    for (const [site, share] of Object.entries(r.maskKeyShares)) {
      if (survivorSet.has(site)) throw new CohortError(SecureAggErrors.MASKING, `${r.from} released a mask-key share of ${site}, which survived`, { details: { from: r.from, site } });
      keyShares.set(site, [...(keyShares.get(site) ?? []), Buffer.from(share, 'base64')]);
    }
  }
  const selfSeeds = new Map<string, Buffer>();
  const droppedMaskKeys = new Map<string, Buffer>();
  for (const m of members) {
    if (survivorSet.has(m.site)) {
      const seed = await rebuild(selfShares.get(m.site) ?? [], threshold, m.site, 'self-mask seed');
      if (selfSeedCommitment(context, m.site, seed) !== m.selfSeedCommitment) throw failed(`the rebuilt self-mask seed of ${m.site} does not match its signed commitment`, { site: m.site });
      selfSeeds.set(m.site, seed);
    } else {
      const raw = await rebuild(keyShares.get(m.site) ?? [], threshold, m.site, 'mask key');
      let der: Buffer;
      try {
        der = x25519PrivateFromRaw(raw);
        if (!x25519PublicOf(der).equals(Buffer.from(m.maskPublicKeyDer))) throw new Error('public key differs');
      } catch (e) {
        throw failed(`the rebuilt mask key of ${m.site} is not the key it advertised`, { site: m.site }, e);
      }
      droppedMaskKeys.set(m.site, der);
    }
  }
  return { survivors: members.map((m) => m.site).filter((s) => survivorSet.has(s)), dropped, selfSeeds, droppedMaskKeys };
}
