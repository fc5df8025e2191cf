/**
 * Pairwise masking's costs for `bench:he` (issue 9): a site's encode + mask + encrypt time
 * over its encode + encrypt time, measured side by side (alternating, same vector, same
 * encoder) for cohorts of 3, 10 and 50 sites; the masked upload's bytes; a site's share of
 * the round's key and share exchange (advertise, verify the cohort's advertisements, deal and
 * open shares), in time and in bytes it sends and receives; and the coordinator removing the
 * masks of a 10-site sum. Real certificates (a test CA), real X25519, Shamir and node-seal.
 */
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { confirmCohort, createRoundMaskKeys, dealShares, maskCohort, signCohort, type ConfirmedCohort, openShare, releaseShares, memoryLedger, verifyMaskKeys, type HeldShare, type RoundMaskSecrets, type SealedShare } from '../../core/secure-agg/masking/protocol.ts';
import { signContribution, uploadDigest } from '../../core/secure-agg/masking/receipts.ts';
import { rebuildSecrets } from '../../core/secure-agg/masking/reconstruct.ts';
import { SiteMasker } from '../../core/secure-agg/masking/site-masker.ts';
import { BfvChunkUnmasker } from '../../core/secure-agg/masking/unmasker.ts';
import { signUnmaskRequest } from '../../core/secure-agg/masking/unmask-request.ts';
import { loadSeal } from '../../core/secure-agg/seal-library.ts';
import { testCa } from '../../test/core/secure-agg/ceremony-pki.ts';
import type { BenchBfvCodec } from './he-codec.ts';
import { syntheticUpdateVector } from './he-fixtures.ts';
import { median, round1, round3, timed } from './he-stats.ts';

export interface MaskingFigures {
  readonly sites: number;
  /** Median encode + mask + encrypt / median encode + encrypt, wall time. */
  readonly ratio: number;
  /** The same over CPU time (user + system), which the load of a shared machine stretches less. */
  readonly cpuRatio: number;
  readonly encryptMsMedian: number;
  readonly maskedEncryptMsMedian: number;
  readonly encryptMsSamples: readonly number[];
  readonly maskedEncryptMsSamples: readonly number[];
  readonly maskedWireBytesPerSite: number;
  readonly plainWireBytesPerSite: number;
  /** One site's part of the exchange before it encodes: verify n advertisements, build the cohort, deal and open shares. */
  readonly siteSetupMs: number;
  /** Bytes one site sends and receives for masking and receipts, beyond its ciphertext chunks. */
  readonly extraBytesPerSite: { readonly sent: number; readonly received: number; readonly total: number };
}

const json = (x: unknown): number => Buffer.byteLength(JSON.stringify(x));

