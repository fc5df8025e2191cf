/**
 * The sites' half of pairwise masking with dropout recovery (Bonawitz et al. 2017, double
 * masking), one instance per round:
 *
 * 1. Advertise: each site of the round's cohort makes two fresh X25519 pairs, a channel key
 *    (to seal shares) and a mask key (pairwise seeds), plus a 32-byte self-mask seed b_u, and
 *    signs both public keys and a commitment to b_u with its certificate key, bound to
 *    consortium, run and round. Its long-lived exchange key is never used here: a dropped
 *    site's mask key is rebuilt and shown to the coordinator, and opens nothing but that
 *    site's pairwise masks of this round.
 * 2. Share: each site Shamir-splits b_u and its mask private key into one share per cohort
 *    member (threshold: default {@link defaultThreshold}, never below a majority) and seals share i to member i
 *    under AES-256-GCM with a key from the two channel keys; the coordinator relays them.
 * 3. Mask: y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} PRG(s_uv) mod t
 *    (./site-masker.ts), added to the quantized slots before encryption.
 * 4. Unmask: given survivors U and dropped D, each survivor releases its shares of b_v for
 *    v in U and of the mask key of d in D, and never both kinds for one site: the decision
 *    is recorded in a ledger before anything is released (see {@link releaseShares}).
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, sign, verify, X509Certificate } from 'node:crypto';
import { split } from 'shamir-secret-sharing';
import { defaultThreshold, majorityThreshold } from './thresholds.ts';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import { identityFromCertificate } from '../../pki/identity.ts';
import { siteCertificateKey } from '../certificate-key.ts';
import type { CeremonyIdentity } from '../key-ceremony.ts';
import type { UnmaskRequest } from './unmask-request.ts';
import {
  checkShareCommitment,
  cohortDigest,
  rawX25519Private,
  selfSeedCommitment,
  shareCommitmentBytes,
  shareHash,
  siteOrder,
  x25519Private,
  x25519Public,
  type MaskRoundContext,
  type ShareCommitment,
} from './seeds.ts';

export type { ShareCommitment } from './seeds.ts';

export const MASK_PROTOCOL_VERSION = 1;
const ADVERT_CONTEXT = 'cohort-secagg-advert-v1';
const SHARE_CONTEXT = 'cohort-secagg-share-v2';
const COHORT_SIGNATURE_CONTEXT = 'cohort-secagg-cohort-signature-v1';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

function refuse(message: string, details: Record<string, unknown> = {}, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.MASKING, message, { details, cause });
}

/** A site's round keys, signed with its certificate key. JSON on the wire. */
export interface MaskKeyAdvertisement {
  readonly v: typeof MASK_PROTOCOL_VERSION;
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  readonly site: string;
  /** X25519 SPKI DER, base64: seals the shares sent to this site. */
  readonly channelPublicKey: string;
  /** X25519 SPKI DER, base64: the pairwise mask seeds. */
  readonly maskPublicKey: string;
  /** SHA-256 commitment to the self-mask seed (./seeds.ts), hex. */
  readonly selfSeedCommitment: string;
  readonly certificatePem: string;
  /** ECDSA-SHA256 by the certificate key over {@link advertisementBytes}, base64. */
  readonly signature: string;
}

/** The round secrets a site keeps (in its encrypted run state) until the round closes. */
export interface RoundMaskSecrets {
  readonly site: string;
  readonly context: MaskRoundContext;
  /** PKCS#8 DER. */
  readonly channelPrivateKey: Buffer;
  /** PKCS#8 DER. */
  readonly maskPrivateKey: Buffer;
  /** b_u, 32 bytes. */
  readonly selfSeed: Buffer;
}

/** An advertisement that passed {@link verifyMaskKeys}. */
export interface VerifiedMaskKeys {
  readonly site: string;
  readonly channelPublicKeyDer: Buffer;
  readonly maskPublicKeyDer: Buffer;
  readonly selfSeedCommitment: string;
  readonly certificateSerial: string;
  /** The site's certificate (verified against the consortium CA): checks its cohort signature and share commitments. */
  readonly certificatePem: string;
  /** SHA-256 of the signed advertisement bytes, hex: what the cohort digest binds. */
  readonly advertisementSha256: string;
}

