/**
 * Signed contributions: each site signs (consortium, run, round, SHA-256 of its uploaded
 * chunks) with its certificate key; the coordinator hands the aggregate out with the receipts
 * of the survivors U, and every site checks them before it decrypts: |U| distinct sites, each
 * signed under a valid, unrevoked consortium certificate, no upload counted twice. The check
 * slots then must decrypt to exactly |U| (BfvUpdateEncoder.decodeAggregate with
 * `contributors`), which a sum with a mask left in that the coordinator cannot compute, a copy
 * of an honest upload, or a missing site fails. The receipt signers must be exactly the
 * survivors U of the unmask request the verifying site answered. A coordinator that knows one
 * site's mask (a colluder's) can still add that site's upload twice and fix the check slot with
 * a plaintext: the check slot is a count, not a MAC (docs/secure-aggregation.md).
 */
import { createPrivateKey, sign, verify } from 'node:crypto';
import { CohortError, SecureAggErrors } from '../../errors/index.ts';
import { identityFromCertificate } from '../../pki/identity.ts';
import { siteCertificateKey } from '../certificate-key.ts';
import type { CeremonyIdentity } from '../key-ceremony.ts';
import type { MaskRoundContext } from './seeds.ts';

const RECEIPT_CONTEXT = 'cohort-secagg-receipt-v1';

export { UploadDigest, uploadDigest } from './upload-digest.ts';

/** A site's signed statement of what it uploaded. JSON on the wire. */
export interface ContributionReceipt {
  readonly v: 1;
  readonly consortium: string;
  readonly run: string;
  readonly round: number;
  readonly site: string;
  readonly chunkCount: number;
  /** {@link UploadDigest} of the chunks, hex. */
  readonly chunksSha256: string;
  readonly certificatePem: string;
  /** ECDSA-SHA256 by the certificate key over {@link receiptBytes}, base64. */
  readonly signature: string;
}

const receiptBytes = (r: Omit<ContributionReceipt, 'certificatePem' | 'signature'>): Buffer =>
  Buffer.from(JSON.stringify([RECEIPT_CONTEXT, r.v, r.consortium, r.run, r.round, r.site, r.chunkCount, r.chunksSha256]));

/** Signs a receipt for an upload (the site, after its last chunk). */
export function signContribution(me: CeremonyIdentity, context: MaskRoundContext, upload: { chunkCount: number; chunksSha256: string }): ContributionReceipt {
  const body = { v: 1, consortium: context.consortium, run: context.run, round: context.round, site: me.name, chunkCount: upload.chunkCount, chunksSha256: upload.chunksSha256 } as const;
  return { ...body, certificatePem: me.certPem, signature: sign('sha256', receiptBytes(body), createPrivateKey(me.keyPem)).toString('base64') };
}

/** What the receipts are checked against. */
export interface ContributionExpectation {
  readonly caPem: string;
  readonly context: MaskRoundContext;
  readonly chunkCount: number;
  /** The fewest contributors an aggregate may have (the run's minSites). */
  readonly minContributors: number;
  /** Sites allowed to contribute: the round's cohort. */
  readonly cohort: readonly string[];
  /**
   * The survivors U of the unmask request this site answered (after checking it against the
   * cohort it confirmed): the receipts must be signed by exactly these sites, no more, no fewer.
   */
  readonly survivors: readonly string[];
  /** Revocation by certificate serial (normalised hex). Required: pass `() => false` only where no CRL exists. */
  readonly isRevoked: (serial: string) => boolean;
  readonly now?: number;
}

/** Receipts that passed {@link verifyContributions}. */
export interface VerifiedContributions {
  /** The contributors, sorted. */
  readonly sites: readonly string[];
  readonly count: number;
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): CohortError {
  return new CohortError(SecureAggErrors.RECEIPT_INVALID, message, { details, cause });
}

/**
 * Checks one receipt's signer and signature: signed under a valid consortium certificate of the
 * site it names, not revoked, over its own fields. Throws SECURE_AGG_RECEIPT_INVALID (or
 * SECURE_AGG_SITE_REVOKED). What it describes (run, round, chunks) is the caller's to check.
 * The coordinator runs this on every masked upload's receipt as it arrives; the sites again on
 * every receipt of the aggregate ({@link verifyContributions}).
 */
