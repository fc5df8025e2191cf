/**
 * The site's own audit log (docs/audit-log.md#the-sites-audit-log): the coordinator's writer
 * (core/audit/audit-log.ts) on `<data dir>/audit/`, checkpoints signed with the site's
 * certificate key. It records each run decision, each read of a local dataset (name, columns,
 * row counts), privacy spend with the privacy ledger's head, files written that derive from
 * patient data, and the site's witnessing of the coordinator's log: every coordinator
 * checkpoint it kept (in `witnessed.jsonl`, a checkpoints file `cohort audit verify
 * --checkpoint` reads) and every one it refused (both checkpoints kept in
 * `witness-evidence/`). Details pass `safeDetails`: counts, codes, hashes and ids only; roots
 * are recorded in hex.
 *
 * On open, what the site kept is checked against its own verified log: every line of
 * `witnessed.jsonl` must be signed by its consortium's coordinator under the CA, and the
 * checkpoint named by the last `witness.cosign` record must be there, as the last line or the
 * one before it (a crash between keeping a checkpoint and recording it); otherwise the site
 * does not start (COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK), since a deleted or rolled-back file
 * would make it trust the next checkpoint on first use again. `checkLedger` does the same for
 * the privacy ledger against the last `privacy.spend` record (COHORT_E_AUDIT_LEDGER_ROLLBACK).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AuditLog } from '../core/audit/audit-log.ts';
import { checkpointVerifier, parseCheckpointLine, type ParsedCheckpoint } from '../core/audit/checkpoint.ts';
import { safeDetails } from '../core/audit/details.ts';
import { appendDurably, fsyncDirectory, readLineFile } from '../core/audit/lines.ts';
import type { AuditOutcome, AuditRecord, AuditTarget } from '../core/audit/record.ts';
import { cosign, witnessCheckpoint, type CosignatureLine, type OfferedCheckpoint, type WitnessVerdict } from '../core/audit/witness.ts';
import { AuditErrors, CohortError, isCohortError } from '../core/errors/index.ts';
import { identityFromCertificate } from '../core/pki/identity.ts';

/** The coordinator checkpoints this site kept, one checkpoints.jsonl line each, oldest first. */
export const WITNESSED_FILE = 'witnessed.jsonl';
/** Refused checkpoints, with the kept one and the proof, one JSON file each. */
export const EVIDENCE_DIR = 'witness-evidence';

export function siteAuditDir(dataDir: string): string {
  return join(dataDir, 'audit');
}

/** The outcome of witnessing one task's checkpoint. */
export type WitnessResult =
  | { readonly kind: 'none' | 'same' }
  | { readonly kind: 'cosigned'; readonly cosignature: CosignatureLine }
  | {
      readonly kind: 'refused';
      readonly error: CohortError;
      /** The evidence file's path. */
      readonly evidence: string;
      readonly treeSize: number;
      /** The offered checkpoint's root, base64 ('' when it did not parse). */
      readonly root: string;
      /** What the coordinator is sent to check the refusal: the kept and offered checkpoints.jsonl lines ('' for none) and the proof. */
      readonly keptJson: string;
      readonly offeredJson: string;
      readonly proof: readonly Uint8Array[];
      readonly proofFrom: number;
    }
  | { readonly kind: 'out-of-sync'; readonly error: CohortError };

export class SiteAudit {
  private kept: ParsedCheckpoint | undefined;
  private readonly witnessedFile: string;
  private readonly consortium: string;
  /** The last privacy.spend record of the log as opened: the ledger may not be behind it. */
  private readonly lastSpend: AuditRecord | undefined;

  private constructor(
    readonly log: AuditLog,
    readonly dataDir: string,
    private readonly kit: { certPem: string; keyPem: string; caPem: string },
    existing: readonly AuditRecord[],
  ) {
    this.witnessedFile = join(log.dir, WITNESSED_FILE);
    this.consortium = identityFromCertificate(kit.certPem).consortium;
    const { lines, torn } = readLineFile(this.witnessedFile);
    // A torn last line (a crash while keeping it) was never cosigned: cut it off; the one before is the kept one.
    if (torn) truncateSync(this.witnessedFile, torn.offset);
    const lastCosign = lastOf(existing, 'witness.cosign');
    const kept = this.checkKept(lines, lastCosign);
    this.kept = kept.at(-1);
    this.lastSpend = lastOf(existing, 'privacy.spend');
    // A crash between keeping the last line and recording it: record it now (it is kept, and a re-offer of it is 'same',
    // which records nothing), so that a second such crash finds the record of this line and does not read as a rollback.
    if (this.kept !== undefined && Number(lastCosign?.details.treeSize ?? -1) !== this.kept.size) {
      this.append('witness.cosign', 'ok', {}, { origin: this.kept.origin, treeSize: this.kept.size, root: this.kept.root.toString('hex'), previousSize: kept.at(-2)?.size ?? 0, recovered: true });
    }
  }