function advertisementBytes(a: Omit<MaskKeyAdvertisement, 'signature' | 'certificatePem'>): Buffer {
  return Buffer.from(JSON.stringify([ADVERT_CONTEXT, a.v, a.consortium, a.run, a.round, a.site, a.channelPublicKey, a.maskPublicKey, a.selfSeedCommitment]));
}

const checkContext = (c: MaskRoundContext): void => {
  if (!Number.isInteger(c.round) || c.round < 1) throw new RangeError(`round must be a positive integer, got ${c.round}`);
};

/** Makes a site's fresh round keys and self-mask seed, and signs the advertisement. */
export function createRoundMaskKeys(me: CeremonyIdentity, context: MaskRoundContext): { advertisement: MaskKeyAdvertisement; secrets: RoundMaskSecrets } {
  checkContext(context);
  const channel = generateKeyPairSync('x25519');
  const mask = generateKeyPairSync('x25519');
  const selfSeed = randomBytes(32);
  const body = {
    v: MASK_PROTOCOL_VERSION,
    consortium: context.consortium,
    run: context.run,
    round: context.round,
    site: me.name,
    channelPublicKey: b64(channel.publicKey.export({ type: 'spki', format: 'der' })),
    maskPublicKey: b64(mask.publicKey.export({ type: 'spki', format: 'der' })),
    selfSeedCommitment: selfSeedCommitment(context, me.name, selfSeed),
  } as const;
  const signature = sign('sha256', advertisementBytes(body), createPrivateKey(me.keyPem));
  return {
    advertisement: { ...body, certificatePem: me.certPem, signature: b64(signature) },
    secrets: {
      site: me.name,
      context,
      channelPrivateKey: channel.privateKey.export({ type: 'pkcs8', format: 'der' }),
      maskPrivateKey: mask.privateKey.export({ type: 'pkcs8', format: 'der' }),
      selfSeed,
    },
  };
}

/** What an advertisement is checked against. */
export interface MaskKeyExpectation {
  readonly caPem: string;
  readonly context: MaskRoundContext;
  readonly site: string;
  /** Revocation by certificate serial (normalised hex), from a CRL the verifier checked. Required: pass `() => false` only where no CRL exists. */
  readonly isRevoked: (serial: string) => boolean;
  readonly now?: number;
}

/**
 * Verifies one advertisement (JSON or parsed). Throws SECURE_AGG_MASKING when it is malformed,
 * for another site, consortium, run or round, not signed under a valid consortium certificate
 * of that site, or its keys are not X25519; SECURE_AGG_SITE_REVOKED when the CRL lists it.
 */