export function verifyReceiptSignature(r: ContributionReceipt, expect: { readonly caPem: string; readonly consortium: string; readonly isRevoked: (serial: string) => boolean; readonly now?: number }, i = 0): void {
  if (typeof r !== 'object' || r === null || typeof r.site !== 'string' || typeof r.certificatePem !== 'string' || typeof r.signature !== 'string') {
    throw invalid(`receipt ${i} is malformed`, { receipt: i });
  }
  let key;
  try {
    key = siteCertificateKey(r.certificatePem, expect.caPem, expect.consortium, r.site, `receipt of ${r.site}`, expect.now);
  } catch (e) {
    throw invalid(`receipt ${i}: not signed under a valid consortium certificate of ${r.site}`, { receipt: i, site: r.site }, e);
  }
  const serial = identityFromCertificate(r.certificatePem).serial;
  if (expect.isRevoked(serial)) {
    throw new CohortError(SecureAggErrors.SITE_REVOKED, `receipt of ${r.site}: signed under certificate ${serial}, which the consortium CRL revokes`, { details: { site: r.site, serial } });
  }
  if (!verify('sha256', receiptBytes(r), key, Buffer.from(r.signature, 'base64'))) throw invalid(`receipt ${i} of ${r.site}: the signature does not verify`, { receipt: i, site: r.site });
}

/**
 * Checks the receipts an aggregate came with. Throws SECURE_AGG_RECEIPT_INVALID for a receipt
 * that is malformed, for another round or chunk count, from outside the cohort or the
 * survivors this site answered for, when a survivor has no receipt, or that is not signed
 * under a valid consortium certificate of its site; SECURE_AGG_SITE_REVOKED for a revoked one;
 * SECURE_AGG_RECEIPT_DUPLICATE for two receipts of one site or of one upload digest;
 * SECURE_AGG_TOO_FEW_SURVIVORS for fewer than `minContributors`.
 */
export function verifyContributions(receipts: readonly unknown[], expect: ContributionExpectation): VerifiedContributions {
  const c = expect.context;
  const sites = new Set<string>();
  const digests = new Set<string>();
  const cohort = new Set(expect.cohort);
  const survivors = new Set(expect.survivors);
  for (const [i, raw] of receipts.entries()) {
    const r = raw as ContributionReceipt;
    if (
      typeof r !== 'object' || r === null || r.v !== 1 || typeof r.site !== 'string' || typeof r.certificatePem !== 'string' || typeof r.signature !== 'string' ||
      typeof r.chunksSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.chunksSha256)
    ) {
      throw invalid(`receipt ${i} is malformed`, { receipt: i });
    }
    if (r.consortium !== c.consortium || r.run !== c.run || r.round !== c.round || r.chunkCount !== expect.chunkCount) {
      throw invalid(`receipt ${i} of ${r.site} is for ${r.run} round ${r.round} with ${r.chunkCount} chunks, not this round`, { receipt: i, site: r.site });
    }
    if (!cohort.has(r.site)) throw invalid(`receipt ${i}: ${r.site} is not in the round's cohort`, { receipt: i, site: r.site });
    if (!survivors.has(r.site)) throw invalid(`receipt ${i}: ${r.site} is not among the survivors of the unmask request this site answered`, { receipt: i, site: r.site });
    verifyReceiptSignature(r, { caPem: expect.caPem, consortium: c.consortium, isRevoked: expect.isRevoked, ...(expect.now === undefined ? {} : { now: expect.now }) }, i);
    if (sites.has(r.site) || digests.has(r.chunksSha256)) {
      throw new CohortError(SecureAggErrors.RECEIPT_DUPLICATE, `receipt ${i}: ${sites.has(r.site) ? `${r.site} is counted twice` : `the upload of ${r.site} is another site's upload`}`, {
        details: { receipt: i, site: r.site },
      });
    }
    sites.add(r.site);
    digests.add(r.chunksSha256);
  }
  const missing = [...survivors].filter((s) => !sites.has(s)).sort();
  if (missing.length > 0 && sites.size >= expect.minContributors) {
    throw invalid(`no receipt from ${missing.join(', ')}, which the unmask request this site answered names as survivors`, { missing });
  }
  if (sites.size < expect.minContributors) {
    throw new CohortError(SecureAggErrors.TOO_FEW_SURVIVORS, `the aggregate has ${sites.size} contributor(s), the run needs at least ${expect.minContributors}`, {
      details: { contributors: sites.size, minContributors: expect.minContributors },
    });
  }
  const sorted = [...sites].sort();
  return { sites: sorted, count: sorted.length };
}
