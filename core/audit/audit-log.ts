/**
 * The audit log writer: `<dir>/audit.jsonl`, one hash-chained record per line, the leaves
 * of an RFC 9162 Merkle tree; `<dir>/checkpoints.jsonl`, the signed tree heads.
 *
 * Durability: each line is written whole and fsynced before `append` returns; a
 * checkpoint is written only over records already fsynced. A crash mid-append leaves a
 * torn last line (no newline). Opening the log detects it, moves the torn bytes aside to
 * `<file>.torn-<offset>` (never silently dropped), cuts the file back to its last complete
 * line and appends an `audit.repair` record naming the bytes' size and hash. The writer
 * then verifies the whole log against its own checkpoints and refuses to open
 * (COHORT_E_AUDIT_WRITER_REFUSED) over a log that does not verify, so that it never signs
 * a checkpoint over a history it did not write.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditErrors, CohortError, isCohortError } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';
import { auditOrigin, signCheckpoint, type CheckpointLine } from './checkpoint.ts';
import { appendDurably, fsyncDirectory, readLineFile } from './lines.ts';
import { MerkleFrontier, leafHash } from './merkle.ts';
import { ZERO_HASH, lineHash, serializeRecord, type AuditActor, type AuditDetailValue, type AuditOutcome, type AuditRecord, type AuditTarget } from './record.ts';
import { verifyAuditLog } from './verify.ts';

export const AUDIT_LOG_FILE = 'audit.jsonl';
export const CHECKPOINT_FILE = 'checkpoints.jsonl';

/** The writer's certificate and PKCS#8 PEM key (ECDSA P-256), from its kit. */
export interface AuditSigner {
  readonly certPem: string;
  readonly keyPem: string;
  /** The consortium CA: with it, checkpoints signed by an earlier (renewed) key of the writer still verify on open. */
  readonly caPem?: string;
}

export interface AppendInput {
  /** When it happened; now by default. */
  readonly time?: Date;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target?: AuditTarget;
  readonly outcome: AuditOutcome;
  readonly details?: Readonly<Record<string, AuditDetailValue>>;
}

/** A torn last line the writer set aside on open. */
export interface AuditRepair {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly savedTo: string;
}

function setAsideTorn(file: string): AuditRepair | null {
  const { torn } = readLineFile(file);
  if (!torn) return null;
  const savedTo = `${file}.torn-${torn.offset}`;
  writeFileSync(savedTo, torn.bytes, { mode: 0o600, flush: true });
  fsyncDirectory(savedTo);
  truncateSync(file, torn.offset);
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { file, offset: torn.offset, bytes: torn.bytes.length, sha256: createHash('sha256').update(torn.bytes).digest('hex'), savedTo };
}

function openForAppend(file: string): number {
  const created = !existsSync(file);
  const fd = openSync(file, 'a', 0o600);
  if (created) fsyncDirectory(file);
  return fd;
}

export class AuditLog {
  readonly logFile: string;
  readonly checkpointFile: string;
  /** Origin line and signed-note key name of this log. */
  readonly origin: string;
  /** The writer as an actor: its certificate's name and role. */
  readonly self: AuditActor;
  private existing: readonly AuditRecord[];
  readonly repairs: readonly AuditRepair[];
  private readonly frontier = new MerkleFrontier();
  private prev: string;
  private checkpointed: number;
  private logFd: number | undefined;
  private checkpointFd: number | undefined;