export function verifyMaskKeys(input: string | MaskKeyAdvertisement, expect: MaskKeyExpectation): VerifiedMaskKeys {
  const { site, context } = expect;
  const what = `mask keys of ${site} for round ${context.round}`;
  let a: MaskKeyAdvertisement;
  try {
    a = typeof input === 'string' ? (JSON.parse(input) as MaskKeyAdvertisement) : input;
  } catch (e) {
    throw refuse(`${what}: not JSON`, { site }, e);
  }
  if (
    typeof a !== 'object' || a === null || a.v !== MASK_PROTOCOL_VERSION || a.site !== site || a.consortium !== context.consortium || a.run !== context.run || a.round !== context.round ||
    typeof a.channelPublicKey !== 'string' || typeof a.maskPublicKey !== 'string' || typeof a.certificatePem !== 'string' || typeof a.signature !== 'string' ||
    typeof a.selfSeedCommitment !== 'string' || !/^[0-9a-f]{64}$/.test(a.selfSeedCommitment)
  ) {
    throw refuse(`${what}: malformed, or made for another site, consortium, run or round`, { site, round: context.round });
  }
  let key;
  try {
    key = siteCertificateKey(a.certificatePem, expect.caPem, context.consortium, site, what, expect.now);
  } catch (e) {
    throw refuse(`${what}: the certificate is not a valid consortium certificate of ${site}`, { site }, e);
  }
  const serial = identityFromCertificate(a.certificatePem).serial;
  if (expect.isRevoked(serial)) {
    throw new CohortError(SecureAggErrors.SITE_REVOKED, `${what}: signed under certificate ${serial}, which the consortium CRL revokes`, { details: { site, serial } });
  }
  if (!verify('sha256', advertisementBytes(a), key, unb64(a.signature))) throw refuse(`${what}: the signature does not verify`, { site });
  const channelPublicKeyDer = unb64(a.channelPublicKey);
  const maskPublicKeyDer = unb64(a.maskPublicKey);
  try {
    if (x25519Public(channelPublicKeyDer).asymmetricKeyType !== 'x25519' || x25519Public(maskPublicKeyDer).asymmetricKeyType !== 'x25519') throw new Error('not x25519');
  } catch (e) {
    throw refuse(`${what}: the keys are not X25519`, { site }, e);
  }
  if (channelPublicKeyDer.equals(maskPublicKeyDer)) throw refuse(`${what}: the channel and mask keys are the same key`, { site });
  // A trial X25519 agreement with a throwaway key: a low-order point makes OpenSSL refuse the
  // derivation (all-zero shared secret), which must stop here rather than in pairSeed later.
  const probe = generateKeyPairSync('x25519').privateKey;
  for (const [name, der] of [['channel', channelPublicKeyDer], ['mask', maskPublicKeyDer]] as const) {
    try {
      diffieHellman({ privateKey: probe, publicKey: x25519Public(der) }).fill(0);
    } catch (e) {
      throw refuse(`${what}: the ${name} key is a low-order X25519 point (no shared secret can be derived with it)`, { site, key: name }, e);
    }
  }
  const advertisementSha256 = createHash('sha256').update(advertisementBytes(a)).digest('hex');
  return { site, channelPublicKeyDer, maskPublicKeyDer, selfSeedCommitment: a.selfSeedCommitment, certificateSerial: serial, certificatePem: a.certificatePem, advertisementSha256 };
}

/** The round's cohort: the sites whose verified keys the round masks with, in site order. */
export interface MaskCohort {
  readonly context: MaskRoundContext;
  readonly members: readonly VerifiedMaskKeys[];
  /** Shares needed to rebuild a secret. */
  readonly threshold: number;
  /** The run's minSites: the fewest members and the fewest survivors. */
  readonly minSites: number;
  /** {@link cohortDigest} of context, members and threshold, hex: signed by every member, bound into every share. */
  readonly digest: string;
}

/**
 * A cohort every member has signed (see {@link confirmCohort}): only such a cohort opens shares,
 * masks an upload or answers an unmask request, so no two honest sites act on different views.
 */
export interface ConfirmedCohort extends MaskCohort {
  readonly signatures: readonly CohortSignature[];
}

/**
 * Builds the cohort from verified advertisements. Refuses (SECURE_AGG_MASKING) fewer than 3
 * sites, more than 255 (Shamir over GF(256)), two advertisements of one site, or a threshold
 * below a majority or above the cohort size, or fewer members than `minSites` (the run's). A
 * majority is what keeps the coordinator from collecting enough shares of both kinds for one
 * site from two disjoint sets of survivors. The cohort's digest must then be signed by every
 * member ({@link signCohort}, {@link confirmCohort}) before any share is opened.
 */
export function maskCohort(context: MaskRoundContext, verified: readonly VerifiedMaskKeys[], threshold: number | undefined, minSites: number): MaskCohort {
  checkContext(context);
  if (!Number.isInteger(minSites) || minSites < 1) throw new RangeError(`minSites must be a positive integer, got ${minSites}`);
  const members = [...verified].sort((a, b) => siteOrder(a.site, b.site));
  const n = members.length;
  if (n < 3 || n > 255) throw refuse(`a masked round needs 3 to 255 sites, the cohort has ${n}`, { sites: n });
  if (n < minSites) throw refuse(`the cohort has ${n} sites, the run needs at least ${minSites}`, { sites: n, minSites });
  for (let i = 1; i < n; i++) if (members[i]?.site === members[i - 1]?.site) throw refuse(`site ${members[i]?.site} advertised twice`, { site: members[i]?.site });
  const t = threshold ?? defaultThreshold(n);
  if (!Number.isInteger(t) || t < majorityThreshold(n) || t > n) {
    throw refuse(`threshold ${t} is outside ${majorityThreshold(n)}..${n} (a majority of the ${n} sites up to all of them)`, { threshold: t, sites: n });
  }
  return { context, members, threshold: t, minSites, digest: cohortDigest(context, members, t) };
}