export async function measureMasking(codec: BenchBfvCodec, params: number, siteCounts: readonly number[], repetitions: number, progress: (m: string) => void): Promise<{ bySites: Record<number, MaskingFigures>; unmaskMsTenSites: number; unmaskCheck: string }> {
  const ca = await testCa('bench');
  // The coordinator signs each round's unmask request (survivors and dropped) with its certificate key.
  const coordinatorId = await ca.issue('coordinator', 'coordinator');
  const bySites: Record<number, MaskingFigures> = {};
  const vector = syntheticUpdateVector(params, 0);
  let unmaskMsTenSites = Number.NaN;
  let unmaskCheck = 'not run';
  for (const n of siteCounts) {
    const context = { consortium: 'bench', run: `masking-${n}`, round: 1 };
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => ca.issue(`site-${String(i).padStart(2, '0')}`)));
    const made = ids.map((id) => createRoundMaskKeys(id, context));
    const adverts = made.map((m) => JSON.stringify(m.advertisement));
    // Site 0's own work, timed; the others' shares are dealt untimed.
    const me = made[0]?.secrets as RoundMaskSecrets;
    const setup0 = timed(() => maskCohort(context, adverts.map((a, i) => verifyMaskKeys(a, { caPem: ca.caPem, context, site: ids[i]?.name as string, isRevoked: () => false })), undefined, 3));
    // Every member signs the digest (all build the same view here); site 0 checks all n signatures.
    const cohortSignatures = ids.map((id) => signCohort(id, setup0.value));
    const confirm = timed(() => confirmCohort(setup0.value, cohortSignatures));
    const cohort: ConfirmedCohort = confirm.value;
    const dealStart = performance.now();
    const mine = await dealShares(me, cohort, ids[0] as (typeof ids)[number]);
    const dealMs = performance.now() - dealStart;
    const toMe: SealedShare[] = [];
    for (const [i, m] of made.entries()) if (i > 0) toMe.push(...(await dealShares(m.secrets, cohort, ids[i] as (typeof ids)[number])).filter((s) => s.to === me.site));
    const held = new Map<string, HeldShare>();
    const open = timed(() => {
      held.set(me.site, openShare(mine.find((s) => s.to === me.site) as SealedShare, me, cohort));
      for (const s of toMe) held.set(s.from, openShare(JSON.stringify(s), me, cohort));
    });
    const siteSetupMs = setup0.ms + confirm.ms + dealMs + open.ms;

    const plainMs: number[] = [];
    const maskedMs: number[] = [];
    const plainCpu: number[] = [];
    const maskedCpu: number[] = [];
    let plainBytes = 0;
    let maskedBytes = 0;
    let masked: Uint8Array[] = [];
    for (let r = 0; r < repetitions; r++) {
      const encodePlain = (): void => {
        const p = timed(() => [...codec.encoder.encode(vector)]);
        plainMs.push(p.ms);
        plainCpu.push(p.cpuMs);
        plainBytes = p.value.reduce((s, c) => s + c.byteLength, 0);
      };
      const encodeMasked = (): void => {
        const m = timed(() => {
          const masker = new SiteMasker(me, cohort, codec.descriptor);
          try {
            return [...codec.encoder.encodeMasked(vector, masker)];
          } finally {
            masker.dispose();
          }
        });
        maskedMs.push(m.ms);
        maskedCpu.push(m.cpuMs);
        masked = m.value;
        maskedBytes = masked.reduce((s, c) => s + c.byteLength, 0);
      };
      // Alternate which goes first, so neither always runs on a warmer or quieter machine.
      if (r % 2 === 0) {
        encodePlain();
        encodeMasked();
      } else {
        encodeMasked();
        encodePlain();
      }
      const p = { ms: plainMs[plainMs.length - 1] as number };
      const m = { ms: maskedMs[maskedMs.length - 1] as number };
      progress(`  ${n} sites, repetition ${r + 1}: encode + encrypt ${round1(p.ms)} ms, encode + mask + encrypt ${round1(m.ms)} ms`);
    }
    // The round's messages one site sends and receives besides its chunks (all sites survive).
    const survivors = ids.map((id) => id.name);
    const request = { ...context, cohort: cohort.digest, survivors, dropped: [] as string[] };
    const release = releaseShares(request, me, cohort, held, memoryLedger(), 3);
    const receipt = signContribution(ids[0] as (typeof ids)[number], context, uploadDigest(masked));
    const sent = json(made[0]?.advertisement) + json(cohortSignatures[0]) + mine.filter((s) => s.to !== me.site).reduce((s, x) => s + json(x), 0) + json(release) + json(receipt);
    const received = adverts.slice(1).reduce((s, a) => s + Buffer.byteLength(a), 0) + toMe.reduce((s, x) => s + json(x), 0) + json(signUnmaskRequest(request, coordinatorId)) + cohortSignatures.slice(1).reduce((s, x) => s + json(x), 0) + n * json(receipt);
    bySites[n] = {
      sites: n,
      ratio: round3(median(maskedMs) / median(plainMs)),
      cpuRatio: round3(median(maskedCpu) / median(plainCpu)),
      encryptMsMedian: round1(median(plainMs)),
      maskedEncryptMsMedian: round1(median(maskedMs)),
      encryptMsSamples: plainMs.map(round1),
      maskedEncryptMsSamples: maskedMs.map(round1),
      maskedWireBytesPerSite: maskedBytes,
      plainWireBytesPerSite: plainBytes,
      siteSetupMs: round1(siteSetupMs),
      extraBytesPerSite: { sent, received, total: sent + received },
    };

    if (n === 10) {
      // The coordinator's unmasking of a 10-site sum: rebuild the 10 self-mask seeds from the
      // survivors' releases, then add one correction plaintext per ciphertext.
      const ledgers = made.map(() => memoryLedger());
      // Each site deals once; every recipient opens its share of every dealing.
      const dealt = await Promise.all(made.map((m, i) => dealShares(m.secrets, cohort, ids[i] as (typeof ids)[number])));
      const heldAll = made.map((m) => {
        const h = new Map<string, HeldShare>();
        for (const sealed of dealt.flat()) if (sealed.to === m.secrets.site) h.set(sealed.from, openShare(sealed, m.secrets, cohort));
        return h;
      });
      const releases = made.map((m, i) => releaseShares(request, m.secrets, cohort, heldAll[i] as Map<string, HeldShare>, ledgers[i] as ReturnType<typeof memoryLedger>, 3));
      const members = cohort.members.map((m) => ({ site: m.site, maskPublicKeyDer: m.maskPublicKeyDer, selfSeedCommitment: m.selfSeedCommitment, certificatePem: m.certificatePem }));
      // Sum of the 10 sites' masked uploads (site 0's vector for all, each under its own mask).
      const uploads = made.map((m) => {
        const masker = new SiteMasker(m.secrets, cohort, codec.descriptor);
        try {
          return [...codec.encoder.encodeMasked(vector, masker)];
        } finally {
          masker.dispose();
        }
      });
      const adder = await BfvChunkAdder.create(codec.descriptor);
      const sums: (Uint8Array | undefined)[] = new Array(adder.chunkCount).fill(undefined);
      for (const u of uploads) u.forEach((c, i) => (sums[i] = adder.add(sums[i], c, i)));
      adder.dispose();
      const t0 = performance.now();
      const rebuilt = await rebuildSecrets(context, members, cohort.threshold, survivors, releases, cohort.digest);
      const unmasker = new BfvChunkUnmasker(await loadSeal(), codec.descriptor, context, members, rebuilt);
      const clear = (sums as Uint8Array[]).map((c, i) => unmasker.unmask(c, i));
      unmaskMsTenSites = round1(performance.now() - t0);
      unmasker.dispose();
      const decoded = codec.encoder.decodeAggregate(clear, { contributors: 10 });
      let maxErr = 0;
      for (let i = 0; i < params; i++) maxErr = Math.max(maxErr, Math.abs((decoded.sum[i] as number) - 10 * (vector[i] as number)));
      unmaskCheck = `check slots hold 10; weight ${decoded.sum[params]} (10 x ${vector[params]}); max |value error| ${maxErr.toExponential(2)}`;
      progress(`  coordinator unmasking of the 10-site sum: ${unmaskMsTenSites} ms; ${unmaskCheck}`);
    }
  }
  return { bySites, unmaskMsTenSites, unmaskCheck };
}
