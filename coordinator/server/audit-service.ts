/**
 * The audit RPCs (protos/cohort/v1/audit.proto): the auditor reads the coordinator's audit
 * log remotely (records, signed checkpoints, RFC 9162 inclusion and consistency proofs) and
 * verifies it on its own machine. Nothing here hashes anything of its own: leaves, roots and
 * proofs are core/audit/merkle.ts's.
 *
 * What is served is what the writer wrote: each call reads audit.jsonl and checks that its
 * first `size` lines hash to the root the writer holds in memory (COHORT_E_AUDIT_LOG_DIVERGED
 * otherwise), so a file changed under a running coordinator is reported, not proved over.
 * Every call is authorized by role and recorded: allowed ones as `audit.read` (after the
 * answer is computed, before it is sent: a read that cannot be recorded is not answered;
 * one that fails after authorization, outcome `failed` with its code),
 * refused ones as `rpc.refused` (by the authorization observer, as for every RPC).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import { parseCheckpointLine } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { consistencyProof, inclusionProof, leafHash, treeHash } from '../../core/audit/merkle.ts';
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
  guard: RevocationGuard;
  log: Logger;
}

/** Who may call each RPC: the auditor only (least privilege); test/integration/rpc-role-matrix.test.ts checks every cell. */
export const AUDIT_ROLES: Readonly<Record<keyof AuditServiceHandlers, readonly Role[]>> = {
  ListRecords: ['auditor'],
  GetLatestCheckpoint: ['auditor'],
  ListCheckpoints: ['auditor'],
  GetInclusionProof: ['auditor'],
  GetConsistencyProof: ['auditor'],
};

/** Records a page holds when the request names no limit, and the most it may ask for. */
export const DEFAULT_PAGE = 1000;
export const MAX_PAGE = 10_000;

/** The log as the writer wrote it: its first `audit.size` lines and their leaf hashes, checked against the writer's root. */
interface ServedLog {
  readonly lines: readonly Buffer[];
  readonly leaves: readonly Buffer[];
}

function servedLog(audit: AuditLog): ServedLog {
  if (!audit.isOpen) throw new CohortError(AuditErrors.LOG_UNREADABLE, 'the coordinator\'s audit log is closed (the coordinator is stopping)', { details: {} });
  const size = audit.size;
  const all = readLineFile(audit.logFile).lines;
  const lines = all.slice(0, size);
  const leaves = lines.map((l) => leafHash(l));
  if (lines.length < size || !treeHash(leaves).equals(audit.root())) {
    throw new CohortError(AuditErrors.LOG_DIVERGED, `audit.jsonl no longer holds the ${size} records this coordinator wrote (the file has ${all.length} lines, and its first ${lines.length} hash to another root): it was changed on disk`, {
      details: { treeSize: size, lines: all.length },
    });
  }
  return { lines, leaves };
}

function checkpoints(audit: AuditLog): AuditCheckpoint[] {
  return readLineFile(audit.checkpointFile).lines.map((line, i) => {
    // Parsed to state its size; the note and certificate go out as written (the note is what is signed).
    const cp = parseCheckpointLine(line, i);
    return { note: (JSON.parse(line.toString('utf8')) as { note: string }).note, certificate: cp.certificate, treeSize: String(cp.size) };
  });
}

function latestSize(audit: AuditLog): number {
  const all = checkpoints(audit);
  if (all.length === 0) throw new CohortError(AuditErrors.NO_CHECKPOINT, 'the coordinator\'s audit log has no signed checkpoint yet', { details: {} });
  return Math.max(...all.map((c) => Number(c.treeSize)));
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
      const { lines } = servedLog(audit);
      if (since > lines.length) throw outOfRange(`since_index ${since} is past the log's ${lines.length} records`, { sinceIndex: since, treeSize: lines.length });
      const page = lines.slice(since, since + limit);
      return {
        response: { lines: page.map((l) => l.toString('utf8')), firstIndex: String(since), treeSize: String(lines.length), nextIndex: String(since + page.length) },
        details: { sinceIndex: since, records: page.length, treeSize: lines.length },
      };
    }),

    GetLatestCheckpoint: unary('GetLatestCheckpoint', () => {
      const all = checkpoints(audit);
      if (all.length === 0) throw new CohortError(AuditErrors.NO_CHECKPOINT, 'the coordinator\'s audit log has no signed checkpoint yet', { details: {} });
      const latest = all.reduce((a, b) => (Number(b.treeSize) >= Number(a.treeSize) ? b : a));
      return { response: latest, details: { treeSize: Number(latest.treeSize) } };
    }),

    ListCheckpoints: unary('ListCheckpoints', () => {
      const all = checkpoints(audit);
      return { response: { checkpoints: all }, details: { checkpoints: all.length } };
    }),

    GetInclusionProof: unary('GetInclusionProof', (req) => {
      const index = count(req.index, 'index');
      const requested = count(req.treeSize, 'tree_size');
      const size = requested === 0 ? latestSize(audit) : requested;
      const { lines, leaves } = servedLog(audit);
      if (size > leaves.length) throw outOfRange(`tree size ${size} is larger than the log's ${leaves.length} records`, { treeSize: size, records: leaves.length });
      if (index >= size) throw outOfRange(`record ${index} is not below tree size ${size}`, { index, treeSize: size });
      const proof = inclusionProof(leaves, index, size);
      return {
        response: { index: String(index), treeSize: String(size), line: lines[index]!.toString('utf8'), proof },
        details: { index, treeSize: size },
      };
    }),

    GetConsistencyProof: unary('GetConsistencyProof', (req) => {
      const size1 = count(req.size1, 'size1');
      const requested = count(req.size2, 'size2');
      const size2 = requested === 0 ? latestSize(audit) : requested;
      const { leaves } = servedLog(audit);
      if (size2 > leaves.length) throw outOfRange(`tree size ${size2} is larger than the log's ${leaves.length} records`, { size2, records: leaves.length });
      if (size1 > size2) throw outOfRange(`first tree size ${size1} is larger than the second, ${size2}`, { size1, size2 });
      return { response: { size1: String(size1), size2: String(size2), proof: consistencyProof(leaves, size1, size2) }, details: { size1, size2 } };
    }),
  };
}