/** A member's signature over the cohort digest. JSON on the wire. */
export interface CohortSignature {
  readonly v: typeof MASK_PROTOCOL_VERSION;
  readonly site: string;
  /** The cohort digest, hex. */
  readonly cohort: string;
  /** ECDSA-SHA256 by the site's certificate key (the one in its advertisement), base64. */
  readonly signature: string;
}

const cohortSignatureBytes = (c: MaskRoundContext, site: string, digest: string): Buffer =>
  Buffer.from(JSON.stringify([COHORT_SIGNATURE_CONTEXT, MASK_PROTOCOL_VERSION, c.consortium, c.run, c.round, site, digest]));

/**
 * Signs the cohort this site built. A site signs exactly one cohort per round (keep the digest
 * in the run state and refuse to sign another): two signed views are what a split needs.
 */
export function signCohort(me: CeremonyIdentity, cohort: MaskCohort): CohortSignature {
  memberOf(cohort, me.name);
  return { v: MASK_PROTOCOL_VERSION, site: me.name, cohort: cohort.digest, signature: b64(sign('sha256', cohortSignatureBytes(cohort.context, me.name, cohort.digest), createPrivateKey(me.keyPem))) };
}

/**
 * Checks the members' signatures the coordinator relayed: every member of the cohort must have
 * signed this cohort's digest with the certificate key of its verified advertisement. Throws
 * SECURE_AGG_MASKING naming the site whose signature is missing, for another digest (another
 * view of the cohort), from outside the cohort, twice, or does not verify.
 */
export function confirmCohort(cohort: MaskCohort, signatures: readonly unknown[]): ConfirmedCohort {
  const bySite = new Map<string, CohortSignature>();
  for (const raw of signatures) {
    const s = raw as CohortSignature;
    if (typeof s !== 'object' || s === null || s.v !== MASK_PROTOCOL_VERSION || typeof s.site !== 'string' || typeof s.cohort !== 'string' || typeof s.signature !== 'string') {
      throw refuse('cohort signature: malformed', {});
    }
    const m = cohort.members.find((x) => x.site === s.site);
    if (m === undefined) throw refuse(`cohort signature from ${s.site}, which is not in this site's view of the cohort`, { site: s.site });
    if (bySite.has(s.site)) throw refuse(`two cohort signatures from ${s.site}`, { site: s.site });
    if (s.cohort !== cohort.digest) throw refuse(`${s.site} signed another cohort (digest ${s.cohort.slice(0, 16)}.., this site's is ${cohort.digest.slice(0, 16)}..): the coordinator gave the sites different views`, { site: s.site });
    if (!verify('sha256', cohortSignatureBytes(cohort.context, s.site, s.cohort), new X509Certificate(m.certificatePem).publicKey, unb64(s.signature))) {
      throw refuse(`the cohort signature of ${s.site} does not verify`, { site: s.site });
    }
    bySite.set(s.site, s);
  }
  const missing = cohort.members.filter((m) => !bySite.has(m.site)).map((m) => m.site);
  if (missing.length > 0) throw refuse(`no cohort signature from ${missing.join(', ')}`, { missing });
  return { ...cohort, signatures: cohort.members.map((m) => bySite.get(m.site) as CohortSignature) };
}

function memberOf(cohort: MaskCohort, site: string): VerifiedMaskKeys {
  const m = cohort.members.find((x) => x.site === site);
  if (m === undefined) throw refuse(`site ${site} is not in the round's cohort`, { site });
  return m;
}

/** One site's shares for another, sealed under their channel keys. JSON on the wire. */
export interface SealedShare {
  readonly v: typeof MASK_PROTOCOL_VERSION;
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  /** The cohort digest the dealer sealed under, hex. */
  readonly cohort: string;
  readonly from: string;
  readonly to: string;
  readonly iv: string;
  /** AES-256-GCM of selfShare || maskKeyShare (33 bytes each), base64. */
  readonly ciphertext: string;
  readonly tag: string;
  /** The dealer's signed commitment to the two shares (hashes in the clear, shares sealed). */
  readonly commitment: ShareCommitment;
}

const SHARE_BYTES = 33;