  /**
   * Parses the kept lines, each signed by this consortium's coordinator under the CA, and checks
   * the last cosignature the log recorded is the last of them or the one before (see the module
   * comment). Throws COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK.
   */
  private checkKept(lines: readonly Buffer[], lastCosign: AuditRecord | undefined): ParsedCheckpoint[] {
    const rollback = (why: string, details: Record<string, unknown>): CohortError =>
      new CohortError(AuditErrors.WITNESS_STATE_ROLLBACK, `${this.witnessedFile}: ${why}; the site does not start over it`, { details: { kept: lines.length, ...details } });
    const verifier = checkpointVerifier(this.kit.caPem);
    const kept = lines.map((line, i) => {
      let cp: ParsedCheckpoint;
      try {
        cp = parseCheckpointLine(line, i);
        const signer = verifier(cp, i);
        if (signer.identity.role === 'coordinator' && signer.identity.consortium === this.consortium) return cp;
      } catch (e) {
        throw rollback(`line ${i} is not a coordinator checkpoint that verifies under the CA`, { line: i, code: isCohortError(e) ? e.code : 'malformed' });
      }
      throw rollback(`line ${i} is not signed by this consortium's coordinator`, { line: i });
    });
    if (lastCosign === undefined) return kept;
    const size = Number(lastCosign.details.treeSize);
    const matches = (cp: ParsedCheckpoint): boolean =>
      cp.size === size &&
      (typeof lastCosign.details.root === 'string'
        ? lastCosign.details.root === cp.root.toString('hex')
        : // Records written before roots were recorded in hex: safeDetails kept the SHA-256 of the base64 root.
          lastCosign.details.rootSha256 === createHash('sha256').update(cp.root.toString('base64'), 'utf8').digest('hex'));
    const last = kept.at(-1);
    const before = kept.at(-2);
    if (last !== undefined && (matches(last) || (before !== undefined && matches(before) && last.size > size))) return kept;
    const at = kept.findIndex(matches);
    throw rollback(
      at < 0
        ? `the checkpoint of tree size ${size} this site last cosigned (audit record ${lastCosign.index}) is not kept: the file was deleted, rolled back or replaced`
        : `${kept.length - 1 - at} checkpoints were kept after the one of tree size ${size} this site last cosigned (audit record ${lastCosign.index})`,
      { cosignedSize: size, record: lastCosign.index, keptSize: last?.size ?? 0 },
    );
  }

  /**
   * Checks the privacy ledger is not behind the last privacy.spend record of this site's log:
   * it holds at least that many entries and the entry at that count has the recorded head hash.
   * Throws COHORT_E_AUDIT_LEDGER_ROLLBACK.
   */
  checkLedger(entries: readonly { readonly hash: string }[]): void {
    const spend = this.lastSpend;
    if (spend === undefined) return;
    const count = Number(spend.details.ledgerEntries);
    const head = spend.details.ledgerHead;
    const at = entries[count - 1];
    if (entries.length < count || at === undefined || at.hash !== head) {
      throw new CohortError(
        AuditErrors.LEDGER_ROLLBACK,
        `the privacy ledger holds ${entries.length} entries${at !== undefined && at.hash !== head ? ' and another head' : ''}, but this site's audit log recorded ${count} (record ${spend.index}): the ledger was rolled back or replaced; the site does not start over it`,
        { details: { entries: entries.length, recorded: count, record: spend.index } },
      );
    }
  }

