/**
 * Witnessing the coordinator's audit log (docs/audit-log.md#witnessing). Each task carries
 * the coordinator's latest signed checkpoint and the RFC 9162 consistency proof from the
 * checkpoint the site last kept. The site checks the signature (consortium CA, a coordinator
 * of its consortium) and the proof, keeps the new checkpoint and cosigns it with its own
 * certificate key; a checkpoint that does not extend the kept one is refused, with both kept
 * as evidence. A coordinator that rewrites its history and re-signs it can then be shown the
 * checkpoint a site cosigned before the rewrite (`cohort audit verify --checkpoint`).
 *
 * Pure functions over checkpoints and proofs: the site agent and the coordinator each wire
 * them to their files and RPCs.
 */
import { createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { AuditErrors, CohortError, isCohortError } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';
import { auditOrigin, checkpointVerifier, parseCheckpointLine, type CheckpointLine, type ParsedCheckpoint } from './checkpoint.ts';
import { readLineFile } from './lines.ts';
import { verifyConsistency } from './merkle.ts';
import { join } from 'node:path';

/** The coordinator's store of the sites' cosignatures and refusals, beside its audit.jsonl. */
export const COSIGNATURE_FILE = 'cosignatures.jsonl';

/** First line of the text a cosignature signs. */
export const COSIGNATURE_HEADER = 'cohort-cosignature/v1';

/** One line of the coordinator's `audit/cosignatures.jsonl`: a site's signature over a checkpoint. */
export interface CosignatureLine {
  /** The cosigning site's log origin (its certificate's consortium, role and name). */
  readonly witness: string;
  /** The cosigned checkpoint's origin, tree size and base64 root. */
  readonly origin: string;
  readonly treeSize: number;
  readonly root: string;
  readonly time: string;
  /** ECDSA P-256 / SHA-256, DER, base64, over cosignatureText. */
  readonly signature: string;
  /** The site's certificate (PEM). */
  readonly certificate: string;
}

/** A stored line of cosignatures.jsonl: a site's cosignature, or its refusal of a checkpoint (with the refused checkpoint's size and root). */
export type StoredCosignature =
  /** checkpoint: the coordinator's own checkpoints.jsonl line it cosigned (absent in lines stored before it was kept). */
  | { readonly site: string; readonly cosignature: CosignatureLine; readonly checkpoint?: CheckpointLine }
  /**
   * verified: both evidence checkpoints are the coordinator's and inconsistent (absent in lines
   * stored before refusals were checked: unverified); kept and offered: the evidence, null when
   * it did not parse.
   */
  | {
      readonly site: string;
      readonly refused: string;
      readonly treeSize: number;
      readonly root: string;
      readonly time: string;
      readonly verified?: boolean;
      readonly kept?: CheckpointLine | null;
      readonly offered?: CheckpointLine | null;
    };

/** Reads `<audit dir>/cosignatures.jsonl` (absent: none). */
export function readCosignatures(auditDir: string): StoredCosignature[] {
  return readLineFile(join(auditDir, COSIGNATURE_FILE)).lines.map((l) => JSON.parse(l.toString('utf8')) as StoredCosignature);
}

/** What a cosignature signs: the header, the witness, the time, then the checkpoint note's body (origin, size, root). */
export function cosignatureText(witness: string, time: string, checkpointBody: string): string {
  return `${COSIGNATURE_HEADER}\n${witness}\n${time}\n${checkpointBody}`;
}

/** The site's cosignature over a checkpoint it verified, made with its certificate key. */
export function cosign(cp: ParsedCheckpoint, signer: { certPem: string; keyPem: string }, now: Date = new Date()): CosignatureLine {
  const witness = auditOrigin(identityFromCertificate(signer.certPem));
  const time = now.toISOString();
  const signature = sign('sha256', Buffer.from(cosignatureText(witness, time, cp.text), 'utf8'), createPrivateKey(signer.keyPem));
  return { witness, origin: cp.origin, treeSize: cp.size, root: cp.root.toString('base64'), time, signature: signature.toString('base64'), certificate: signer.certPem };
}

/**
 * Checks a cosignature: the certificate was issued by the CA and names `site` (a site), and its
 * key signed the checkpoint of `origin`, `treeSize` and `root`. Throws COHORT_E_AUDIT_WITNESS_SIGNATURE.
 */
export function verifyCosignature(line: CosignatureLine, caPem: string, site: string): void {
  const bad = (why: string): CohortError => new CohortError(AuditErrors.WITNESS_SIGNATURE, `the cosignature of ${site} over tree size ${line.treeSize}: ${why}`, { details: { site, treeSize: line.treeSize } });
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(line.certificate);
  } catch {
    throw bad('its certificate does not parse');
  }
  const ca = new X509Certificate(caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw bad('its certificate was not issued by the consortium CA');
  const id = identityFromCertificate(line.certificate);
  if (id.role !== 'site' || id.name !== site || auditOrigin(id) !== line.witness) throw bad(`its certificate names ${id.role} "${id.name}", not the site that sent it`);
  const body = `${line.origin}\n${line.treeSize}\n${line.root}\n`;
  if (!verify('sha256', Buffer.from(cosignatureText(line.witness, line.time, body), 'utf8'), cert.publicKey, Buffer.from(line.signature, 'base64'))) throw bad('the signature does not verify');
}

/** What a task carries for witnessing. */
export interface OfferedCheckpoint {
  /** A checkpoints.jsonl line (JSON); empty when the coordinator has none. */
  readonly checkpointJson: string;
  readonly proof: readonly Uint8Array[];
  /** The tree size the proof starts from. */
  readonly proofFrom: number;
}

export type WitnessVerdict =
  /** No checkpoint offered, and none kept: nothing to witness. */
  | { readonly kind: 'none' }
  /** The checkpoint the site already kept (same size and root). */
  | { readonly kind: 'same'; readonly checkpoint: ParsedCheckpoint }
  /** A new checkpoint that extends the kept one (or the first): keep it and cosign. */
  | { readonly kind: 'advanced'; readonly checkpoint: ParsedCheckpoint; readonly line: CheckpointLine };

/**
 * Checks an offered checkpoint against the one the site kept (undefined: none yet, the first
 * is trusted on its signature alone). Throws COHORT_E_AUDIT_WITNESS_SIGNATURE (malformed, not
 * signed by a coordinator of `consortium` under the CA, signature does not verify),
 * COHORT_E_AUDIT_WITNESS_INCONSISTENT (none offered after one was kept, another log, a smaller
 * tree, the same size with another root, a proof that does not verify) or
 * COHORT_E_AUDIT_WITNESS_OUT_OF_SYNC (a proof from another size than the kept one).
 */
export function witnessCheckpoint(kept: ParsedCheckpoint | undefined, offered: OfferedCheckpoint, trust: { caPem: string; consortium: string }): WitnessVerdict {
  const inconsistent = (why: string, details: Record<string, unknown> = {}): CohortError =>
    new CohortError(AuditErrors.WITNESS_INCONSISTENT, `the coordinator's audit checkpoint ${why}: its history was rewritten or forked`, { details: { keptSize: kept?.size ?? 0, ...details } });
  if (offered.checkpointJson === '') {
    if (kept === undefined) return { kind: 'none' };
    throw inconsistent(`is missing, but this site kept one of tree size ${kept.size}`);
  }
  let cp: ParsedCheckpoint;
  let line: CheckpointLine;
  try {
    line = JSON.parse(offered.checkpointJson) as CheckpointLine;
    cp = parseCheckpointLine(Buffer.from(offered.checkpointJson, 'utf8'), 0);
    const signer = checkpointVerifier(trust.caPem)(cp, 0);
    if (signer.identity.role !== 'coordinator' || signer.identity.consortium !== trust.consortium) {
      throw new CohortError(AuditErrors.WITNESS_SIGNATURE, `signed by ${signer.identity.role} "${signer.identity.name}" of ${signer.identity.consortium}, not by this consortium's coordinator`);
    }
  } catch (e) {
    if (isCohortError(e, AuditErrors.WITNESS_SIGNATURE)) throw e;
    throw new CohortError(AuditErrors.WITNESS_SIGNATURE, `the coordinator's audit checkpoint does not verify: ${(e as Error).message}`, { details: { code: isCohortError(e) ? e.code : 'malformed' }, cause: e });
  }
  const details = { offeredSize: cp.size };
  if (kept === undefined) return { kind: 'advanced', checkpoint: cp, line: { note: line.note, certificate: line.certificate } };
  if (cp.origin !== kept.origin) throw inconsistent(`is of the log ${cp.origin}, not of ${kept.origin}`, details);
  if (cp.size < kept.size) throw inconsistent(`covers ${cp.size} records, fewer than the ${kept.size} this site cosigned`, details);
  if (cp.size === kept.size) {
    if (cp.root.equals(kept.root)) return { kind: 'same', checkpoint: cp };
    throw inconsistent(`of tree size ${cp.size} has another root than the one this site cosigned`, details);
  }
  if (offered.proofFrom !== kept.size) {
    throw new CohortError(AuditErrors.WITNESS_OUT_OF_SYNC, `the consistency proof starts at tree size ${offered.proofFrom}, this site kept ${kept.size}`, { details: { keptSize: kept.size, proofFrom: offered.proofFrom } });
  }
  try {
    verifyConsistency(kept.size, cp.size, offered.proof, kept.root, cp.root);
  } catch (e) {
    throw inconsistent(`of tree size ${cp.size} is not an extension of the one of tree size ${kept.size} this site cosigned (${(e as Error).message})`, details);
  }
  return { kind: 'advanced', checkpoint: cp, line: { note: line.note, certificate: line.certificate } };
}