function channelKey(c: MaskRoundContext, digest: string, myChannelPrivate: Uint8Array, theirChannelPublic: Uint8Array, from: string, to: string): Buffer {
  const shared = diffieHellman({ privateKey: x25519Private(myChannelPrivate), publicKey: x25519Public(theirChannelPublic) });
  const key = Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), `${SHARE_CONTEXT}\0${c.consortium}\0${c.run}\0${c.round}\0${digest}\0${from}\0${to}`, 32));
  shared.fill(0);
  return key;
}

const shareAad = (s: Omit<SealedShare, 'ciphertext' | 'tag'>): Buffer =>
  Buffer.from(JSON.stringify([SHARE_CONTEXT, s.v, s.consortium, s.run, s.round, s.cohort, s.from, s.to, s.iv, s.commitment.selfShareSha256, s.commitment.maskKeyShareSha256]));

/**
 * Splits b_u and the mask private key into one share per cohort member (threshold of the
 * cohort) and seals each to its member under the cohort digest, with a commitment (the hash of
 * each share, signed with `me`'s certificate key) that the recipient and later the coordinator
 * check; the site's own share is sealed to itself too, so every member holds exactly one share
 * of each secret of each member. `me` must be the identity of `secrets.site`.
 */
export async function dealShares(secrets: RoundMaskSecrets, cohort: MaskCohort, me: CeremonyIdentity): Promise<SealedShare[]> {
  const dealer = memberOf(cohort, secrets.site);
  if (me.name !== secrets.site) throw new RangeError(`dealShares: identity ${me.name} is not the dealer ${secrets.site}`);
  const n = cohort.members.length;
  const selfShares = await split(Uint8Array.from(secrets.selfSeed), n, cohort.threshold);
  const keyShares = await split(Uint8Array.from(rawX25519Private(secrets.maskPrivateKey)), n, cohort.threshold);
  const c = cohort.context;
  const signingKey = createPrivateKey(me.keyPem);
  return cohort.members.map((to, i) => {
    const selfShare = selfShares[i] as Uint8Array;
    const keyShare = keyShares[i] as Uint8Array;
    const selfShareSha256 = shareHash(cohort.digest, dealer.site, to.site, 'self', selfShare);
    const maskKeyShareSha256 = shareHash(cohort.digest, dealer.site, to.site, 'maskKey', keyShare);
    const commitment = { selfShareSha256, maskKeyShareSha256, signature: b64(sign('sha256', shareCommitmentBytes(c, cohort.digest, dealer.site, to.site, selfShareSha256, maskKeyShareSha256), signingKey)) };
    const header = { v: MASK_PROTOCOL_VERSION, consortium: c.consortium, run: c.run, round: c.round, cohort: cohort.digest, from: dealer.site, to: to.site, iv: b64(randomBytes(12)), commitment } as const;
    const key = channelKey(c, cohort.digest, secrets.channelPrivateKey, to.channelPublicKeyDer, dealer.site, to.site);
    const cipher = createCipheriv('aes-256-gcm', key, unb64(header.iv));
    cipher.setAAD(shareAad(header));
    const ciphertext = Buffer.concat([cipher.update(selfShare), cipher.update(keyShare), cipher.final()]);
    key.fill(0);
    return { ...header, ciphertext: b64(ciphertext), tag: b64(cipher.getAuthTag()) };
  });
}

/** The shares one site holds of another's secrets. */
export interface HeldShare {
  readonly from: string;
  readonly selfShare: Buffer;
  readonly maskKeyShare: Buffer;
  /** The dealer's signed commitment to both shares (released with them). */
  readonly commitment: ShareCommitment;
}

/**
 * Opens a share sealed to this site. Throws SECURE_AGG_MASKING when it is for another round,
 * site or cohort digest (another view of the cohort), from outside the cohort, fails
 * authentication (altered, or not from `from`: only `from` and this site can derive the key),
 * or does not match its dealer's signed commitment (the dealer is named). The cohort must be
 * confirmed ({@link confirmCohort}): every member signed this digest.
 */
