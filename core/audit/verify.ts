/**
 * Verifies an audit log against its hash chain and its signed checkpoints, and names the
 * first record at fault. The chain (each `prev` is the SHA-256 of the line before, each
 * `index` its position) finds what was changed, inserted, deleted or moved in place; the
 * checkpoints (signed Merkle roots) find what was cut off the end and what was rewritten
 * wholesale with a recomputed chain.
 */
import { AuditErrors, CohortError } from '../errors/index.ts';
import { checkpointVerifier, parseCheckpointLine, type CheckpointSigner, type ParsedCheckpoint } from './checkpoint.ts';
import { readLineFile } from './lines.ts';
import { MerkleFrontier, leafHash } from './merkle.ts';
import { ZERO_HASH, lineHash, parseRecord, type AuditRecord } from './record.ts';

export interface VerifyInput {
  /** audit.jsonl. */
  readonly logFile: string;
  /** The log's lines, read already (one read for whoever verifies and then uses them); logFile is read when absent. */
  readonly lines?: readonly Buffer[];
  /** checkpoints.jsonl files (the writer's, and any kept elsewhere); absent files are skipped. */
  readonly checkpointFiles: readonly string[];
  /** The consortium CA certificate; without it, signers are checked only against each other. */
  readonly caPem?: string;
  /** The log's origin, when the verifier knows whose log it must be. */
  readonly origin?: string;
  /** The role the signer's certificate must name (the coordinator's log: 'coordinator'). */
  readonly role?: string;
}

/** What vouches for the log: nothing but the chain, checkpoints that agree with each other, or checkpoints signed by a certificate of the CA. */
export type AuditTrust = 'none' | 'self-consistent' | 'ca';

/** An `audit.repair` record: the writer set a torn line aside (or restored its newline) on open. */
export interface RepairNote {
  readonly index: number;
  readonly file: string;
}

export interface VerifySummary {
  readonly records: number;
  readonly checkpoints: number;
  /** Tree size of the largest checkpoint, 0 without one. */
  readonly treeSize: number;
  /** Its root hash, base64 as in the note; null without a checkpoint. */
  readonly root: string | null;
  /** Root of the whole log, base64. */
  readonly logRoot: string;
  /** Records past the largest checkpoint: only the chain vouches for them. */
  readonly uncheckpointed: number;
  readonly origin: string | null;
  readonly signer: { readonly name: string; readonly role: string; readonly chainedToCa: boolean } | null;
  /** none: no checkpoint; self-consistent: checkpoints, no CA given; ca: every signer chained to --ca. */
  readonly trust: AuditTrust;
  /**
   * The writer's repairs of checkpoints.jsonl: a checkpoint line was cut (a crash while
   * signing, or someone cut the file). A cut checkpoint is evidence lost: compare the log
   * with a checkpoints.jsonl kept elsewhere.
   */
  readonly checkpointRepairs: readonly RepairNote[];
}

/** What a verified log holds: the summary, and the records with their leaf hashes for the writer. */
export interface VerifiedLog {
  readonly summary: VerifySummary;
  readonly records: readonly AuditRecord[];
  readonly leaves: readonly Buffer[];
  /** The tree over every leaf, as verification folded it: a writer goes on appending to it (it is the caller's from here). */
  readonly frontier: MerkleFrontier;
  /** Each verified checkpoint's tree size and the root it was shown to have. */
  readonly checkpointRoots: ReadonlyMap<number, Buffer>;
}

function fault(def: typeof AuditErrors[keyof typeof AuditErrors], index: number, message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(def, `record ${index}: ${message}`, { details: { index, ...details } });
}

function parseAll(lines: readonly Buffer[]): AuditRecord[] {
  return lines.map((line, j) => {
    const r = parseRecord(line);
    if ('problem' in r) throw fault(AuditErrors.RECORD_MALFORMED, j, r.problem);
    return r.record;
  });
}

