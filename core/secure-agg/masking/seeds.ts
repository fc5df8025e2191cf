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
import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';

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