  /**
   * Opens (creating) `<dataDir>/audit/`, verifying what it holds (COHORT_E_AUDIT_WRITER_REFUSED
   * otherwise) and what it kept of the coordinator's log (COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK).
   */
  static open(dataDir: string, kit: { certPem: string; keyPem: string; caPem: string }): SiteAudit {
    const log = AuditLog.open(siteAuditDir(dataDir), { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
    let audit: SiteAudit;
    try {
      audit = new SiteAudit(log, dataDir, kit, log.takeExisting());
    } catch (e) {
      log.close();
      throw e;
    }
    log.append({ actor: log.self, action: 'site.start', outcome: 'ok', details: { witnessedSize: audit.witnessedSize } });
    return audit;
  }

  /** Tree size of the coordinator checkpoint this site last kept; 0 when none. */
  get witnessedSize(): number {
    return this.kept?.size ?? 0;
  }

  private append(action: string, outcome: AuditOutcome, target: AuditTarget, details: Readonly<Record<string, unknown>> = {}): void {
    this.log.append({ actor: this.log.self, action, target, outcome, details: safeDetails(details) });
  }

  /** A run decision, with its reason code (never the reason's text); for an accepted run, whether it masks the updates. */
  decision(runId: string, accept: boolean, reasonCode: string, submittedBy: string, masked?: boolean): void {
    this.append(accept ? 'run.accept' : 'run.decline', accept ? 'ok' : 'refused', { run: runId }, { ...(accept ? {} : { reasonCode }), submittedBy, ...(accept && masked !== undefined ? { masked } : {}) });
  }

  /** A read of a local dataset: which columns, how many rows (kept and dropped); never a value. */
  datasetRead(runId: string, dataset: string, columns: readonly string[], rows: number, droppedRows: number): void {
    this.append('dataset.read', 'ok', { run: runId, dataset }, { columns: [...columns], rows, droppedRows });
  }

  /** Privacy spent by a round, and the head of the privacy ledger after it. */
  privacySpend(runId: string, round: number, epsilon: number, delta: number, ledgerHead: string, ledgerEntries: number): void {
    this.append('privacy.spend', 'ok', { run: runId, round }, { epsilon: Number.isFinite(epsilon) ? epsilon : null, delta, ledgerHead, ledgerEntries });
  }

  /** A file derived from patient data: its path under the data directory, size and SHA-256. */
  derivedFile(runId: string, path: string, kind: string): void {
    const bytes = readFileSync(path);
    this.append('file.write', 'ok', { run: runId }, { path: relative(this.dataDir, path), kind, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }

  /** A key-ceremony step (published exchange key, HE key fetched or made). */
  keyCeremony(action: string, outcome: AuditOutcome, details: Readonly<Record<string, unknown>>): void {
    this.append(`key.${action}`, outcome, {}, details);
  }

  /** Signs a checkpoint (after each round the site takes part in, and at a clean stop). */
  checkpoint(): void {
    this.log.checkpoint();
  }

  /**
   * Witnesses a task's checkpoint: verifies it against the kept one; keeps and cosigns a new
   * one; refuses (recording it and keeping both checkpoints and the proof) one that is not an
   * extension of it or not signed by the consortium's coordinator.
   */
  witness(offered: OfferedCheckpoint, task: { runId: string; round: number; taskId: string }): WitnessResult {
    let verdict: WitnessVerdict;
    const target = { run: task.runId, round: task.round };
    try {
      verdict = witnessCheckpoint(this.kept, offered, { caPem: this.kit.caPem, consortium: this.consortium });
    } catch (e) {
      if (!isCohortError(e)) throw e;
      if (e.code === AuditErrors.WITNESS_OUT_OF_SYNC.code) return { kind: 'out-of-sync', error: e };
      const evidence = this.keepEvidence(offered, e);
      let offeredSize: number | null = null;
      let offeredRoot: Buffer | undefined;
      try {
        const cp = parseCheckpointLine(Buffer.from(offered.checkpointJson, 'utf8'), 0);
        offeredSize = cp.size;
        offeredRoot = cp.root;
      } catch {
        // A malformed checkpoint: its bytes are in the evidence file.
      }
      this.append('witness.refused', 'refused', target, { code: e.code, keptSize: this.kept?.size ?? 0, keptRoot: this.kept?.root.toString('hex') ?? null, offeredSize, offeredRoot: offeredRoot?.toString('hex') ?? null, evidence: relative(this.log.dir, evidence) });
      this.checkpoint();
      const keptLine = readLineFile(this.witnessedFile).lines.at(-1);
      return {
        kind: 'refused', error: e, evidence, treeSize: offeredSize ?? 0, root: offeredRoot?.toString('base64') ?? '',
        keptJson: keptLine?.toString('utf8') ?? '', offeredJson: offered.checkpointJson, proof: offered.proof, proofFrom: offered.proofFrom,
      };
    }
    if (verdict.kind !== 'advanced') return { kind: verdict.kind };
    const cp = verdict.checkpoint;
    // Kept durably before it is cosigned: the next proof must start from it.
    const fd = openSync(this.witnessedFile, 'a', 0o600);
    try {
      appendDurably(fd, Buffer.from(`${JSON.stringify(verdict.line)}\n`, 'utf8'));
    } finally {
      closeSync(fd);
    }
    fsyncDirectory(this.witnessedFile);
    const previous = this.kept?.size ?? 0;
    this.kept = cp;
    const cosignature = cosign(cp, this.kit);
    this.append('witness.cosign', 'ok', target, { origin: cp.origin, treeSize: cp.size, root: cp.root.toString('hex'), previousSize: previous });
    return { kind: 'cosigned', cosignature };
  }

  private keepEvidence(offered: OfferedCheckpoint, error: CohortError): string {
    const dir = join(this.log.dir, EVIDENCE_DIR);
    if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) fsyncDirectory(dir);
    const kept = readLineFile(this.witnessedFile).lines.at(-1);
    const body = {
      code: error.code,
      message: error.message,
      time: new Date().toISOString(),
      kept: kept === undefined ? null : (JSON.parse(kept.toString('utf8')) as unknown),
      offered: offered.checkpointJson,
      proofFrom: offered.proofFrom,
      proof: offered.proof.map((p) => Buffer.from(p).toString('base64')),
    };
    for (let n = 0; ; n++) {
      const file = join(dir, `refused-${Date.now()}${n === 0 ? '' : `-${n}`}.json`);
      try {
        writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx', flush: true });
        // The file's entry in its directory, durable before the refusal is recorded and sent.
        fsyncDirectory(file);
        return file;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** Appends site.stop, signs a last checkpoint and closes: a stopped log has no record past its last checkpoint. */
  close(): void {
    if (!this.log.isOpen) return;
    try {
      this.append('site.stop', 'ok', {});
      this.log.checkpoint();
    } finally {
      this.log.close();
    }
  }

}

/** The last record of `action`. */
function lastOf(records: readonly AuditRecord[], action: string): AuditRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.action === action) return records[i];
  return undefined;
}