export function openShare(input: string | SealedShare, secrets: RoundMaskSecrets, cohort: ConfirmedCohort): HeldShare {
  let s: SealedShare;
  try {
    s = typeof input === 'string' ? (JSON.parse(input) as SealedShare) : input;
  } catch (e) {
    throw refuse('sealed share: not JSON', {}, e);
  }
  const c = cohort.context;
  if (
    typeof s !== 'object' || s === null || s.v !== MASK_PROTOCOL_VERSION || s.consortium !== c.consortium || s.run !== c.run || s.round !== c.round || s.to !== secrets.site || typeof s.from !== 'string' ||
    typeof s.commitment !== 'object' || s.commitment === null || typeof s.commitment.selfShareSha256 !== 'string' || typeof s.commitment.maskKeyShareSha256 !== 'string'
  ) {
    throw refuse(`sealed share: malformed, or not for ${secrets.site} in round ${c.round}`, { round: c.round });
  }
  if (!isConfirmed(cohort)) throw refuse('sealed share: the cohort is not confirmed by every member\'s signature; nothing opened', { round: c.round });
  if (s.cohort !== cohort.digest) throw refuse(`sealed share from ${s.from}: sealed under another view of the cohort (digest ${String(s.cohort).slice(0, 16)}..)`, { from: s.from });
  const from = memberOf(cohort, s.from);
  const key = channelKey(c, cohort.digest, secrets.channelPrivateKey, from.channelPublicKeyDer, s.from, s.to);
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, unb64(s.iv));
    d.setAAD(shareAad(s));
    d.setAuthTag(unb64(s.tag));
    plain = Buffer.concat([d.update(unb64(s.ciphertext)), d.final()]);
  } catch (e) {
    throw refuse(`sealed share from ${s.from}: authentication failed`, { from: s.from }, e);
  } finally {
    key.fill(0);
  }
  if (plain.byteLength !== 2 * SHARE_BYTES) throw refuse(`sealed share from ${s.from}: holds ${plain.byteLength} bytes, expected ${2 * SHARE_BYTES}`, { from: s.from });
  const selfShare = plain.subarray(0, SHARE_BYTES);
  const maskKeyShare = plain.subarray(SHARE_BYTES);
  for (const [kind, share] of [['self', selfShare], ['maskKey', maskKeyShare]] as const) {
    const verdict = checkShareCommitment(c, cohort.digest, s.from, s.to, from.certificatePem, s.commitment, kind, share);
    if (verdict !== 'ok') throw refuse(`sealed share from ${s.from}: the ${kind === 'self' ? 'self-mask seed' : 'mask key'} share does not match its dealer's signed commitment (${verdict}); dealer ${s.from} is at fault`, { from: s.from, culprit: s.from, verdict });
  }
  return { from: s.from, selfShare, maskKeyShare, commitment: s.commitment };
}

const isConfirmed = (cohort: MaskCohort): cohort is ConfirmedCohort =>
  Array.isArray((cohort as Partial<ConfirmedCohort>).signatures) &&
  (cohort as ConfirmedCohort).signatures.length === cohort.members.length &&
  (cohort as ConfirmedCohort).signatures.every((x, i) => x.site === cohort.members[i]?.site && x.cohort === cohort.digest);

/** What the coordinator asks for when uploads close (unmask-request.ts, which the coordinator loads too). */
export type { UnmaskRequest } from './unmask-request.ts';

/** The kind of share released for one site. */
export type ReleaseKind = 'self' | 'maskKey';

/**
 * What a site already released this round, per owner site. `record` must be durable before it
 * returns: written to the site's encrypted run state with a synchronous write and fsync (for
 * SQLite: a committed transaction with synchronous=FULL), and it must throw when it cannot
 * persist, so that {@link releaseShares} releases nothing. A site that restarts must remember;
 * a ledger that only buffers lets a crash between release and persistence hand out both kinds.
 */
export interface ReleaseLedger {
  get(site: string): ReleaseKind | undefined;
  record(decisions: ReadonlyMap<string, ReleaseKind>): void;
}

/** An in-memory ledger (tests, and a site's state before it persists it). */
export function memoryLedger(): ReleaseLedger & { readonly entries: Map<string, ReleaseKind> } {
  const entries = new Map<string, ReleaseKind>();
  return {
    entries,
    get: (site) => entries.get(site),
    record: (decisions) => decisions.forEach((k, s) => entries.set(s, k)),
  };
}

