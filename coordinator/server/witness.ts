/**
 * The coordinator's half of witnessing (docs/audit-log.md#witnessing): every task it sends a
 * site carries its latest signed audit checkpoint and the RFC 9162 consistency proof from the
 * tree size the site last kept (the site says it when it opens its task stream, and each
 * cosignature moves it on). Cosignatures, and refusals, go to `audit/cosignatures.jsonl`
 * (after their signature is checked) and into the coordinator's own log.
 *
 * The proof is computed from the files the writer appends (its records are fsynced before a
 * checkpoint is signed over them), re-read only when they grew.
 */
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import { CHECKPOINT_FILE, AUDIT_LOG_FILE } from '../../core/audit/audit-log.ts';
import { parseCheckpointLine } from '../../core/audit/checkpoint.ts';
import { appendDurably, readLineFile } from '../../core/audit/lines.ts';
import { consistencyProof, leafHash } from '../../core/audit/merkle.ts';
import { COSIGNATURE_FILE, readCosignatures, verifyCosignature, type CosignatureLine, type StoredCosignature } from '../../core/audit/witness.ts';
import { AuditErrors, CohortError } from '../../core/errors/index.ts';
import type { Cosignature__Output } from '../../protos/gen/cohort/v1/Cosignature.ts';

/** The witnessing fields of a task. */
export interface TaskWitnessFields {
  auditCheckpointJson: string;
  auditProof: Buffer[];
  auditProofFrom: string;
}

export class CoordinatorWitness {
  private readonly sizes = new Map<string, number>();
  private leaves: Buffer[] = [];
  private logBytes = -1;
  private latest: { json: string; size: number } | undefined;
  private checkpointBytes = -1;

  constructor(
    private readonly audit: AuditLog,
    private readonly caPem: string,
  ) {
    // Until a site says otherwise, what it last cosigned here.
    for (const c of readCosignatures(audit.dir)) if ('cosignature' in c) this.sizes.set(c.site, Math.max(this.sizes.get(c.site) ?? 0, c.cosignature.treeSize));
  }

  /** What the site says it kept, as it opens its task stream (0: nothing, or an agent that does not witness). */
  siteConnected(site: string, witnessedSize: number): void {
    if (witnessedSize > 0) this.sizes.set(site, witnessedSize);
  }

  private refresh(): void {
    const cpFile = join(this.audit.dir, CHECKPOINT_FILE);
    const cpBytes = existsSync(cpFile) ? statSync(cpFile).size : 0;
    if (cpBytes !== this.checkpointBytes) {
      this.checkpointBytes = cpBytes;
      let best: { json: string; size: number } | undefined;
      for (const [i, line] of readLineFile(cpFile).lines.entries()) {
        const cp = parseCheckpointLine(line, i);
        if (best === undefined || cp.size >= best.size) best = { json: line.toString('utf8'), size: cp.size };
      }
      this.latest = best;
    }
    const logFile = join(this.audit.dir, AUDIT_LOG_FILE);
    const logBytes = existsSync(logFile) ? statSync(logFile).size : 0;
    if (logBytes !== this.logBytes && (this.latest?.size ?? 0) > this.leaves.length) {
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
    const proof = from > 0 && from < latest.size && latest.size <= this.leaves.length ? consistencyProof(this.leaves, from, latest.size) : [];
    return { auditCheckpointJson: latest.json, auditProof: proof, auditProofFrom: String(from) };
  }

  /** A site's CosignCheckpoint: a cosignature (checked under the CA, then stored) or a refusal (stored and recorded). */
  received(site: string, req: Cosignature__Output): void {
    const treeSize = Number(req.treeSize);
    let stored: StoredCosignature;
    if (req.refusalCode !== '') {
      stored = { site, refused: req.refusalCode, treeSize, root: req.root, time: new Date().toISOString() };
    } else {
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
      stored = { site, cosignature: line };
      this.sizes.set(site, Math.max(this.sizes.get(site) ?? 0, treeSize));
    }
    const fd = openSync(join(this.audit.dir, COSIGNATURE_FILE), 'a', 0o600);
    try {
      appendDurably(fd, Buffer.from(`${JSON.stringify(stored)}\n`, 'utf8'));
    } finally {
      closeSync(fd);
    }
    const refused = 'refused' in stored;
    this.audit.append({
      actor: { name: site, role: 'site' },
      action: refused ? 'audit.witness.refused' : 'audit.cosign',
      target: { site },
      outcome: refused ? 'refused' : 'ok',
      details: { treeSize, root: req.root, ...(refused ? { code: req.refusalCode } : {}) },
    });
  }
}
