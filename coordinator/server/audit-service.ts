/**
 * The audit RPCs (protos/cohort/v1/audit.proto): the auditor reads the coordinator's audit
 * log remotely (records, signed checkpoints, RFC 9162 inclusion and consistency proofs) and
 * verifies it on its own machine. Leaf and node hashes are core/audit/merkle.ts's; ServedTree
 * combines cached ones into the RFC 9162 proofs merkle.ts would compute (a test compares them).
 *
 * What is served is what the writer wrote: the service keeps the lines and leaf hashes it
 * read (ServedLog), reads only what was appended since, and checks that the first `size`
 * lines hash to the root the writer holds in memory and that checkpoints.jsonl ends at the
 * checkpoint the writer last signed (COHORT_E_AUDIT_LOG_DIVERGED otherwise), so a file
 * changed under a running coordinator is reported, not proved over (ServedLog says which
 * change it does not see). Proofs are computed from the cached leaves and subtree hashes
 * (ServedTree), with merkle.ts's node hash; the client verifies them with merkle.ts.
 * Every call is authorized by role and recorded: allowed ones as `audit.read` (after the
 * answer is computed, before it is sent: a read that cannot be recorded is not answered;
 * one that fails after authorization, outcome `failed` with its code),
 * refused ones as `rpc.refused` (by the authorization observer, as for every RPC).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { AuditAnchor } from '../../core/audit/anchor.ts';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import { parseCheckpointLine } from '../../core/audit/checkpoint.ts';
import { EMPTY_ROOT, leafHash, nodeHash, splitPoint } from '../../core/audit/merkle.ts';
import type { AuditDetailValue } from '../../core/audit/record.ts';
import { AuditErrors, CohortError, isCohortError } from '../../core/errors/index.ts';
import type { Identity } from '../../core/pki/identity.ts';
import type { Role } from '../../core/pki/roles.ts';
import { toServiceError } from '../../core/rpc/status-errors.ts';
import type { RevocationGuard } from '../../core/tls/credentials.ts';
import type { AuditCheckpoint } from '../../protos/gen/cohort/v1/AuditCheckpoint.ts';
import type { AuditServiceHandlers } from '../../protos/gen/cohort/v1/AuditService.ts';
import { authorize } from './access.ts';

export interface AuditServiceContext {
  audit: AuditLog;
  /** The last checkpoint the writer signed (tree size and root, from its state store): checkpoints.jsonl must end at it. */
  anchor?: () => AuditAnchor | undefined;
  guard: RevocationGuard;
  log: Logger;
}

/** Who may call each RPC: the auditor only (least privilege); test/integration/rpc-role-matrix.test.ts checks every cell. */
export const AUDIT_ROLES: Readonly<Record<keyof AuditServiceHandlers, readonly Role[]>> = {
  ListRecords: ['auditor'],
  GetLatestCheckpoint: ['auditor'],
  ListCheckpoints: ['auditor'],
  GetCheckpoint: ['auditor'],
  GetInclusionProof: ['auditor'],
  GetConsistencyProof: ['auditor'],
};

/** Records a page holds when the request names no limit, and the most it may ask for. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;
/**
 * Checkpoints a ListCheckpoints page holds when the request names no limit, and the most it
 * may ask for: a checkpoint line (note and certificate) is about 1 KiB, so a full page stays
 * far below the 16 MiB message limit however many checkpoints the log has.
 */
export const DEFAULT_CHECKPOINT_PAGE = 100;
export const MAX_CHECKPOINT_PAGE = 1000;

/** The largest tree size among checkpoints, by a loop (a spread into Math.max throws past ~150k arguments). */
export function largestTreeSize(sizes: Iterable<number>): number {
  let max = -1;
  for (const s of sizes) if (s > max) max = s;
  return max;
}

/**
 * The bytes of `path` from `offset` to its end, after checking that the `last` line cached
 * (which ended at `offset`) is still there; undefined when the file shrank below `offset` or
 * that line changed.
 */
