/**
 * A site's steps in a masked round (docs/secure-aggregation.md), on the protocol of
 * core/secure-agg/masking/: make and sign fresh round keys, verify the cohort's signed keys and
 * deal sealed shares, mask the quantized update before encryption and sign the receipt,
 * release shares by the never-both ledger, and verify the survivors' receipts before decrypting.
 *
 * Everything a step decides is sealed in the site's run state (run-state.ts, one file per round)
 * before anything it decides leaves the site: after a restart the site sends the same keys and
 * the same sealed shares again (never a second dealing of one secret), masks with the same
 * secrets, and its ledger still says which kind of share it released for each site, so a
 * coordinator cannot get the other kind by asking again.
 */
import { isDeepStrictEqual } from 'node:util';
import { CohortError, SecureAggErrors } from '../core/errors/index.ts';
import type { CeremonyIdentity } from '../core/secure-agg/key-ceremony.ts';
import { maskThreshold, type MaskingParameters } from '../core/secure-agg/masked-run.ts';
import { equivocates, verifyUnmaskRequest, type SignedUnmask } from '../core/secure-agg/masking/unmask-request.ts';
import {
  confirmCohort,
  createRoundMaskKeys,
  dealShares,
  maskCohort,
  openShare,
  releaseShares,
  signCohort,
  verifyMaskKeys,
  type CohortSignature,
  type ConfirmedCohort,
  type HeldShare,
  type MaskCohort,
  type MaskKeyAdvertisement,
  type ReleaseKind,
  type ReleaseLedger,
  type RoundMaskSecrets,
  type SealedShare,
  type ShareCommitment,
} from '../core/secure-agg/masking/protocol.ts';
import { signContribution, uploadDigest, verifyContributions, type ContributionReceipt } from '../core/secure-agg/masking/receipts.ts';
import type { MaskRoundContext } from '../core/secure-agg/masking/seeds.ts';
import { SiteMasker } from '../core/secure-agg/masking/site-masker.ts';
import type { RunStateStore } from './run-state.ts';

/** What a site keeps of a masked round, sealed (base64 for bytes). */
interface MaskRoundRecord {
  readonly advertisement: string;
  readonly secrets: { readonly channelPrivateKey: string; readonly maskPrivateKey: string; readonly selfSeed: string };
  /** The cohort's keys this site dealt its shares for (SHARING), as the coordinator sent them. */
  cohortKeys?: string[];
  /** The sealed shares this site dealt: sent again as they are, never dealt twice. */
  dealt?: SealedShare[];
  /** This site's signature over the cohort digest (SHARING): one cohort signed per round, sent with the shares. */
  cohortSignature?: CohortSignature;
  /** Every member's cohort signature, confirmed before any share was opened (TRAIN). */
  signatures?: unknown[];
  /** The shares sealed to this site, once opened (TRAIN). */
  held?: Record<string, { selfShare: string; maskKeyShare: string; commitment: ShareCommitment }>;
  /** The survivors U of the unmask request this site answered: the receipts' signers must be exactly these. */
  survivors?: string[];
  /**
   * Every coordinator-signed unmask request this site received for the round, verified, kept
   * before anything is released: a second one with another survivor set is refused, and the two
   * are the coordinator's signed equivocation.
   */
  unmaskRequests?: SignedUnmask[];
  /** What this site released, per owner site (UNMASK). */
  ledger: Record<string, ReleaseKind>;
  /** This site handed out a masker for the round: a second upload under the same masks is refused. */
  masked?: boolean;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const unb64 = (s: string): Buffer => Buffer.from(s, 'base64');

function refuse(message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(SecureAggErrors.MASKING, message, { details });
}

export interface SiteMaskingOptions {
  readonly me: CeremonyIdentity;
  readonly states: RunStateStore;
  /** Certificate serials the consortium CRL revokes (a CRL verified against the consortium CA). */
  readonly isRevoked: (serial: string) => boolean;
}

export class SiteMasking {
  constructor(private readonly o: SiteMaskingOptions) {}

  private context(runId: string, round: number): MaskRoundContext {
    return { consortium: this.o.me.consortium, run: runId, round };
  }

  private load(runId: string, round: number): MaskRoundRecord | undefined {
    const json = this.o.states.loadMaskRound(runId, round);
    return json === undefined ? undefined : (JSON.parse(json) as MaskRoundRecord);
  }

