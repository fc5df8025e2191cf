/**
 * Seed derivations shared by the sites and the coordinator's unmasker. Holds no secret of its
 * own and imports only node:crypto, so the coordinator-side unmasker can use it without
 * reaching any module that handles the HE key.
 *
 * - Pairwise seed s_uv = HKDF-SHA256(X25519(mask_u, mask_v), salt = SHA-256(pub_low || pub_high),
 *   info = "cohort-secagg-pair-v1" 0 consortium 0 run 0 round 0 low 0 high), where low < high
 *   are the two site names in code-unit order; both sites compute it, and so does the
 *   coordinator for a pair with a dropped site once that site's mask key is rebuilt.
 * - Self-mask key = HKDF-SHA256(b_u, salt empty, info = "cohort-secagg-self-v1" 0 ... 0 site).
 * - The commitment to b_u in the signed advertisement = SHA-256("cohort-secagg-self-commit-v1"
 *   0 ... 0 site 0 b_u): lets the coordinator check a rebuilt seed (b_u is 256 random bits).
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, verify, X509Certificate, type KeyObject } from 'node:crypto';

/** Which round a mask belongs to. */
export interface MaskRoundContext {
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
}

const ctxInfo = (label: string, c: MaskRoundContext): string => `${label}\0${c.consortium}\0${c.run}\0${c.round}`;

/** A private X25519 key from its PKCS#8 DER. */
export const x25519Private = (der: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
/** A public X25519 key from its SPKI DER. */
export const x25519Public = (der: Uint8Array): KeyObject => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });

