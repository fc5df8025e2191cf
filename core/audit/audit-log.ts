/**
 * The audit log writer: `<dir>/audit.jsonl`, one hash-chained record per line, the leaves
 * of an RFC 9162 Merkle tree; `<dir>/checkpoints.jsonl`, the signed tree heads.
 *
 * One writer per directory: `<dir>/lock` (with the pid) is held from open to close.
 *
 * Durability: each line is written whole and fsynced before `append` returns; an append
 * that fails is cut back off the file, so a retry writes the same index. A checkpoint is
 * written only over records already fsynced, and its size and root are then kept in the
 * writer's state beside the files (the anchor, in the coordinator's SQLite).
 *
 * Opening reads both files and decides what a torn last line (no newline) needs: a
 * complete, valid line gets its newline back; anything else is moved aside to a new
 * `<file>.torn-<offset>` file. It first verifies what the files will hold after that repair
 * (the chain, the checkpoints, the anchor, and each record past the last checkpoint against
 * its event), and refuses to open (COHORT_E_AUDIT_WRITER_REFUSED, _ANCHOR_MISMATCH,
 * _EVENT_MISMATCH) without changing anything when they do not verify: the writer never
 * signs a checkpoint over a history it did not write. Only then does it repair, and it
 * records each repair as an `audit.repair` record.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditErrors, CohortError, isCohortError } from '../errors/index.ts';
import { identityFromCertificate } from '../pki/identity.ts';
import type { AuditAnchor, AuditState } from './anchor.ts';
import { auditOrigin, checkpointKey, parseCheckpointLine, signCheckpoint, type CheckpointKey, type CheckpointLine } from './checkpoint.ts';
import { eventMismatch } from './events.ts';
import { AppendRollbackError, appendDurably, fsyncDirectory, readLineFile, type LineFile } from './lines.ts';
import { acquireAuditLock } from './lock.ts';
import { MerkleFrontier, leafHash, treeHash } from './merkle.ts';
import { ZERO_HASH, lineHash, parseRecord, recordOf, serializeRecord, type AppendInput, type AuditActor, type AuditRecord } from './record.ts';
import { verifyAuditContent, type VerifiedLog } from './verify.ts';

export type { AppendInput } from './record.ts';

export const AUDIT_LOG_FILE = 'audit.jsonl';

/** The audit.jsonl that `path` names (the file itself, or the audit directory holding it); LOG_UNREADABLE when either is missing. */
export function auditLogFileOf(path: string): string {
  if (!existsSync(path)) throw new CohortError(AuditErrors.LOG_UNREADABLE, `audit log ${path} does not exist`, { details: { path } });
  const file = statSync(path).isDirectory() ? join(path, AUDIT_LOG_FILE) : path;
  if (!existsSync(file)) throw new CohortError(AuditErrors.LOG_UNREADABLE, `audit log ${file} does not exist`, { details: { path: file } });
  return file;
}
export const CHECKPOINT_FILE = 'checkpoints.jsonl';

/** The writer's certificate and PKCS#8 PEM key (ECDSA P-256), from its kit. */
export interface AuditSigner {
  readonly certPem: string;
  readonly keyPem: string;
  /** The consortium CA: with it, checkpoints signed by an earlier (renewed) key of the writer still verify on open. */
  readonly caPem?: string;
}


/** A torn last line the writer found on open: set aside, or, when it was a whole valid line short of its newline, given its newline back. */
export interface AuditRepair {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
  readonly sha256: string;
  /** Where the torn bytes were moved; null when the line was kept and its newline restored. */
  readonly savedTo: string | null;
}

/** What opening will do about a file's torn tail, decided before anything is changed. */
interface TornPlan {
  readonly file: string;
  readonly offset: number;
  readonly bytes: Buffer;
  /** The torn bytes are a complete, valid line: keep them and add the newline. */
  readonly restore: boolean;
}

function planTorn(file: string, content: LineFile, complete: (line: Buffer) => boolean): { lines: Buffer[]; plan: TornPlan | null } {
  const { lines, torn } = content;
  if (!torn) return { lines, plan: null };
  const restore = complete(torn.bytes);
  return { lines: restore ? [...lines, torn.bytes] : lines, plan: { file, offset: torn.offset, bytes: torn.bytes, restore } };
}