/** One survivor's answer to an unmask request, sent to the coordinator. */
export interface ReleasedShares {
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  /** The cohort digest, hex. */
  readonly cohort: string;
  readonly from: string;
  /** The dealer's signed commitment for each share released, by owner (dealer) site. */
  readonly commitments: Readonly<Record<string, ShareCommitment>>;
  /** base64 shares of b_v for each survivor v. */
  readonly selfShares: Readonly<Record<string, string>>;
  /** base64 shares of the mask key of each dropped d. */
  readonly maskKeyShares: Readonly<Record<string, string>>;
}

/**
 * Answers an unmask request. Refuses with SECURE_AGG_MASKING a request for another round or
 * another cohort digest, one whose survivors and dropped do not split the cohort exactly, that
 * does not name this site a survivor, or a cohort not confirmed by every member; with
 * SECURE_AGG_TOO_FEW_SURVIVORS fewer survivors than the threshold or `minSites` (the run's,
 * required); with SECURE_AGG_SHARE_CONFLICT any site for which the ledger holds the other kind.
 * Either everything is released or nothing, and the ledger records the decisions first.
 */
export function releaseShares(request: UnmaskRequest, secrets: RoundMaskSecrets, cohort: ConfirmedCohort, held: ReadonlyMap<string, HeldShare>, ledger: ReleaseLedger, minSites: number): ReleasedShares {
  const c = cohort.context;
  if (request.consortium !== c.consortium || request.run !== c.run || request.round !== c.round) throw refuse(`unmask request for another round (${request.run} round ${request.round})`, { round: request.round });
  if (!isConfirmed(cohort)) throw refuse('unmask request: the cohort is not confirmed by every member\'s signature; nothing released', { round: c.round });
  if (request.cohort !== cohort.digest) throw refuse('unmask request: made for another view of the cohort (its digest differs from the one this site confirmed); nothing released', { round: c.round });
  if (!Number.isInteger(minSites) || minSites < 1) throw new RangeError(`minSites must be a positive integer, got ${minSites}`);
  const all = [...request.survivors, ...request.dropped];
  const names = new Set(all);
  if (names.size !== all.length || names.size !== cohort.members.length || cohort.members.some((m) => !names.has(m.site))) {
    throw refuse('unmask request: survivors and dropped sites must split the round\'s cohort exactly', { survivors: request.survivors.length, dropped: request.dropped.length });
  }
  if (!request.survivors.includes(secrets.site)) throw refuse(`unmask request names ${secrets.site} dropped, but it is answering`, { site: secrets.site });
  const need = Math.max(cohort.threshold, minSites, cohort.minSites);
  if (request.survivors.length < need) {
    throw new CohortError(SecureAggErrors.TOO_FEW_SURVIVORS, `${request.survivors.length} survivors, at least ${need} needed to unmask`, { details: { survivors: request.survivors.length, needed: need } });
  }
  const decisions = new Map<string, ReleaseKind>();
  for (const s of request.survivors) decisions.set(s, 'self');
  for (const d of request.dropped) decisions.set(d, 'maskKey');
  for (const [site, kind] of decisions) {
    const before = ledger.get(site);
    if (before !== undefined && before !== kind) {
      throw new CohortError(SecureAggErrors.SHARE_CONFLICT, `unmask request asks for the ${kind === 'self' ? 'self-mask seed' : 'mask key'} of ${site}, whose ${before === 'self' ? 'self-mask seed' : 'mask key'} share this site already released; nothing released`, {
        details: { site, asked: kind, released: before },
      });
    }
    if (!held.has(site)) throw refuse(`this site holds no share from ${site}`, { site });
  }
  ledger.record(decisions);
  const selfShares: Record<string, string> = {};
  const maskKeyShares: Record<string, string> = {};
  const commitments: Record<string, ShareCommitment> = {};
  for (const [site, kind] of decisions) {
    const h = held.get(site) as HeldShare;
    commitments[site] = h.commitment;
    if (kind === 'self') selfShares[site] = b64(h.selfShare);
    else maskKeyShares[site] = b64(h.maskKeyShare);
  }
  return { consortium: c.consortium, run: c.run, round: c.round, cohort: cohort.digest, from: secrets.site, commitments, selfShares, maskKeyShares };
}