/** The code-unit order of site names: the order of the cohort and of every pair. */
export const siteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The seed of the mask shared by `me` and `other` (see the module comment). `myPrivateDer` is
 * my mask private key (PKCS#8 DER); the public keys are SPKI DER.
 */
export function pairSeed(c: MaskRoundContext, me: { site: string; privateDer: Uint8Array; publicDer: Uint8Array }, other: { site: string; publicDer: Uint8Array }): Buffer {
  if (me.site === other.site) throw new RangeError('a site has no pairwise mask with itself');
  const shared = diffieHellman({ privateKey: x25519Private(me.privateDer), publicKey: x25519Public(other.publicDer) });
  const [low, high] = siteOrder(me.site, other.site) < 0 ? [me, other] : [other, me];
  const salt = createHash('sha256').update(low.publicDer).update(high.publicDer).digest();
  const seed = Buffer.from(hkdfSync('sha256', shared, salt, `${ctxInfo('cohort-secagg-pair-v1', c)}\0${low.site}\0${high.site}`, 32));
  shared.fill(0);
  return seed;
}

/**
 * The sign of the pairwise mask in `site`'s upload: +1 when it is the lower of the pair, -1
 * when the higher, so the two cancel in the sum.
 */
export const pairSign = (site: string, other: string): 1 | -1 => (siteOrder(site, other) < 0 ? 1 : -1);

/** The AES key that expands `site`'s self-mask from its seed b_u. */
export function selfMaskKey(c: MaskRoundContext, site: string, selfSeed: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', selfSeed, Buffer.alloc(0), `${ctxInfo('cohort-secagg-self-v1', c)}\0${site}`, 32));
}

/** The commitment to b_u a site signs in its advertisement, hex. */
export function selfSeedCommitment(c: MaskRoundContext, site: string, selfSeed: Uint8Array): string {
  return createHash('sha256').update(`${ctxInfo('cohort-secagg-self-commit-v1', c)}\0${site}\0`).update(selfSeed).digest('hex');
}

/** PKCS#8 DER of an X25519 private key is this fixed prefix followed by the 32 raw bytes. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The 32 raw bytes of an X25519 private key (PKCS#8 DER), for Shamir sharing. */
export function rawX25519Private(der: Uint8Array): Buffer {
  const b = Buffer.from(der);
  if (b.byteLength !== 48 || !b.subarray(0, 16).equals(PKCS8_X25519_PREFIX)) throw new RangeError('not an X25519 PKCS#8 private key');
  return b.subarray(16);
}

/** PKCS#8 DER of an X25519 private key from its 32 raw bytes. */
export function x25519PrivateFromRaw(raw: Uint8Array): Buffer {
  if (raw.byteLength !== 32) throw new RangeError(`an X25519 private key has 32 bytes, got ${raw.byteLength}`);
  return Buffer.concat([PKCS8_X25519_PREFIX, raw]);
}

/** SPKI DER of the public half of an X25519 private key (PKCS#8 DER). */
export function x25519PublicOf(privateDer: Uint8Array): Buffer {
  return createPublicKey(x25519Private(privateDer)).export({ type: 'spki', format: 'der' });
}

/**
 * The cohort digest every member signs and binds its shares to: SHA-256 over the round, the
 * members in site order each with the SHA-256 of its signed advertisement, and the threshold.
 * Two sites that hold the same digest mask and share over the same members and threshold.
 */
export function cohortDigest(c: MaskRoundContext, members: readonly { site: string; advertisementSha256: string }[], threshold: number): string {
  const sorted = [...members].sort((a, b) => siteOrder(a.site, b.site)).map((m) => [m.site, m.advertisementSha256]);
  return createHash('sha256').update(JSON.stringify(['cohort-secagg-cohort-v1', c.consortium, c.run, c.round, sorted, threshold])).digest('hex');
}

/** The kind of a share. */
export type ShareKind = 'self' | 'maskKey';

/** SHA-256 of one share as its dealer commits to it (bound to cohort, dealer, recipient, kind), hex. */
export function shareHash(cohort: string, from: string, to: string, kind: ShareKind, share: Uint8Array): string {
  return createHash('sha256').update(JSON.stringify(['cohort-secagg-share-hash-v1', cohort, from, to, kind])).update(share).digest('hex');
}

/** What a dealer signs for the shares it sealed to one recipient. */
export interface ShareCommitment {
  /** {@link shareHash} of the self-mask-seed share, hex. */
  readonly selfShareSha256: string;
  /** {@link shareHash} of the mask-key share, hex. */
  readonly maskKeyShareSha256: string;
  /** ECDSA-SHA256 by the dealer's certificate key over {@link shareCommitmentBytes}, base64. */
  readonly signature: string;
}

/** The bytes a dealer signs for the shares it dealt to `to`. */
export function shareCommitmentBytes(c: MaskRoundContext, cohort: string, from: string, to: string, selfShareSha256: string, maskKeyShareSha256: string): Buffer {
  return Buffer.from(JSON.stringify(['cohort-secagg-share-commit-v1', c.consortium, c.run, c.round, cohort, from, to, selfShareSha256, maskKeyShareSha256]));
}

/** Whether `commitment` is the dealer's signed commitment to `share` (of `kind`, dealt by `from` to `to`). */
export function checkShareCommitment(
  c: MaskRoundContext,
  cohort: string,
  from: string,
  to: string,
  dealerCertificatePem: string,
  commitment: ShareCommitment | undefined,
  kind: ShareKind,
  share: Uint8Array,
): 'ok' | 'missing' | 'bad-signature' | 'hash-mismatch' {
  if (typeof commitment !== 'object' || commitment === null || typeof commitment.signature !== 'string' || typeof commitment.selfShareSha256 !== 'string' || typeof commitment.maskKeyShareSha256 !== 'string') return 'missing';
  const signed = shareCommitmentBytes(c, cohort, from, to, commitment.selfShareSha256, commitment.maskKeyShareSha256);
  let ok = false;
  try {
    ok = verify('sha256', signed, new X509Certificate(dealerCertificatePem).publicKey, Buffer.from(commitment.signature, 'base64'));
  } catch {
    ok = false;
  }
  if (!ok) return 'bad-signature';
  const want = kind === 'self' ? commitment.selfShareSha256 : commitment.maskKeyShareSha256;
  return shareHash(cohort, from, to, kind, share) === want ? 'ok' : 'hash-mismatch';
}
