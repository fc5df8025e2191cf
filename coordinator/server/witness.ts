/**
 * The coordinator's half of witnessing (docs/audit-log.md#witnessing): every task it sends a
 * site carries its latest signed audit checkpoint and the RFC 9162 consistency proof from the
 * tree size the site last kept (the site says it when it opens its task stream, and each
 * cosignature moves it on). Cosignatures, and refusals, go to `audit/cosignatures.jsonl`
 * and into the coordinator's own log:
 *  - a cosignature is taken only over a checkpoint this coordinator signed (its line in
 *    checkpoints.jsonl is stored with it), once per (site, tree size, root);
 *  - a refusal only with a COHORT_E_AUDIT_WITNESS_* code, a well-formed root and its evidence
 *    (the kept and offered checkpoints, and the proof). It is `verified` (an
 *    `audit.witness.refused` record, which raises an incident) only when both checkpoints are
 *    this coordinator's and they are really inconsistent; otherwise it is kept as the site's
 *    claim (`audit.witness.claim`, no incident).
 *
 * The proof is computed from the files the writer appends (its records are fsynced before a
 * checkpoint is signed over them), re-read only when they grew.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import { CHECKPOINT_FILE, AUDIT_LOG_FILE } from '../../core/audit/audit-log.ts';
import { checkpointVerifier, parseCheckpointLine, type CheckpointLine, type ParsedCheckpoint } from '../../core/audit/checkpoint.ts';
import { safeDetails } from '../../core/audit/details.ts';
import { appendDurably, readLineFile } from '../../core/audit/lines.ts';
import { consistencyProof, leafHash, treeHash, verifyConsistency } from '../../core/audit/merkle.ts';
import { COSIGNATURE_FILE, readCosignatures, verifyCosignature, type CosignatureLine, type StoredCosignature } from '../../core/audit/witness.ts';
import { AuditErrors, CohortError } from '../../core/errors/index.ts';
import type { Cosignature__Output } from '../../protos/gen/cohort/v1/Cosignature.ts';

/** A refusal's evidence is two checkpoint lines (each a note and a certificate, a few kB) and a consistency proof: more is refused as malformed. */
const MAX_EVIDENCE_CHARS = 64 * 1024;
const MAX_PROOF_HASHES = 64;

/** The witnessing fields of a task. */
export interface TaskWitnessFields {
  auditCheckpointJson: string;
  auditProof: Buffer[];
  auditProofFrom: string;
}

/** The codes a site may refuse a checkpoint with. */
const REFUSAL_CODES: ReadonlySet<string> = new Set(Object.values(AuditErrors).map((d) => d.code).filter((c) => c.startsWith('COHORT_E_AUDIT_WITNESS_')));
/** A SHA-256 root in base64: exactly 44 characters, one '=' of padding. */
const ROOT_BASE64 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const rootHex = (base64: string): string => Buffer.from(base64, 'base64').toString('hex');

export class CoordinatorWitness {
  private readonly sizes = new Map<string, number>();
  private leaves: Buffer[] = [];
  private logBytes = -1;
  private latest: { json: string; size: number } | undefined;
  private checkpointBytes = -1;
  /** Every checkpoint this coordinator signed: tree size, then base64 root, to its checkpoints.jsonl line. */
  private signed = new Map<number, Map<string, string>>();
  /** Cosignatures stored, by site, tree size and root: a repeat is not stored again. */
  private readonly stored = new Set<string>();
  /** Refusals already stored (site, code, size, root, kept checkpoint): a site that keeps refusing adds nothing more. */
  private readonly refusals = new Set<string>();
  /** Per site, the largest tree size it cosigned here (from the stored cosignatures): what it must still say it kept. */
  private readonly cosignedMax = new Map<string, number>();
  /** Per site, the backward report already recorded (one record per site and reported size, not one per reconnect). */
  private readonly rollbackRecorded = new Map<string, number>();
  /** Consistency proofs to the latest checkpoint, by the size they start from (cleared when it moves). */
  private readonly proofs = new Map<number, Buffer[]>();
  private readonly verifyCheckpoint: ReturnType<typeof checkpointVerifier>;

  constructor(
    private readonly audit: AuditLog,
    private readonly caPem: string,
  ) {
    this.verifyCheckpoint = checkpointVerifier(caPem);
    // Until a site says otherwise, what it last cosigned here.
    for (const c of readCosignatures(audit.dir)) {
      if (!('cosignature' in c)) continue;
      this.sizes.set(c.site, Math.max(this.sizes.get(c.site) ?? 0, c.cosignature.treeSize));
      this.cosignedMax.set(c.site, Math.max(this.cosignedMax.get(c.site) ?? 0, c.cosignature.treeSize));
      this.stored.add(cosignedKey(c.site, c.cosignature.treeSize, c.cosignature.root));
    }
  }