  private constructor(
    readonly dir: string,
    private readonly signer: AuditSigner,
  ) {
    this.logFile = join(dir, AUDIT_LOG_FILE);
    this.checkpointFile = join(dir, CHECKPOINT_FILE);
    const identity = identityFromCertificate(signer.certPem);
    this.origin = auditOrigin(identity);
    this.self = { name: identity.name, role: identity.role };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.repairs = [setAsideTorn(this.logFile), setAsideTorn(this.checkpointFile)].filter((r): r is AuditRepair => r !== null);
    let verified;
    try {
      verified = verifyAuditLog({ logFile: this.logFile, checkpointFiles: [this.checkpointFile], ...(signer.caPem === undefined ? {} : { caPem: signer.caPem }) });
    } catch (e) {
      const inner = isCohortError(e) ? { code: e.code, ...e.details } : {};
      throw new CohortError(AuditErrors.WRITER_REFUSED, `the audit log in ${dir} does not verify (${(e as Error).message}); refusing to append to it`, { details: { dir, ...inner }, cause: e });
    }
    const { summary, records, lines } = verified;
    if (summary.origin !== null && summary.origin !== this.origin) {
      throw new CohortError(AuditErrors.WRITER_REFUSED, `the audit log in ${dir} belongs to ${summary.origin}, not to ${this.origin}`, { details: { dir, origin: summary.origin } });
    }
    for (const leaf of verified.leaves) this.frontier.append(leaf);
    this.prev = lines.length === 0 ? ZERO_HASH : lineHash(lines.at(-1)!);
    this.checkpointed = summary.treeSize;
    this.existing = records;
    this.logFd = openForAppend(this.logFile);
    this.checkpointFd = openForAppend(this.checkpointFile);
    for (const r of this.repairs) {
      this.append({ actor: this.self, action: 'audit.repair', outcome: 'ok', details: { file: r.file.endsWith(CHECKPOINT_FILE) ? CHECKPOINT_FILE : AUDIT_LOG_FILE, offset: r.offset, tornBytes: r.bytes, tornSha256: r.sha256 } });
    }
  }

  /** Opens (creating if needed) the audit log in `dir`, repairing a torn tail and verifying the rest. */
  static open(dir: string, signer: AuditSigner): AuditLog {
    return new AuditLog(dir, signer);
  }

  /** The records found on open, once (callers scan them, e.g. for the last event id); the log keeps no copy. */
  takeExisting(): readonly AuditRecord[] {
    const records = this.existing;
    this.existing = [];
    return records;
  }

  /** Number of records: the tree size. */
  get size(): number {
    return this.frontier.size;
  }

  /** The Merkle root over every record appended so far. */
  root(): Buffer {
    return this.frontier.root();
  }

  /** Appends one record durably (written whole, fsynced) and returns it. */
  append(input: AppendInput): AuditRecord {
    if (this.logFd === undefined) throw new Error(`audit log ${this.logFile} is closed`);
    const record: AuditRecord = {
      index: this.frontier.size,
      time: (input.time ?? new Date()).toISOString(),
      actor: input.actor,
      action: input.action,
      target: input.target ?? {},
      outcome: input.outcome,
      details: input.details ?? {},
      prev: this.prev,
    };
    const line = serializeRecord(record);
    appendDurably(this.logFd, Buffer.concat([line, Buffer.from('\n')]));
    this.frontier.append(leafHash(line));
    this.prev = lineHash(line);
    return record;
  }

  /** Signs and appends a checkpoint of the current tree; null when the last one already covers every record. */
  checkpoint(): CheckpointLine | null {
    if (this.checkpointFd === undefined) throw new Error(`audit log ${this.logFile} is closed`);
    if (this.frontier.size === this.checkpointed) return null;
    const line = signCheckpoint({ origin: this.origin, size: this.frontier.size, root: this.frontier.root() }, this.signer);
    appendDurably(this.checkpointFd, Buffer.from(`${JSON.stringify(line)}\n`, 'utf8'));
    this.checkpointed = this.frontier.size;
    return line;
  }

  /** Tree size of the last checkpoint written. */
  get checkpointedSize(): number {
    return this.checkpointed;
  }

  get isOpen(): boolean {
    return this.logFd !== undefined;
  }

  close(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
    if (this.checkpointFd !== undefined) closeSync(this.checkpointFd);
    this.logFd = undefined;
    this.checkpointFd = undefined;
  }
}
