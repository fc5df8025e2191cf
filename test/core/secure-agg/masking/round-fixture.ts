/**
 * A masked round played out in one process with real node-seal ciphertexts, real X25519,
 * real Shamir shares and real certificates: the parts the coordinator and sites run, in order.
 */
import { BfvChunkUnmasker } from '../../../../core/secure-agg/masking/unmasker.ts';
import {
  confirmCohort,
  createRoundMaskKeys,
  signCohort,
  type ConfirmedCohort,
  dealShares,
  maskCohort,
  memoryLedger,
  openShare,
  releaseShares,
  verifyMaskKeys,
  type HeldShare,
  type MaskKeyAdvertisement,
  type ReleasedShares,
  type RoundMaskSecrets,
} from '../../../../core/secure-agg/masking/protocol.ts';
import { rebuildSecrets, type PublicMaskKeys, type RebuiltSecrets } from '../../../../core/secure-agg/masking/reconstruct.ts';
import { SiteMasker } from '../../../../core/secure-agg/masking/site-masker.ts';
import type { MaskRoundContext } from '../../../../core/secure-agg/masking/seeds.ts';
import { loadSeal } from '../../../../core/secure-agg/seal-library.ts';
import type { Codec } from '../bfv-fixtures.ts';
import type { TestCa, TestIdentity } from '../ceremony-pki.ts';

export interface SiteRound {
  readonly id: TestIdentity;
  readonly advertisement: MaskKeyAdvertisement;
  readonly secrets: RoundMaskSecrets;
  readonly cohort: ConfirmedCohort;
  readonly held: Map<string, HeldShare>;
  readonly ledger: ReturnType<typeof memoryLedger>;
}

export const MIN_SITES = 3;
export const notRevoked = (): boolean => false;

/** Advertise, verify (each site for itself), sign the cohort, confirm every member's signature, deal and open shares. */
export async function setUpRound(ca: TestCa, ids: readonly TestIdentity[], context: MaskRoundContext, threshold?: number): Promise<SiteRound[]> {
  const made = ids.map((id) => ({ id, ...createRoundMaskKeys(id, context) }));
  const built = made.map((m) => {
    const verified = made.map((o) => verifyMaskKeys(JSON.stringify(o.advertisement), { caPem: ca.caPem, context, site: o.id.name, isRevoked: notRevoked }));
    return { m, cohort: maskCohort(context, verified, threshold, MIN_SITES) };
  });
  // The coordinator relays every member's signature over its cohort digest.
  const signatures = built.map((b) => JSON.parse(JSON.stringify(signCohort(b.m.id, b.cohort))) as unknown);
  const rounds = built.map(({ m, cohort }) => ({ id: m.id, advertisement: m.advertisement, secrets: m.secrets, cohort: confirmCohort(cohort, signatures), held: new Map<string, HeldShare>(), ledger: memoryLedger() }));
  for (const r of rounds) {
    // The coordinator relays each sealed share (as JSON) to its recipient.
    for (const sealed of await dealShares(r.secrets, r.cohort, r.id)) {
      const to = rounds.find((x) => x.id.name === sealed.to) as SiteRound;
      to.held.set(sealed.from, openShare(JSON.stringify(sealed), to.secrets, to.cohort));
    }
  }
  return rounds;
}

export function publicKeysOf(cohort: ConfirmedCohort): PublicMaskKeys[] {
  return cohort.members.map((m) => ({ site: m.site, maskPublicKeyDer: m.maskPublicKeyDer, selfSeedCommitment: m.selfSeedCommitment, certificatePem: m.certificatePem }));
}

/** Each named site masks and encrypts its vector. */
export function maskedUploads(codec: Codec, rounds: readonly SiteRound[], vectors: ReadonlyMap<string, Float64Array>): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>();
  for (const [site, vector] of vectors) {
    const r = rounds.find((x) => x.id.name === site) as SiteRound;
    const masker = new SiteMasker(r.secrets, r.cohort, codec.key.descriptor);
    out.set(site, [...codec.encoder.encodeMasked(vector, masker)]);
    masker.dispose();
  }
  return out;
}

/** The survivors in `releasing` answer the unmask request; the coordinator rebuilds. */
export async function unmaskSecrets(rounds: readonly SiteRound[], context: MaskRoundContext, survivors: readonly string[], releasing: readonly string[]): Promise<{ rebuilt: RebuiltSecrets; releases: ReleasedShares[] }> {
  const cohort = (rounds[0] as SiteRound).cohort;
  const all = cohort.members.map((m) => m.site);
  const request = { ...context, cohort: cohort.digest, survivors, dropped: all.filter((s) => !survivors.includes(s)) };
  const releases = releasing.map((site) => {
    const r = rounds.find((x) => x.id.name === site) as SiteRound;
    return releaseShares(request, r.secrets, r.cohort, r.held, r.ledger, MIN_SITES);
  });
  return { rebuilt: await rebuildSecrets(context, publicKeysOf(cohort), cohort.threshold, survivors, releases, cohort.digest), releases };
}

export async function unmasker(codec: Codec, context: MaskRoundContext, cohort: ConfirmedCohort, rebuilt: RebuiltSecrets): Promise<BfvChunkUnmasker> {
  return new BfvChunkUnmasker(await loadSeal(), codec.key.descriptor, context, publicKeysOf(cohort), rebuilt);
}