  /** What the site says it kept, as it opens its task stream (0: nothing, or an agent that does not witness). */
  siteConnected(site: string, witnessedSize: number): void {
    const cosigned = this.cosignedMax.get(site) ?? 0;
    if (witnessedSize < cosigned && this.rollbackRecorded.get(site) !== witnessedSize) {
      // The site says it kept less than it cosigned here: its witnessed state (and, restored with it from a backup, its
      // privacy ledger and masking release ledger) went back. Recorded; core/governance/incidents.ts raises an incident.
      this.rollbackRecorded.set(site, witnessedSize);
      this.audit.append({ actor: { name: site, role: 'site' }, action: 'audit.witness.site-rollback', target: { site }, outcome: 'failed', details: safeDetails({ reportedSize: witnessedSize, cosignedSize: cosigned }) });
    }
    if (witnessedSize > 0) this.sizes.set(site, witnessedSize);
  }

  private refresh(needLeaves = 0): void {
    const cpFile = join(this.audit.dir, CHECKPOINT_FILE);
    const cpBytes = existsSync(cpFile) ? statSync(cpFile).size : 0;
    if (cpBytes !== this.checkpointBytes) {
      this.checkpointBytes = cpBytes;
      let best: { json: string; size: number } | undefined;
      const signed = new Map<number, Map<string, string>>();
      for (const [i, line] of readLineFile(cpFile).lines.entries()) {
        const cp = parseCheckpointLine(line, i);
        const json = line.toString('utf8');
        let atSize = signed.get(cp.size);
        if (atSize === undefined) signed.set(cp.size, (atSize = new Map()));
        atSize.set(cp.root.toString('base64'), json);
        if (best === undefined || cp.size >= best.size) best = { json, size: cp.size };
      }
      this.signed = signed;
      if (best?.json !== this.latest?.json) this.proofs.clear();
      this.latest = best;
    }
    const logFile = join(this.audit.dir, AUDIT_LOG_FILE);
    const logBytes = existsSync(logFile) ? statSync(logFile).size : 0;
    if (logBytes !== this.logBytes && Math.max(this.latest?.size ?? 0, needLeaves) > this.leaves.length) {
      this.logBytes = logBytes;
      this.leaves = readLineFile(logFile).lines.map((l) => leafHash(l));
    }
  }

  /** The witnessing fields for a task to `site`: the latest checkpoint, and the proof from what the site kept. */
  fieldsFor(site: string): TaskWitnessFields {
    this.refresh();
    const latest = this.latest;
    if (latest === undefined) return { auditCheckpointJson: '', auditProof: [], auditProofFrom: '0' };
    const from = this.sizes.get(site) ?? 0;
    // A site that kept more than this log holds gets no proof: it refuses the smaller checkpoint on its own.
    let proof: Buffer[] = [];
    if (from > 0 && from < latest.size && latest.size <= this.leaves.length) {
      proof = this.proofs.get(from) ?? consistencyProof(this.leaves, from, latest.size);
      this.proofs.set(from, proof);
    }
    return { auditCheckpointJson: latest.json, auditProof: proof, auditProofFrom: String(from) };
  }

  /**
   * A site's CosignCheckpoint: a cosignature (checked under the CA and against the checkpoints
   * this coordinator signed, then stored once) or a refusal (checked, stored and recorded).
   * Throws COHORT_E_AUDIT_WITNESS_SIGNATURE, COHORT_E_AUDIT_WITNESS_UNKNOWN_CHECKPOINT or
   * COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED, storing nothing.
   */
  received(site: string, req: Cosignature__Output): void {
    if (req.refusalCode !== '') {
      this.refusal(site, req);
      return;
    }
    const treeSize = Number(req.treeSize);
    let line: CosignatureLine;
    try {
      line = JSON.parse(req.cosignatureJson) as CosignatureLine;
    } catch {
      throw new CohortError(AuditErrors.WITNESS_SIGNATURE, `the cosignature of ${site} is not JSON`, { details: { site } });
    }
    if (line.treeSize !== treeSize || line.root !== req.root || line.origin !== this.audit.origin) {
      throw new CohortError(AuditErrors.WITNESS_SIGNATURE, `the cosignature of ${site} is not over this log's checkpoint of tree size ${treeSize}`, { details: { site, treeSize } });
    }
    verifyCosignature(line, this.caPem, site);
    this.refresh();
    const checkpoint = this.signed.get(treeSize)?.get(line.root);
    if (checkpoint === undefined) {
      throw new CohortError(AuditErrors.WITNESS_UNKNOWN_CHECKPOINT, `${site} cosigned a checkpoint of tree size ${treeSize} that this coordinator never signed`, { details: { site, treeSize } });
    }
    this.sizes.set(site, Math.max(this.sizes.get(site) ?? 0, treeSize));
    this.cosignedMax.set(site, Math.max(this.cosignedMax.get(site) ?? 0, treeSize));
    const key = cosignedKey(site, treeSize, line.root);
    if (this.stored.has(key)) return;
    this.store({ site, cosignature: line, checkpoint: JSON.parse(checkpoint) as CheckpointLine });
    this.stored.add(key);
    this.audit.append({ actor: { name: site, role: 'site' }, action: 'audit.cosign', target: { site }, outcome: 'ok', details: safeDetails({ treeSize, root: rootHex(line.root) }) });
  }