/** The first break of position or chain, classified; undefined when the chain holds. */
function chainFault(lines: readonly Buffer[], records: readonly AuditRecord[]): CohortError | undefined {
  const n = records.length;
  const hashes = lines.map(lineHash);
  for (let j = 0; j < n; j++) {
    const r = records[j]!;
    if (r.index !== j) return positionFault(lines, records, j);
    const expected = j === 0 ? ZERO_HASH : hashes[j - 1]!;
    if (r.prev !== expected) {
      // Record j is in its place but does not commit to the line before it: that line was
      // changed, unless record j's own bytes changed too (then its successor's link breaks).
      const selfBroken = j + 1 < n && records[j + 1]!.prev !== hashes[j];
      const altered = selfBroken || j === 0 ? j : j - 1;
      return fault(AuditErrors.RECORD_ALTERED, altered, `its bytes differ from what record ${altered + 1 < n ? altered + 1 : j} committed to (prev)`);
    }
  }
  return undefined;
}

function positionFault(lines: readonly Buffer[], records: readonly AuditRecord[], j: number): CohortError {
  const indexes = records.map((r) => r.index);
  const claimed = indexes[j]!;
  const sorted = [...indexes].sort((a, b) => a - b);
  if (sorted.every((v, i) => v === i)) {
    const at = indexes.indexOf(j);
    return fault(AuditErrors.RECORD_REORDERED, j, `it stands at line ${at} and line ${j} holds record ${claimed}: records were moved`, { line: at });
  }
  if (!indexes.includes(j)) {
    return fault(AuditErrors.RECORD_DELETED, j, `no line holds it; line ${j} holds record ${claimed}: records were deleted`, { line: j });
  }
  if (claimed < j && !lines[j]!.equals(lines[claimed]!)) {
    // Line j is the genuine record `claimed` (it commits to the line before its place):
    // the lines from `claimed` up to j were inserted ahead of it.
    const expected = claimed === 0 ? ZERO_HASH : lineHash(lines[claimed - 1]!);
    if (records[j]!.prev === expected) return fault(AuditErrors.RECORD_INSERTED, claimed, `line ${claimed} is not the record the log committed to there; lines ${claimed}..${j - 1} were inserted`, { line: claimed });
  }
  return fault(AuditErrors.RECORD_INSERTED, j, `line ${j} claims index ${claimed}: a record was inserted`, { line: j });
}

function readCheckpoints(files: readonly string[]): ParsedCheckpoint[] {
  const out: ParsedCheckpoint[] = [];
  for (const file of files) {
    const { lines, torn } = readLineFile(file);
    if (torn) throw new CohortError(AuditErrors.LOG_TORN, `${file}: the last line (${torn.bytes.length} bytes at offset ${torn.offset}) has no newline`, { details: { file, checkpoint: out.length + lines.length, offset: torn.offset } });
    for (const line of lines) out.push(parseCheckpointLine(line, out.length));
  }
  return out;
}

/** The content of a log and its checkpoints, read already (the writer checks what a repair would leave before making it). */
export interface VerifyContent {
  readonly lines: readonly Buffer[];
  readonly checkpoints: readonly ParsedCheckpoint[];
  readonly caPem?: string;
  readonly origin?: string;
  readonly role?: string;
}

/**
 * Verifies the log and checkpoints; returns what they hold, or throws the coded error of
 * the first fault: LOG_TORN, RECORD_MALFORMED, RECORD_ALTERED, RECORD_INSERTED,
 * RECORD_DELETED, RECORD_REORDERED (details.index = the record), then per checkpoint in
 * order of tree size CHECKPOINT_MALFORMED, CHECKPOINT_SIGNATURE, CHECKPOINT_SIGNER,
 * LOG_TRUNCATED (details.index = the first missing record) or CHECKPOINT_MISMATCH.
 */
export function verifyAuditLog(input: VerifyInput): VerifiedLog {
  const { lines, torn } = input.lines === undefined ? readLineFile(input.logFile) : { lines: input.lines, torn: null };
  if (torn) {
    throw fault(AuditErrors.LOG_TORN, lines.length, `the last line (${torn.bytes.length} bytes at offset ${torn.offset}) has no newline: an append was cut off`, { offset: torn.offset, bytes: torn.bytes.length });
  }
  return verifyAuditContent({ ...input, lines, checkpoints: readCheckpoints(input.checkpointFiles) });
}