  private save(runId: string, round: number, record: MaskRoundRecord): void {
    this.o.states.saveMaskRound(runId, round, JSON.stringify(record));
  }

  private secretsOf(runId: string, round: number, record: MaskRoundRecord): RoundMaskSecrets {
    return {
      site: this.o.me.name,
      context: this.context(runId, round),
      channelPrivateKey: unb64(record.secrets.channelPrivateKey),
      maskPrivateKey: unb64(record.secrets.maskPrivateKey),
      selfSeed: unb64(record.secrets.selfSeed),
    };
  }

  private recorded(runId: string, round: number, step: string): MaskRoundRecord {
    const record = this.load(runId, round);
    if (!record) throw refuse(`round ${round} of run ${runId}: ${step} asked of this site, which advertised no mask keys for the round`, { runId, round });
    return record;
  }

  /** KEYING: this site's signed round keys; made once per round and sealed before they leave. */
  keys(runId: string, round: number): string {
    const existing = this.load(runId, round);
    if (existing) return existing.advertisement;
    const { advertisement, secrets } = createRoundMaskKeys(this.o.me, this.context(runId, round));
    const json = JSON.stringify(advertisement);
    this.save(runId, round, {
      advertisement: json,
      secrets: { channelPrivateKey: b64(secrets.channelPrivateKey), maskPrivateKey: b64(secrets.maskPrivateKey), selfSeed: b64(secrets.selfSeed) },
      ledger: {},
    });
    return json;
  }

  /**
   * Verifies every cohort member's signed keys (this site's own must be the ones it made) and
   * builds the cohort with the run's threshold. Throws SECURE_AGG_MASKING (or SITE_REVOKED).
   */
  private cohortOf(runId: string, round: number, record: MaskRoundRecord, keys: readonly string[], params: MaskingParameters, minSites: number): MaskCohort {
    const context = this.context(runId, round);
    const verified = keys.map((json) => {
      let site: unknown;
      try {
        site = (JSON.parse(json) as Partial<MaskKeyAdvertisement>).site;
      } catch {
        throw refuse(`round ${round}: a cohort member's mask keys are not JSON`);
      }
      if (typeof site !== 'string') throw refuse(`round ${round}: a cohort member's mask keys name no site`);
      return verifyMaskKeys(json, { caPem: this.o.me.caPem, context, site, isRevoked: this.o.isRevoked });
    });
    const mine = JSON.parse(record.advertisement) as MaskKeyAdvertisement;
    const listed = verified.find((v) => v.site === this.o.me.name);
    if (!listed || listed.maskPublicKeyDer.toString('base64') !== mine.maskPublicKey || listed.channelPublicKeyDer.toString('base64') !== mine.channelPublicKey) {
      throw refuse(`round ${round}: the cohort's keys do not hold this site's own round keys`, { runId, round });
    }
    return maskCohort(context, verified, maskThreshold(verified.length, params), minSites);
  }

  /** The cohort this site dealt for; a task naming another cohort is refused. */
  private boundCohort(runId: string, round: number, record: MaskRoundRecord, keys: readonly string[] | undefined, params: MaskingParameters, minSites: number): MaskCohort {
    if (record.cohortKeys === undefined) throw refuse(`round ${round} of run ${runId}: this site dealt no shares for the round`, { runId, round });
    if (keys !== undefined && !isDeepStrictEqual([...keys], record.cohortKeys)) {
      throw refuse(`round ${round} of run ${runId}: the task names another cohort than the one this site dealt its shares for`, { runId, round });
    }
    const cohort = this.cohortOf(runId, round, record, record.cohortKeys, params, minSites);
    if (record.cohortSignature !== undefined && record.cohortSignature.cohort !== cohort.digest) {
      throw refuse(`round ${round} of run ${runId}: the cohort differs from the one this site signed`, { runId, round });
    }
    return cohort;
  }