  private refusal(site: string, req: Cosignature__Output): void {
    const malformed = (why: string): CohortError => new CohortError(AuditErrors.WITNESS_REFUSAL_MALFORMED, `the refusal of ${site}: ${why}`, { details: { site } });
    const code = req.refusalCode;
    const treeSize = Number(req.treeSize);
    if (!REFUSAL_CODES.has(code)) throw malformed('its code is not a COHORT_E_AUDIT_WITNESS_* code');
    if (!ROOT_BASE64.test(req.root)) throw malformed('its root is not a base64 SHA-256');
    if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw malformed('its tree size is not a count');
    if (req.refusedOfferedJson === '') throw malformed('it carries no evidence (the offered checkpoint)');
    if (req.refusedOfferedJson.length + req.refusedKeptJson.length > MAX_EVIDENCE_CHARS || req.refusedProof.length > MAX_PROOF_HASHES) throw malformed(`its evidence is larger than two checkpoints and a proof (${MAX_EVIDENCE_CHARS} characters, ${MAX_PROOF_HASHES} hashes)`);
    // The same refusal again (a site that reconnects and is offered the same checkpoint): stored and recorded once.
    const again = `${site}\u0000${code}\u0000${treeSize}\u0000${req.root}\u0000${req.refusedKeptJson === '' ? '' : createHash('sha256').update(req.refusedKeptJson).digest('hex')}`;
    if (this.refusals.has(again)) return;
    this.refusals.add(again);
    const offered = this.mine(req.refusedOfferedJson);
    const kept = req.refusedKeptJson === '' ? undefined : this.mine(req.refusedKeptJson);
    const verified =
      offered !== undefined && kept !== undefined && offered.size === treeSize && offered.root.toString('base64') === req.root &&
      this.inconsistent(kept, offered, req.refusedProof, Number(req.refusedProofFrom));
    const evidence = (json: string): CheckpointLine | null => {
      try {
        const l = JSON.parse(json) as CheckpointLine;
        return typeof l.note === 'string' && typeof l.certificate === 'string' ? { note: l.note, certificate: l.certificate } : null;
      } catch {
        return null;
      }
    };
    this.store({
      site, refused: code, treeSize, root: req.root, time: new Date().toISOString(), verified,
      kept: req.refusedKeptJson === '' ? null : evidence(req.refusedKeptJson), offered: evidence(req.refusedOfferedJson),
    });
    this.audit.append({
      actor: { name: site, role: 'site' },
      action: verified ? 'audit.witness.refused' : 'audit.witness.claim',
      target: { site },
      outcome: 'refused',
      details: safeDetails({ treeSize, root: rootHex(req.root), code, keptSize: kept?.size ?? null, verified }),
    });
  }

  /** A checkpoints.jsonl line signed by a coordinator under the CA for this log; undefined when it is not. */
  private mine(json: string): ParsedCheckpoint | undefined {
    try {
      const cp = parseCheckpointLine(Buffer.from(json, 'utf8'), 0);
      const signer = this.verifyCheckpoint(cp, 0);
      return signer.identity.role === 'coordinator' && cp.origin === this.audit.origin ? cp : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether two checkpoints this coordinator signed cannot both be prefixes of one history: the
   * same size with two roots; or neither the log as it stands (both roots recomputed from it)
   * nor the site's proof shows the smaller one extends into the larger.
   */
  private inconsistent(kept: ParsedCheckpoint, offered: ParsedCheckpoint, proof: readonly Uint8Array[], proofFrom: number): boolean {
    if (kept.size === offered.size) return !kept.root.equals(offered.root);
    const [lo, hi] = kept.size < offered.size ? [kept, offered] : [offered, kept];
    this.refresh(hi.size);
    if (hi.size <= this.leaves.length && treeHash(this.leaves, lo.size).equals(lo.root) && treeHash(this.leaves, hi.size).equals(hi.root)) return false;
    if (lo === kept && proofFrom === kept.size) {
      try {
        verifyConsistency(lo.size, hi.size, proof, lo.root, hi.root);
        return false;
      } catch {
        // Not shown consistent: inconsistent, or this log no longer holds what it signed.
      }
    }
    return true;
  }

  private store(stored: StoredCosignature): void {
    const fd = openSync(join(this.audit.dir, COSIGNATURE_FILE), 'a', 0o600);
    try {
      appendDurably(fd, Buffer.from(`${JSON.stringify(stored)}\n`, 'utf8'));
    } finally {
      closeSync(fd);
    }
  }
}

const cosignedKey = (site: string, treeSize: number, root: string): string => `${site}\n${treeSize}\n${root}`;