function readTail(path: string, offset: number, last: Buffer | undefined): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < offset) return undefined;
    if (last !== undefined) {
      const prior = Buffer.alloc(last.length + 1);
      readSync(fd, prior, 0, prior.length, offset - prior.length);
      if (!prior.subarray(0, last.length).equals(last) || prior[last.length] !== 0x0a) return undefined;
    }
    const tail = Buffer.alloc(size - offset);
    let read = 0;
    while (read < tail.length) {
      const n = readSync(fd, tail, read, tail.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    return tail.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The complete lines of `bytes` (each without its newline) and the bytes they take; a torn last line is left for later. */
function completeLines(bytes: Buffer): { lines: Buffer[]; used: number } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a, start); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, used: start };
}

function diverged(message: string, details: Record<string, number>): CohortError {
  return new CohortError(AuditErrors.LOG_DIVERGED, message, { details });
}

/**
 * The leaves of the served log and the hash of every complete, aligned perfect subtree over
 * them (level k holds the subtrees of 2^k leaves), kept as leaves are appended: each append
 * costs O(1) amortised, and a proof O(log^2 n) hashes instead of a pass over every leaf. The
 * proofs are RFC 9162's PATH and PROOF (the same recursion as core/audit/merkle.ts, which
 * test/coordinator/served-tree.test.ts checks them against, with merkle.ts's nodeHash and
 * splitPoint); every left subtree that recursion visits is perfect and aligned, so it is one
 * lookup here.
 */
export class ServedTree {
  private readonly levels: Buffer[][] = [[]];

  get size(): number {
    return this.levels[0]!.length;
  }

  get leaves(): readonly Buffer[] {
    return this.levels[0]!;
  }

  append(leaf: Buffer): void {
    this.levels[0]!.push(leaf);
    // A node completes a pair at its level when it lands at an odd position: its parent is then complete too.
    for (let k = 0; this.levels[k]!.length % 2 === 0; k++) {
      const level = this.levels[k]!;
      const parent = nodeHash(level[level.length - 2]!, level[level.length - 1]!);
      (this.levels[k + 1] ??= []).push(parent);
    }
  }

  /** MTH(D[start:end]). */
  private range(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    // A perfect subtree aligned to its size: one lookup.
    if ((n & (n - 1)) === 0 && start % n === 0) {
      const k = Math.log2(n);
      const hit = this.levels[k]?.[start / n];
      if (hit !== undefined) return hit;
    }
    const k = splitPoint(n);
    return nodeHash(this.range(start, start + k), this.range(start + k, end));
  }

  private path(m: number, start: number, end: number): Buffer[] {
    const n = end - start;
    if (n <= 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...this.path(m, start, start + k), this.range(start + k, end)];
    return [...this.path(m - k, start + k, end), this.range(start, start + k)];
  }

  private subproof(m: number, start: number, end: number, complete: boolean): Buffer[] {
    const n = end - start;
    if (m === n) return complete ? [] : [this.range(start, end)];
    const k = splitPoint(n);
    if (m <= k) return [...this.subproof(m, start, start + k, complete), this.range(start + k, end)];
    return [...this.subproof(m - k, start + k, end, false), this.range(start, start + k)];
  }

  root(size: number = this.size): Buffer {
    this.check(size);
    return this.range(0, size);
  }

  /** PATH(index, D[0:size]), as merkle.ts's inclusionProof. */
  inclusionProof(index: number, size: number): Buffer[] {
    this.check(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
    return this.path(index, 0, size);
  }

  /** PROOF(size1, D[0:size2]), as merkle.ts's consistencyProof. */
  consistencyProof(size1: number, size2: number): Buffer[] {
    this.check(size2);
    if (!Number.isSafeInteger(size1) || size1 < 0 || size1 > size2) throw new RangeError(`first tree size ${size1} is not within 0..${size2}`);
    if (size1 === 0 || size1 === size2) return [];
    return this.subproof(size1, 0, size2, true);
  }

  private check(size: number): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) throw new RangeError(`tree size ${size} is outside the ${this.size} leaves held`);
  }
}