  /**
   * The cohort confirmed by every member's signature over the digest this site signed (relayed
   * by the coordinator with the TRAIN task, kept sealed): nothing opens, masks or releases before.
   */
  private confirmedCohort(runId: string, round: number, record: MaskRoundRecord, keys: readonly string[] | undefined, signatures: readonly string[] | undefined, params: MaskingParameters, minSites: number): ConfirmedCohort {
    const cohort = this.boundCohort(runId, round, record, keys, params, minSites);
    let relayed: unknown[] | undefined = record.signatures;
    if (relayed === undefined) {
      if (signatures === undefined) throw refuse(`round ${round} of run ${runId}: the task relays no cohort signatures; this site does not act on an unconfirmed cohort`, { runId, round });
      relayed = signatures.map((j) => {
        try {
          return JSON.parse(j) as unknown;
        } catch {
          throw refuse(`round ${round}: a relayed cohort signature is not JSON`, { runId, round });
        }
      });
    }
    return confirmCohort(cohort, relayed);
  }

  /** SHARING: verifies the cohort and deals this site's sealed shares (the same ones on a repeat). */
  async shares(runId: string, round: number, keys: readonly string[], params: MaskingParameters, minSites: number): Promise<string> {
    const record = this.recorded(runId, round, 'sharing');
    if (record.dealt !== undefined && record.cohortSignature !== undefined) {
      if (!isDeepStrictEqual([...keys], record.cohortKeys)) throw refuse(`round ${round} of run ${runId}: the cohort changed after this site dealt its shares`, { runId, round });
      return JSON.stringify({ signature: record.cohortSignature, shares: record.dealt });
    }
    const cohort = this.cohortOf(runId, round, record, keys, params, minSites);
    const secrets = this.secretsOf(runId, round, record);
    // One cohort signed per round, sealed with the shares before either leaves.
    const cohortSignature = signCohort(this.o.me, cohort);
    const dealt = await dealShares(secrets, cohort, this.o.me);
    this.save(runId, round, { ...record, cohortKeys: [...keys], dealt, cohortSignature });
    return JSON.stringify({ signature: cohortSignature, shares: dealt });
  }

  /**
   * TRAIN: opens the shares sealed to this site (one from every cohort member, kept sealed at
   * rest) and returns the mask to add to the quantized slots before encryption. Once per round:
   * two uploads under the same masks would show the coordinator the difference of two updates,
   * so a second TRAIN of the round (an upload refused or cut off, then asked again) is refused
   * (SECURE_AGG_MASKING) and the site sits the round out.
   */
  masker(
    runId: string,
    round: number,
    data: { readonly keys?: readonly string[] | undefined; readonly shares?: readonly string[] | undefined; readonly signatures?: readonly string[] | undefined },
    params: MaskingParameters,
    minSites: number,
    codec: { plainModulus: string; polyModulusDegree: number },
  ): SiteMasker {
    const shares = data.shares ?? [];
    const record = this.recorded(runId, round, 'a masked upload');
    if (record.masked === true) {
      throw refuse(`round ${round} of run ${runId}: this site already masked an upload this round; a second one under the same masks would show the difference of the two`, { runId, round });
    }
    const cohort = this.confirmedCohort(runId, round, record, data.keys, data.signatures, params, minSites);
    const secrets = this.secretsOf(runId, round, record);
    let held = record.held;
    if (held === undefined) {
      const opened: Record<string, { selfShare: string; maskKeyShare: string; commitment: ShareCommitment }> = {};
      for (const s of shares) {
        const h = openShare(s, secrets, cohort);
        if (opened[h.from] !== undefined) throw refuse(`round ${round}: two shares from ${h.from}`, { from: h.from });
        opened[h.from] = { selfShare: b64(h.selfShare), maskKeyShare: b64(h.maskKeyShare), commitment: h.commitment };
      }
      const missing = cohort.members.map((m) => m.site).filter((s) => opened[s] === undefined);
      if (missing.length > 0) throw refuse(`round ${round}: no share from ${missing.join(', ')}; this site does not mask without them`, { missing });
      held = opened;
    }
    // Sealed before the masker exists: after a restart this round is not masked again.
    this.save(runId, round, { ...record, signatures: [...cohort.signatures], held, masked: true });
    return new SiteMasker(secrets, cohort, codec);
  }

  /** The signed receipt of an upload: (consortium, run, round, SHA-256 of its chunks). */
  receipt(runId: string, round: number, chunks: readonly Uint8Array[]): string {
    return JSON.stringify(signContribution(this.o.me, this.context(runId, round), uploadDigest(chunks)));
  }