/** The first free name `<file>.torn-<offset>[.<n>]`, created exclusively: an earlier set-aside file is never overwritten. */
function writeTornFile(file: string, offset: number, bytes: Buffer): string {
  for (let n = 0; ; n++) {
    const savedTo = n === 0 ? `${file}.torn-${offset}` : `${file}.torn-${offset}.${n}`;
    try {
      writeFileSync(savedTo, bytes, { mode: 0o600, flag: 'wx', flush: true });
      fsyncDirectory(savedTo);
      return savedTo;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

function applyTorn(plan: TornPlan): AuditRepair {
  const sha256 = createHash('sha256').update(plan.bytes).digest('hex');
  let savedTo: string | null = null;
  if (plan.restore) {
    const fd = openSync(plan.file, 'a');
    try {
      appendDurably(fd, Buffer.from('\n'));
    } finally {
      closeSync(fd);
    }
  } else {
    savedTo = writeTornFile(plan.file, plan.offset, plan.bytes);
    truncateSync(plan.file, plan.offset);
    const fd = openSync(plan.file, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  return { file: plan.file, offset: plan.offset, bytes: plan.bytes.length, sha256, savedTo };
}

function openForAppend(file: string): number {
  const created = !existsSync(file);
  const fd = openSync(file, 'a', 0o600);
  if (created) fsyncDirectory(file);
  return fd;
}

export interface AuditOpenOptions {
  /**
   * The writer's durable state beside the two files (the coordinator's SQLite): the size
   * and root of the last checkpoint it signed, and the events its records came from.
   * Without it, the writer trusts whatever checkpoints.jsonl holds (tests, tools).
   */
  readonly state?: AuditState;
}

const refused = (def: typeof AuditErrors.ANCHOR_MISMATCH | typeof AuditErrors.EVENT_MISMATCH, dir: string, message: string, details: Record<string, unknown>): CohortError =>
  new CohortError(def, `the audit log in ${dir}: ${message}; refusing to append to it`, { details: { dir, ...details } });

export class AuditLog {
  readonly logFile: string;
  readonly checkpointFile: string;
  /** Origin line and signed-note key name of this log. */
  readonly origin: string;
  /** The writer as an actor: its certificate's name and role. */
  readonly self: AuditActor;
  private existing: readonly AuditRecord[] = [];
  readonly repairs: readonly AuditRepair[];
  private frontier = new MerkleFrontier();
  private prev = ZERO_HASH;
  private checkpointed = 0;
  private logFd: number | undefined;
  private checkpointFd: number | undefined;

  private readonly releaseLock: () => void;
  private readonly state: AuditState | undefined;
  /** The signer's key and key id, parsed at the first checkpoint and kept. */
  private key: CheckpointKey | undefined;

  private constructor(
    readonly dir: string,
    private readonly signer: AuditSigner,
    options: AuditOpenOptions,
  ) {
    this.logFile = join(dir, AUDIT_LOG_FILE);
    this.checkpointFile = join(dir, CHECKPOINT_FILE);
    const identity = identityFromCertificate(signer.certPem);
    this.origin = auditOrigin(identity);
    this.self = { name: identity.name, role: identity.role };
    this.state = options.state;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // One writer per directory, taken before anything is read or changed (COHORT_E_AUDIT_WRITER_LOCKED).
    this.releaseLock = acquireAuditLock(dir);
    try {
      this.repairs = this.openVerified();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Reads both files, decides what a torn tail needs, verifies what the files will hold after
   * that repair (against the checkpoints, the anchor and the events) and only then changes
   * anything: a log that does not verify is left exactly as it was found.
   */
  private openVerified(): AuditRepair[] {
    const { dir } = this;
    const isRecord = (line: Buffer): boolean => 'record' in parseRecord(line);
    const isCheckpoint = (line: Buffer): boolean => {
      try {
        parseCheckpointLine(line, 0);
        return true;
      } catch {
        return false;
      }
    };
    const log = planTorn(this.logFile, readLineFile(this.logFile), isRecord);
    const cps = planTorn(this.checkpointFile, readLineFile(this.checkpointFile), isCheckpoint);
    let verified: VerifiedLog;
    try {
      verified = verifyAuditContent({ lines: log.lines, checkpoints: cps.lines.map((l, i) => parseCheckpointLine(l, i)), ...(this.signer.caPem === undefined ? {} : { caPem: this.signer.caPem }) });
    } catch (e) {
      const inner = isCohortError(e) ? { code: e.code, ...e.details } : {};
      throw new CohortError(AuditErrors.WRITER_REFUSED, `the audit log in ${dir} does not verify (${(e as Error).message}); refusing to append to it`, { details: { dir, ...inner }, cause: e });
    }
    const { summary, records } = verified;
    if (summary.origin !== null && summary.origin !== this.origin) {
      throw new CohortError(AuditErrors.WRITER_REFUSED, `the audit log in ${dir} belongs to ${summary.origin}, not to ${this.origin}`, { details: { dir, origin: summary.origin } });
    }
    const anchor = this.state?.readAnchor(this.origin);
    if (anchor !== undefined) this.checkAnchor(anchor, verified);
    if (this.state !== undefined) this.checkUnsigned(records.slice(summary.treeSize));
    // Verified: now the repairs, then the writer's own state.
    const repairs = [log.plan, cps.plan].filter((p): p is TornPlan => p !== null).map(applyTorn);
    if (this.state !== undefined && summary.treeSize > 0 && (anchor === undefined || summary.treeSize > anchor.size)) {
      // A checkpoint signed before a crash kept the anchor from following, or the first open with an anchor.
      this.state.writeAnchor(this.origin, { size: summary.treeSize, root: verified.checkpointRoots.get(summary.treeSize)! });
    }
    this.frontier = verified.frontier;
    this.prev = log.lines.length === 0 ? ZERO_HASH : lineHash(log.lines.at(-1)!);
    this.checkpointed = summary.treeSize;
    this.existing = records;
    this.logFd = openForAppend(this.logFile);
    this.checkpointFd = openForAppend(this.checkpointFile);
    for (const r of repairs) {
      const file = r.file.endsWith(CHECKPOINT_FILE) ? CHECKPOINT_FILE : AUDIT_LOG_FILE;
      this.append({ actor: this.self, action: 'audit.repair', outcome: 'ok', details: { file, offset: r.offset, tornBytes: r.bytes, tornSha256: r.sha256, ...(r.savedTo === null ? { newlineRestored: true } : {}) } });
    }
    return repairs;
  }

  /**
   * The files must reach the last checkpoint this writer signed, with its root: the root
   * verification found for a checkpoint of that size, or, when none is of that size, the
   * tree rebuilt over the first anchor.size leaves.
   */
  private checkAnchor(anchor: AuditAnchor, verified: VerifiedLog): void {
    const { leaves, checkpointRoots } = verified;
    const { treeSize } = verified.summary;
    const details = { anchorSize: anchor.size, treeSize, records: leaves.length };
    if (treeSize < anchor.size) {
      throw refused(AuditErrors.ANCHOR_MISMATCH, this.dir, `its latest checkpoint covers ${treeSize} records, but the last checkpoint this writer signed covers ${anchor.size}: checkpoints were removed`, details);
    }
    const root = checkpointRoots.get(anchor.size) ?? treeHash(leaves, anchor.size);
    if (!root.equals(anchor.root)) {
      throw refused(AuditErrors.ANCHOR_MISMATCH, this.dir, `its first ${anchor.size} records do not hash to the root of the last checkpoint this writer signed: the history was rewritten`, details);
    }
  }

  /** Records past the last checkpoint are vouched for by the chain only: each one from an event must be that event. */
  private checkUnsigned(unsigned: readonly AuditRecord[]): void {
    for (const r of unsigned) {
      const id = r.details.eventId;
      if (typeof id !== 'number') continue;
      const event = this.state!.event(id);
      const field = event === undefined ? 'eventId' : eventMismatch(r, event);
      if (field !== undefined) {
        throw refused(AuditErrors.EVENT_MISMATCH, this.dir, `record ${r.index}, past the last checkpoint, ${event === undefined ? `names event ${id}, which the events table does not hold` : `differs from event ${id} in its ${field}`}`, {
          index: r.index,
          eventId: id,
          field,
        });
      }
    }
  }

  /** Opens (creating if needed) the audit log in `dir`, repairing a torn tail and verifying the rest. */
  static open(dir: string, signer: AuditSigner, options: AuditOpenOptions = {}): AuditLog {
    return new AuditLog(dir, signer, options);
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
    const record = recordOf(input, this.frontier.size, this.prev);
    const line = serializeRecord(record);
    this.appendOrClose(this.logFd, Buffer.concat([line, Buffer.from('\n')]));
    this.frontier.append(leafHash(line));
    this.prev = lineHash(line);
    return record;
  }

  /** Signs and appends a checkpoint of the current tree; null when the last one already covers every record. */
  checkpoint(): CheckpointLine | null {
    if (this.checkpointFd === undefined) throw new Error(`audit log ${this.logFile} is closed`);
    if (this.frontier.size === this.checkpointed) return null;
    const root = this.frontier.root();
    const line = signCheckpoint({ origin: this.origin, size: this.frontier.size, root }, (this.key ??= checkpointKey(this.origin, this.signer)));
    this.appendOrClose(this.checkpointFd, Buffer.from(`${JSON.stringify(line)}\n`, 'utf8'));
    this.checkpointed = this.frontier.size;
    // After the line is durable: the anchor never names a checkpoint the file may lack.
    this.state?.writeAnchor(this.origin, { size: this.checkpointed, root });
    return line;
  }

  get isOpen(): boolean {
    return this.logFd !== undefined;
  }

  /**
   * appendDurably, which cuts the file back to where the append began on any error, so the
   * in-memory tree and the file still agree and a retry writes the same index again. When
   * even the cut failed, the writer closes its files: nothing more is appended until the log
   * is reopened (and verified) by a new writer.
   */
  private appendOrClose(fd: number, bytes: Buffer): void {
    try {
      appendDurably(fd, bytes);
    } catch (e) {
      if (e instanceof AppendRollbackError) this.closeFiles();
      throw e;
    }
  }

  private closeFiles(): void {
    if (this.logFd !== undefined) closeSync(this.logFd);
    if (this.checkpointFd !== undefined) closeSync(this.checkpointFd);
    this.logFd = undefined;
    this.checkpointFd = undefined;
  }

  /** Closes the files and releases the directory's lock. */
  close(): void {
    this.closeFiles();
    this.releaseLock();
  }
}