/**
 * What the service serves, read incrementally: the lines and leaf hashes of audit.jsonl (and
 * the lines of checkpoints.jsonl) as far as they were read, extended by byte offset as the
 * files grow, so a call reads and hashes only the records appended since the last one.
 * Every extension is checked: the cached leaves must fold to the root the writer holds in
 * memory, the last cached line must still be where it was, and the latest checkpoint must be
 * among them the one the writer last signed (its anchor: tree size and root). A file found changed
 * drops the cache (the next call reads it whole) and throws COHORT_E_AUDIT_LOG_DIVERGED.
 *
 * Not detected here: a record already cached rewritten in place to bytes of the same length,
 * other than the last one; the service keeps serving the bytes the writer wrote (checked
 * against its root when they were read), and the writer's own check at its next open, like
 * `cohort audit verify` on the directory, finds the change.
 */
export class ServedLog {
  private offset = 0;
  private lines: Buffer[] = [];
  private tree = new ServedTree();
  private cpOffset = 0;
  private cps: { served: AuditCheckpoint; root: Buffer; size: number; line: Buffer }[] = [];
  /** Tree size to the positions of the checkpoints of that size. */
  private bySize = new Map<number, number[]>();

  constructor(
    private readonly audit: AuditLog,
    private readonly anchor?: () => AuditAnchor | undefined,
  ) {}

  private dropLog(): void {
    this.offset = 0;
    this.lines = [];
    this.tree = new ServedTree();
  }

  private dropCheckpoints(): void {
    this.cpOffset = 0;
    this.cps = [];
    this.bySize = new Map();
  }

  /** The first `audit.size` records as the writer wrote them: their lines and leaf hashes. */
  log(): { readonly lines: readonly Buffer[]; readonly tree: ServedTree } {
    const { audit } = this;
    if (!audit.isOpen) throw new CohortError(AuditErrors.LOG_UNREADABLE, 'the coordinator\'s audit log is closed (the coordinator is stopping)', { details: {} });
    const size = audit.size;
    const tail = readTail(audit.logFile, this.offset, this.lines.at(-1));
    if (tail === undefined) {
      const cached = this.lines.length;
      this.dropLog();
      throw diverged(`audit.jsonl no longer holds the ${cached} records this service read from it (it shrank, or its record ${cached - 1} changed): it was changed on disk`, { treeSize: size, cached });
    }
    const { lines } = completeLines(tail);
    let offset = this.offset;
    for (const line of lines) {
      if (this.lines.length >= size) break;
      this.lines.push(line);
      const leaf = leafHash(line);
      this.tree.append(leaf);
      offset += line.length + 1;
    }
    this.offset = offset;
    if (this.lines.length < size || !this.tree.root().equals(audit.root())) {
      const cached = this.lines.length;
      this.dropLog();
      throw diverged(`audit.jsonl no longer holds the ${size} records this coordinator wrote (its first ${cached} records hash to another root): it was changed on disk`, { treeSize: size, lines: cached });
    }
    return { lines: this.lines, tree: this.tree };
  }