  /**
   * UNMASK: answers the published survivors and dropped sites by the never-both ledger: the
   * decisions are sealed at rest before the shares are returned, and a request that asks for
   * the other kind of share for any site is refused (SECURE_AGG_SHARE_CONFLICT), after a restart too.
   */
  release(runId: string, round: number, keys: readonly string[] | undefined, signed: unknown, params: MaskingParameters, minSites: number): string {
    let record = this.recorded(runId, round, 'unmasking');
    // The coordinator's signature over U and D first: an unsigned or altered request releases nothing.
    const request = verifyUnmaskRequest(signed, { caPem: this.o.me.caPem, consortium: this.o.me.consortium, run: runId, round, isRevoked: this.o.isRevoked });
    const seen = record.unmaskRequests ?? [];
    const first = seen[0];
    // Only the first signed set this site stored is ever answered: any other, sent once or again, is refused.
    if (first === undefined || equivocates(first.request, request)) {
      // Kept (sealed) before any share leaves: with a different earlier one it is the proof of equivocation.
      if (!seen.some((s) => !equivocates(s.request, request))) {
        record = { ...record, unmaskRequests: [...seen, signed as SignedUnmask] };
        this.save(runId, round, record);
      }
      if (first !== undefined) {
        throw new CohortError(SecureAggErrors.UNMASK_EQUIVOCATION, `round ${round} of run ${runId}: the coordinator signed another survivor set for this round than the one this site holds; nothing released`, {
          details: { runId, round, first: { survivors: first.request.survivors, dropped: first.request.dropped }, second: { survivors: request.survivors, dropped: request.dropped } },
        });
      }
    }
    const cohort = this.confirmedCohort(runId, round, record, keys, undefined, params, minSites);
    if (request.cohort !== cohort.digest) throw refuse(`round ${round} of run ${runId}: the unmask request names another cohort digest than the one every member signed; nothing released`, { runId, round });
    if (record.held === undefined) throw refuse(`round ${round} of run ${runId}: this site holds no shares (it never masked an upload this round)`, { runId, round });
    const held = new Map<string, HeldShare>(Object.entries(record.held).map(([from, h]) => [from, { from, selfShare: unb64(h.selfShare), maskKeyShare: unb64(h.maskKeyShare), commitment: h.commitment }]));
    const entries = { ...record.ledger };
    const ledger: ReleaseLedger = {
      get: (site) => entries[site],
      record: (decisions) => {
        decisions.forEach((kind, site) => (entries[site] = kind));
        this.save(runId, round, { ...record, ledger: entries, survivors: [...request.survivors] });
      },
    };
    return JSON.stringify(releaseShares(request, this.secretsOf(runId, round, record), cohort, held, ledger, minSites));
  }

  /**
   * Before decrypting a masked aggregate: the receipts must be |U| distinct, valid, unrevoked
   * contributors of this round's cohort (where this site knows it), at least minSites. Returns
   * |U|, which the check slots must then decrypt to exactly.
   */
  verifyReceipts(runId: string, round: number, receiptsJson: string, chunkCount: number, minSites: number): number {
    let receipts: unknown;
    try {
      receipts = JSON.parse(receiptsJson);
    } catch {
      receipts = undefined;
    }
    if (!Array.isArray(receipts)) throw new CohortError(SecureAggErrors.RECEIPT_INVALID, `the aggregate of round ${round} came without the survivors' receipts`, { details: { runId, round } });
    const record = this.load(runId, round);
    const cohort = record?.cohortKeys?.map((k) => (JSON.parse(k) as MaskKeyAdvertisement).site);
    const verified = verifyContributions(receipts as ContributionReceipt[], {
      caPem: this.o.me.caPem,
      context: this.context(runId, round),
      chunkCount,
      minContributors: minSites,
      // A site outside U (dropped, alive) answered no unmask request: it holds the receipts'
      // signers to the cohort, distinct and at least minSites, but cannot pin them to U.
      cohort: cohort ?? [],
      survivors: record?.survivors ?? signersOf(receipts),
      isRevoked: this.o.isRevoked,
    });
    return verified.count;
  }
}

const signersOf = (receipts: readonly unknown[]): string[] =>
  receipts.map((r) => (typeof r === 'object' && r !== null && typeof (r as { site?: unknown }).site === 'string' ? (r as { site: string }).site : '')).filter((s) => s !== '');