/** verifyAuditLog on content already read; the same checks and errors, bar LOG_TORN. */
export function verifyAuditContent(input: VerifyContent): VerifiedLog {
  const { lines, checkpoints } = input;
  const records = parseAll(lines);
  const broken = chainFault(lines, records);
  if (broken) throw broken;
  const leaves = lines.map((l) => leafHash(l));

  let signer: (CheckpointSigner & { origin: string }) | undefined;
  const order = checkpoints.map((cp, i) => ({ cp, i })).sort((a, b) => a.cp.size - b.cp.size);
  // One pass: the frontier grows leaf by leaf, and each checkpoint is checked when the tree reaches its size.
  const frontier = new MerkleFrontier();
  // The largest tree size already shown to match: a rewrite starts past it.
  let matched = 0;
  // The matched size before `matched` (two checkpoints of one size: a mismatch of the second starts past the size before).
  let matchedBefore = 0;
  const verifySignature = checkpointVerifier(input.caPem);
  const checkpointRoots = new Map<number, Buffer>();
  for (const { cp, i } of order) {
    const s = verifySignature(cp, i);
    // One log, one origin. With the CA, any certificate it issued to the writer will do (keys
    // renew); without it, only the key of the first checkpoint, or anyone could sign.
    if (signer && (cp.origin !== signer.origin || (input.caPem === undefined && s.spki !== signer.spki))) {
      throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${i} (tree size ${cp.size}) is signed by another key or for another log than checkpoint ${order[0]!.i}`, { details: { checkpoint: i, treeSize: cp.size } });
    }
    if (input.origin !== undefined && cp.origin !== input.origin) {
      throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${i} (tree size ${cp.size}) is of the log ${cp.origin}, not of ${input.origin}`, { details: { checkpoint: i, treeSize: cp.size, origin: cp.origin } });
    }
    if (input.role !== undefined && s.identity.role !== input.role) {
      throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${i} (tree size ${cp.size}) is signed by ${s.identity.role} "${s.identity.name}", not by a ${input.role}: a self-consistent log of another participant`, {
        details: { checkpoint: i, treeSize: cp.size, role: s.identity.role },
      });
    }
    signer ??= { ...s, origin: cp.origin };
    if (cp.size > records.length) {
      throw fault(AuditErrors.LOG_TRUNCATED, records.length, `the log ends before it, but checkpoint ${i} covers ${cp.size} records: the log was truncated`, { checkpoint: i, treeSize: cp.size, records: records.length });
    }
    while (frontier.size < cp.size) frontier.append(leaves[frontier.size]!);
    if (!frontier.root().equals(cp.root)) {
      if (matched === cp.size) matched = matchedBefore;
      throw new CohortError(
        AuditErrors.CHECKPOINT_MISMATCH,
        `the first ${cp.size} records do not hash to the root signed in checkpoint ${i}: the history was rewritten or forked from a record in ${matched}..${cp.size - 1}`,
        { details: { checkpoint: i, treeSize: cp.size, from: matched } },
      );
    }
    checkpointRoots.set(cp.size, cp.root);
    if (cp.size > matched) {
      matchedBefore = matched;
      matched = cp.size;
    }
  }
  while (frontier.size < leaves.length) frontier.append(leaves[frontier.size]!);
  const latest = order.at(-1)?.cp;
  const summary: VerifySummary = {
    records: records.length,
    checkpoints: checkpoints.length,
    treeSize: latest?.size ?? 0,
    root: latest ? latest.root.toString('base64') : null,
    logRoot: frontier.root().toString('base64'),
    uncheckpointed: records.length - (latest?.size ?? 0),
    origin: latest?.origin ?? null,
    signer: signer ? { name: signer.identity.name, role: signer.identity.role, chainedToCa: signer.chainedToCa } : null,
    trust: latest === undefined ? 'none' : input.caPem === undefined ? 'self-consistent' : 'ca',
    checkpointRepairs: records.filter((r) => r.action === 'audit.repair' && r.details.file === 'checkpoints.jsonl').map((r) => ({ index: r.index, file: 'checkpoints.jsonl' })),
  };
  return { summary, records, leaves, frontier, checkpointRoots };
}