  /** Every checkpoint in checkpoints.jsonl, in the order written, checked against the writer's anchor. */
  checkpoints(): { readonly all: readonly AuditCheckpoint[]; readonly latest: AuditCheckpoint | undefined } {
    const file = this.audit.checkpointFile;
    const tail = existsSync(file) ? readTail(file, this.cpOffset, this.cps.at(-1)?.line) : Buffer.alloc(0);
    if (tail === undefined) {
      const cached = this.cps.length;
      this.dropCheckpoints();
      throw diverged(`checkpoints.jsonl no longer holds the ${cached} checkpoints this service read from it: it was changed on disk`, { checkpoints: cached });
    }
    const { lines, used } = completeLines(tail);
    for (const line of lines) {
      const i = this.cps.length;
      // Parsed to state its size; the note and certificate go out as written (the note is what is signed).
      const cp = parseCheckpointLine(line, i);
      this.cps.push({ served: { note: (JSON.parse(line.toString('utf8')) as { note: string }).note, certificate: cp.certificate, treeSize: String(cp.size) }, root: cp.root, size: cp.size, line });
      const at = this.bySize.get(cp.size);
      if (at === undefined) this.bySize.set(cp.size, [i]);
      else at.push(i);
    }
    this.cpOffset += used;
    const largest = largestTreeSize(this.bySize.keys());
    const latest = largest === -1 ? undefined : this.cps[this.bySize.get(largest)![0]!]!;
    // The checkpoint the writer last signed must be in the file, with its root (a later one may follow it,
    // when the anchor could not be written after its line was).
    const anchor = this.anchor?.();
    if (anchor !== undefined && !(this.bySize.get(anchor.size) ?? []).some((i) => this.cps[i]!.root.equals(anchor.root))) {
      const cached = this.cps.length;
      const otherRoot = this.bySize.has(anchor.size);
      this.dropCheckpoints();
      throw diverged(`checkpoints.jsonl lacks the checkpoint this coordinator last signed (tree size ${anchor.size}${otherRoot ? '; the file has one of that size with another root' : ''}; the file's largest is ${largest === -1 ? 'none' : largest}): it was changed on disk`, {
        anchorSize: anchor.size, largest, checkpoints: cached,
      });
    }
    return { all: this.cps.map((c) => c.served), latest: latest?.served };
  }

  /** The checkpoint of tree size `size`; CHECKPOINT_MISMATCH when two of that size differ (a fork), NO_CHECKPOINT when none. */
  checkpointOf(size: number): AuditCheckpoint {
    this.checkpoints();
    const at = this.bySize.get(size);
    if (at === undefined) throw new CohortError(AuditErrors.NO_CHECKPOINT, `the coordinator signed no checkpoint of tree size ${size}`, { details: { treeSize: size } });
    const roots = at.map((i) => this.cps[i]!.root);
    if (roots.some((r) => !r.equals(roots[0]!))) {
      throw new CohortError(AuditErrors.CHECKPOINT_MISMATCH, `checkpoints ${at.join(', ')} are all of tree size ${size} and sign different roots: the log forked`, { details: { treeSize: size, checkpoint: at[1]! } });
    }
    return this.cps[at[0]!]!.served;
  }

  /** The latest checkpoint's tree size; NO_CHECKPOINT when none is signed. */
  latestSize(): number {
    const { latest } = this.checkpoints();
    if (latest === undefined) throw new CohortError(AuditErrors.NO_CHECKPOINT, 'the coordinator\'s audit log has no signed checkpoint yet', { details: {} });
    return Number(latest.treeSize);
  }
}

/** A request's int64 (a decimal string with longs: String) as a safe non-negative integer. */
function count(value: string | number, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new CohortError(AuditErrors.RANGE_INVALID, `${field} ${value} is not a non-negative integer`, { details: { field } });
  return n;
}

function outOfRange(message: string, details: Record<string, number>): CohortError {
  return new CohortError(AuditErrors.RANGE_INVALID, message, { details });
}

export function auditServiceHandlers(ctx: AuditServiceContext): AuditServiceHandlers {
  const { audit } = ctx;
  const served = new ServedLog(audit, ctx.anchor);
  function unary<Req, Res>(rpc: keyof AuditServiceHandlers, fn: (req: Req) => { response: Res; details: Record<string, AuditDetailValue> }): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      let id: Identity | undefined;
      try {
        id = authorize(call, AUDIT_ROLES[rpc], ctx.guard);
        const { response, details } = fn(call.request);
        audit.append({ actor: { name: id.name, role: id.role }, action: 'audit.read', target: { rpc: `/cohort.v1.AuditService/${rpc}`, certificate: id.serial }, outcome: 'ok', details });
        callback(null, response);
      } catch (e) {
        // An authorized read that failed (a range, a diverged file) is recorded with its code; a refused one already was, as rpc.refused.
        if (id !== undefined && isCohortError(e) && audit.isOpen) {
          try {
            audit.append({ actor: { name: id.name, role: id.role }, action: 'audit.read', target: { rpc: `/cohort.v1.AuditService/${rpc}`, certificate: id.serial }, outcome: 'failed', details: { code: e.code } });
          } catch (appendError) {
            ctx.log.error({ err: (appendError as Error).message, rpc }, 'audit log append of a failed audit read failed');
          }
        }
        callback(toServiceError(e));
      }
    };
  }
  return {
    ListRecords: unary('ListRecords', (req) => {
      const since = count(req.sinceIndex, 'since_index');
      const limit = req.limit === 0 ? DEFAULT_PAGE : req.limit;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw outOfRange(`limit ${req.limit} is not within 1..${MAX_PAGE}`, { limit: req.limit });
      const { lines } = served.log();
      if (since > lines.length) throw outOfRange(`since_index ${since} is past the log's ${lines.length} records`, { sinceIndex: since, treeSize: lines.length });
      const page = lines.slice(since, since + limit);
      return {
        response: { lines: page.map((l) => l.toString('utf8')), firstIndex: String(since), treeSize: String(lines.length), nextIndex: String(since + page.length) },
        details: { sinceIndex: since, records: page.length, treeSize: lines.length },
      };
    }),

    GetLatestCheckpoint: unary('GetLatestCheckpoint', () => {
      const { latest } = served.checkpoints();
      if (latest === undefined) throw new CohortError(AuditErrors.NO_CHECKPOINT, 'the coordinator\'s audit log has no signed checkpoint yet', { details: {} });
      return { response: latest, details: { treeSize: Number(latest.treeSize) } };
    }),

    ListCheckpoints: unary('ListCheckpoints', (req) => {
      const since = count(req.sinceIndex, 'since_index');
      const limit = req.limit === 0 ? DEFAULT_CHECKPOINT_PAGE : req.limit;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_CHECKPOINT_PAGE) throw outOfRange(`limit ${req.limit} is not within 1..${MAX_CHECKPOINT_PAGE}`, { limit: req.limit });
      const { all } = served.checkpoints();
      if (since > all.length) throw outOfRange(`since_index ${since} is past the log's ${all.length} checkpoints`, { sinceIndex: since, checkpoints: all.length });
      const page = all.slice(since, since + limit);
      return {
        response: { checkpoints: page, firstIndex: String(since), total: String(all.length), nextIndex: String(since + page.length) },
        details: { sinceIndex: since, checkpoints: page.length, total: all.length },
      };
    }),

    GetCheckpoint: unary('GetCheckpoint', (req) => {
      const size = count(req.treeSize, 'tree_size');
      const cp = served.checkpointOf(size);
      return { response: cp, details: { treeSize: size } };
    }),

    GetInclusionProof: unary('GetInclusionProof', (req) => {
      const index = count(req.index, 'index');
      const requested = count(req.treeSize, 'tree_size');
      const size = requested === 0 ? served.latestSize() : requested;
      const { lines, tree } = served.log();
      if (size > tree.size) throw outOfRange(`tree size ${size} is larger than the log's ${tree.size} records`, { treeSize: size, records: tree.size });
      if (index >= size) throw outOfRange(`record ${index} is not below tree size ${size}`, { index, treeSize: size });
      const proof = tree.inclusionProof(index, size);
      return {
        response: { index: String(index), treeSize: String(size), line: lines[index]!.toString('utf8'), proof },
        details: { index, treeSize: size },
      };
    }),

    GetConsistencyProof: unary('GetConsistencyProof', (req) => {
      const size1 = count(req.size1, 'size1');
      const requested = count(req.size2, 'size2');
      const size2 = requested === 0 ? served.latestSize() : requested;
      const { tree } = served.log();
      if (size2 > tree.size) throw outOfRange(`tree size ${size2} is larger than the log's ${tree.size} records`, { size2, records: tree.size });
      if (size1 > size2) throw outOfRange(`first tree size ${size1} is larger than the second, ${size2}`, { size1, size2 });
      return { response: { size1: String(size1), size2: String(size2), proof: tree.consistencyProof(size1, size2) }, details: { size1, size2 } };
    }),
  };
}
