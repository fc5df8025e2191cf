/**
 * `cohort audit records | checkpoint | prove | verify --kit`: the auditor reads the
 * coordinator's audit log over the AuditService and checks it here, with the same verifier
 * and Merkle code the offline `cohort audit verify` uses, under the consortium CA from the
 * auditor's own kit. Proofs are checked against signed roots, `verify --kit` checks every
 * record against the signed checkpoints; `records` checks only the hash chain within its
 * page and says so (`verified: false`).
 *
 * Limits (docs/audit-log.md): a checkpoint is signed by the coordinator's own key, so a
 * coordinator that rewrites its whole log and re-signs it passes unless you give a
 * checkpoint you kept earlier (--checkpoint), and a kept checkpoint protects only the
 * records up to its tree size. The client does not read the CRL: a checkpoint signed with
 * a coordinator certificate revoked since is still accepted.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUDIT_LOG_FILE, CHECKPOINT_FILE } from '../../core/audit/audit-log.ts';
import { checkpointVerifier, parseCheckpointLine, type CheckpointVerifier, type ParsedCheckpoint } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { EMPTY_ROOT, leafHash, verifyConsistency, verifyInclusion } from '../../core/audit/merkle.ts';
import { lineHash, parseRecord, ZERO_HASH, type AuditRecord } from '../../core/audit/record.ts';
import { verifyAuditContent, type VerifySummary } from '../../core/audit/verify.ts';
import { AuditErrors, CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { auditClient, unary } from '../../core/rpc/clients.ts';
import type { AuditCheckpoint__Output } from '../../protos/gen/cohort/v1/AuditCheckpoint.ts';
import type { AuditServiceClient } from '../../protos/gen/cohort/v1/AuditService.ts';
import type { ConsistencyProof__Output } from '../../protos/gen/cohort/v1/ConsistencyProof.ts';
import type { InclusionProof__Output } from '../../protos/gen/cohort/v1/InclusionProof.ts';
import type { ListCheckpointsResponse__Output } from '../../protos/gen/cohort/v1/ListCheckpointsResponse.ts';
import type { ListRecordsResponse__Output } from '../../protos/gen/cohort/v1/ListRecordsResponse.ts';
import { runCommand } from '../output.ts';

/** The coordinator's checkpoints must be signed by a certificate with this role. */
const WRITER_ROLE = 'coordinator';

export interface RemoteOptions {
  readonly address?: string;
}

/** One unary AuditService call with a fresh channel, closed whatever the outcome. */
async function call<Res>(kit: Kit, o: RemoteOptions, invoke: (c: AuditServiceClient, opts: grpc.CallOptions, cb: grpc.requestCallback<Res>) => unknown): Promise<Res> {
  const client = auditClient(kit, o.address);
  try {
    return await unary<Res>((opts, cb) => invoke(client, opts, cb));
  } finally {
    client.close();
  }
}

/** A served checkpoint as the line checkpoints.jsonl holds, parsed (its signature not yet checked). */
function parsedCheckpoint(cp: AuditCheckpoint__Output, index: number): { line: string; parsed: ParsedCheckpoint } {
  const line = JSON.stringify({ note: cp.note, certificate: cp.certificate });
  return { line, parsed: parseCheckpointLine(Buffer.from(line, 'utf8'), index) };
}

/** Records one ListRecords page is asked for (the coordinator's default); never more than the first page's tree size leaves, as the log grows meanwhile. */
const RECORD_PAGE = 1000;

/** The most checkpoints one ListCheckpoints page is asked for (the coordinator's cap). */
const CHECKPOINT_PAGE = 1000;

function answerInvalid(message: string, details: Record<string, number>): CohortError {
  return new CohortError(AuditErrors.ANSWER_INVALID, message, { details });
}

/** Every checkpoint the coordinator serves, page by page; the count is fixed by the first page (checkpoints signed after it are left out). */
async function fetchCheckpoints(kit: Kit, o: RemoteOptions): Promise<AuditCheckpoint__Output[]> {
  const out: AuditCheckpoint__Output[] = [];
  let total: number | undefined;
  for (;;) {
    const page = await call<ListCheckpointsResponse__Output>(kit, o, (c, opts, cb) => c.listCheckpoints({ sinceIndex: String(out.length), limit: total === undefined ? CHECKPOINT_PAGE : Math.min(CHECKPOINT_PAGE, total - out.length) }, opts, cb));
    const first = Number(page.firstIndex);
    total ??= Number(page.total);
    if (first !== out.length || Number(page.nextIndex) !== first + page.checkpoints.length) {
      throw answerInvalid(`asked for checkpoints from ${out.length}, the coordinator answered a page from ${page.firstIndex} to ${page.nextIndex} holding ${page.checkpoints.length}`, { asked: out.length, firstIndex: first });
    }
    if (out.length + page.checkpoints.length > total) throw answerInvalid(`the coordinator served more than the ${total} checkpoints its first page stated`, { total });
    if (page.checkpoints.length === 0 && out.length < total) throw answerInvalid(`the coordinator stated ${total} checkpoints and ended after ${out.length}`, { total, served: out.length });
    out.push(...page.checkpoints);
    if (out.length >= total) return out;
  }
}

/** The checkpoints of a file you kept (checkpoints.jsonl): a torn last line is LOG_TORN, an empty file LOG_UNREADABLE. */
export function readKeptCheckpoints(path: string): { lines: string[]; parsed: ParsedCheckpoint[] } {
  const { lines, torn } = readLineFile(resolve(path));
  if (torn) throw new CohortError(AuditErrors.LOG_TORN, `${path}: the last line (${torn.bytes.length} bytes at offset ${torn.offset}) has no newline`, { details: { file: path, checkpoint: lines.length, offset: torn.offset } });
  if (lines.length === 0) throw new CohortError(AuditErrors.LOG_UNREADABLE, `checkpoint file ${path} holds no checkpoint`, { details: { path } });
  return { lines: lines.map((l) => l.toString('utf8')), parsed: lines.map((l, i) => parseCheckpointLine(l, i)) };
}

/**
 * Checks one checkpoint: its signature under the kit's CA, its signer a coordinator of the
 * kit's own consortium, and its origin the one of the checkpoints checked before it (one
 * log). Returns the origin.
 */
function checkCheckpoint(kit: Kit, verify: CheckpointVerifier, cp: ParsedCheckpoint, at: number, origin: { value?: string }): ReturnType<CheckpointVerifier> {
  const signer = verify(cp, at);
  if (signer.identity.role !== WRITER_ROLE || signer.identity.consortium !== kit.consortium) {
    throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${at} is signed by ${signer.identity.role} "${signer.identity.name}" of consortium "${signer.identity.consortium}", not by the coordinator of "${kit.consortium}"`, {
      details: { checkpoint: at, role: signer.identity.role },
    });
  }
  origin.value ??= cp.origin;
  if (cp.origin !== origin.value) throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${at} is of the log ${cp.origin}, not of ${origin.value}`, { details: { checkpoint: at, treeSize: cp.size } });
  return signer;
}

/**
 * The signed root of tree size `size`: the coordinator's checkpoint of that size
 * (GetCheckpoint), and any you kept of that size, each checked (checkCheckpoint); two of one
 * size with different roots are evidence of a fork (CHECKPOINT_MISMATCH). Size 0 is the
 * empty tree (no checkpoint needed).
 */
async function signedRoot(kit: Kit, o: RemoteOptions, size: number, kept: readonly ParsedCheckpoint[], origin: { value?: string }): Promise<{ root: Buffer; origin: string | null }> {
  if (size === 0) return { root: EMPTY_ROOT, origin: null };
  const served = await call<AuditCheckpoint__Output>(kit, o, (c, opts, cb) => c.getCheckpoint({ treeSize: String(size) }, opts, cb));
  const { parsed } = parsedCheckpoint(served, 0);
  // The note's own size, not the size the server stated beside it.
  if (parsed.size !== size) throw new CohortError(AuditErrors.CHECKPOINT_MISMATCH, `asked for the checkpoint of tree size ${size}, the coordinator served one of ${parsed.size}`, { details: { checkpoint: 0, treeSize: size } });
  const verify = checkpointVerifier(kit.caPem);
  const candidates = [parsed, ...kept.filter((k) => k.size === size)];
  for (const [i, cp] of candidates.entries()) {
    checkCheckpoint(kit, verify, cp, i, origin);
    if (!cp.root.equals(parsed.root)) {
      throw new CohortError(AuditErrors.CHECKPOINT_MISMATCH, `the coordinator's checkpoint of tree size ${size} and one you kept of that size sign different roots: the log forked`, { details: { checkpoint: i, treeSize: size } });
    }
  }
  return { root: parsed.root, origin: parsed.origin };
}

export interface RecordsPage {
  readonly firstIndex: number;
  readonly nextIndex: number;
  readonly treeSize: number;
  readonly records: readonly AuditRecord[];
  /** What was checked: each record's index and its hash-chain link to the record before it within the page. */
  readonly checked: 'chain-within-page';
  /** Always false: a page is not checked against a signed checkpoint (`cohort audit verify --kit` or `prove` do that). */
  readonly verified: false;
}

/**
 * One page of records, each line parsed, its index its position and its `prev` the hash of
 * the line before it within the page; not checked against a signed checkpoint (verified: false).
 */
export async function remoteRecords(kit: Kit, o: RemoteOptions & { since?: number; limit?: number }): Promise<RecordsPage> {
  const since = o.since ?? 0;
  const page = await call<ListRecordsResponse__Output>(kit, o, (c, opts, cb) => c.listRecords({ sinceIndex: String(since), limit: o.limit ?? 0 }, opts, cb));
  const first = Number(page.firstIndex);
  if (first !== since || Number(page.nextIndex) !== first + page.lines.length || first + page.lines.length > Number(page.treeSize)) {
    throw answerInvalid(`asked for records from ${since}, the coordinator answered ${page.lines.length} from ${page.firstIndex}, next ${page.nextIndex}, of ${page.treeSize}`, { asked: since, firstIndex: first });
  }
  const lines = page.lines.map((l) => Buffer.from(l, 'utf8'));
  const records = lines.map((line, i) => {
    const r = parseRecord(line);
    if ('problem' in r) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${first + i}: ${r.problem}`, { details: { index: first + i } });
    if (r.record.index !== first + i) throw new CohortError(AuditErrors.RECORD_INSERTED, `line ${first + i} of the page claims index ${r.record.index}`, { details: { index: first + i } });
    const prev = i > 0 ? lineHash(lines[i - 1]!) : first === 0 ? ZERO_HASH : undefined;
    if (prev !== undefined && r.record.prev !== prev) throw new CohortError(AuditErrors.RECORD_ALTERED, `record ${first + i} does not commit to the record before it (prev)`, { details: { index: first + i } });
    return r.record;
  });
  return { firstIndex: first, nextIndex: Number(page.nextIndex), treeSize: Number(page.treeSize), records, checked: 'chain-within-page', verified: false };
}

export interface RemoteCheckpoint {
  readonly treeSize: number;
  readonly root: string;
  readonly origin: string;
  readonly signer: { readonly name: string; readonly role: string; readonly chainedToCa: boolean };
  readonly note: string;
}

/**
 * The latest checkpoint (or all of them), each checked: its signature under the kit's CA,
 * its signer the coordinator of the kit's consortium, one origin for all.
 */
export async function remoteCheckpoints(kit: Kit, o: RemoteOptions & { all?: boolean }): Promise<RemoteCheckpoint[]> {
  const served = o.all === true ? await fetchCheckpoints(kit, o) : [await call<AuditCheckpoint__Output>(kit, o, (c, opts, cb) => c.getLatestCheckpoint({}, opts, cb))];
  const verify = checkpointVerifier(kit.caPem);
  const origin: { value?: string } = {};
  return served.map((cp, i) => {
    const { parsed } = parsedCheckpoint(cp, i);
    const s = checkCheckpoint(kit, verify, parsed, i, origin);
    return { treeSize: parsed.size, root: parsed.root.toString('base64'), origin: parsed.origin, signer: { name: s.identity.name, role: s.identity.role, chainedToCa: s.chainedToCa }, note: cp.note };
  });
}

export interface InclusionResult {
  readonly kind: 'inclusion';
  readonly index: number;
  readonly treeSize: number;
  readonly root: string;
  readonly origin: string | null;
  readonly record: AuditRecord;
  readonly proof: readonly string[];
  readonly verified: true;
}

export interface ConsistencyResult {
  readonly kind: 'consistency';
  readonly size1: number;
  readonly size2: number;
  readonly root1: string;
  readonly root2: string;
  readonly proof: readonly string[];
  readonly verified: true;
}

/**
 * Fetches an inclusion proof for record `index` against the checkpoint of `size` (0: the
 * latest) and verifies it here against that checkpoint's signed root.
 */
export async function proveInclusion(kit: Kit, o: RemoteOptions & { index: number; size?: number; checkpoint?: string }): Promise<InclusionResult> {
  const kept = o.checkpoint === undefined ? [] : readKeptCheckpoints(o.checkpoint).parsed;
  const p = await call<InclusionProof__Output>(kit, o, (c, opts, cb) => c.getInclusionProof({ index: String(o.index), treeSize: String(o.size ?? 0) }, opts, cb));
  const size = Number(p.treeSize);
  if (Number(p.index) !== o.index || (o.size !== undefined && o.size !== 0 && size !== o.size)) {
    throw new CohortError(AuditErrors.PROOF_INVALID, `asked for record ${o.index} of ${o.size ?? 'the latest'}, the coordinator answered for record ${p.index} of ${size}`, { details: { index: o.index, treeSize: size } });
  }
  const { root, origin } = await signedRoot(kit, o, size, kept, {});
  const line = Buffer.from(p.line, 'utf8');
  verifyInclusion(o.index, size, leafHash(line), p.proof, root);
  const parsed = parseRecord(line);
  if ('problem' in parsed) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${o.index}: ${parsed.problem}`, { details: { index: o.index } });
  return { kind: 'inclusion', index: o.index, treeSize: size, root: root.toString('base64'), origin, record: parsed.record, proof: p.proof.map((b) => b.toString('base64')), verified: true };
}

/** Fetches a consistency proof from `size1` to `size2` (0: the latest) and verifies it here against both signed roots. */
export async function proveConsistency(kit: Kit, o: RemoteOptions & { size1: number; size2?: number; checkpoint?: string }): Promise<ConsistencyResult> {
  const kept = o.checkpoint === undefined ? [] : readKeptCheckpoints(o.checkpoint).parsed;
  const p = await call<ConsistencyProof__Output>(kit, o, (c, opts, cb) => c.getConsistencyProof({ size1: String(o.size1), size2: String(o.size2 ?? 0) }, opts, cb));
  const size1 = Number(p.size1);
  const size2 = Number(p.size2);
  if (size1 !== o.size1 || (o.size2 !== undefined && o.size2 !== 0 && size2 !== o.size2)) {
    throw new CohortError(AuditErrors.PROOF_INVALID, `asked for ${o.size1} to ${o.size2 ?? 'the latest'}, the coordinator answered for ${size1} to ${size2}`, { details: { size1, size2 } });
  }
  const origin: { value?: string } = {};
  const first = await signedRoot(kit, o, size1, kept, origin);
  const second = await signedRoot(kit, o, size2, kept, origin);
  verifyConsistency(size1, size2, p.proof, first.root, second.root);
  return { kind: 'consistency', size1, size2, root1: first.root.toString('base64'), root2: second.root.toString('base64'), proof: p.proof.map((b) => b.toString('base64')), verified: true };
}

export interface RemoteVerifyOptions extends RemoteOptions {
  /** A checkpoints.jsonl kept earlier (its own copy): the served log must agree with it too. */
  readonly checkpoint?: string;
  readonly allowUnchecked?: boolean;
  /** Write the fetched audit.jsonl and checkpoints.jsonl here (for the offline verifier, or to keep). */
  readonly save?: string;
}

/**
 * Fetches every checkpoint, then every record (checkpoints first: a checkpoint signed in
 * between covers no more records than the log then holds), and verifies them here: chain,
 * checkpoints signed by a coordinator certificate of the kit's CA, and a kept --checkpoint
 * file, every checkpoint of which the coordinator must still serve with the same root
 * (CHECKPOINT_WITHHELD, CHECKPOINT_MISMATCH). The tree size is fixed by the first page of
 * records; each page must start where asked and end where its next index says.
 * --save writes the records and the union of the kept and served checkpoints.
 */
export async function remoteVerify(kit: Kit, o: RemoteVerifyOptions): Promise<VerifySummary & { fetched: { records: number; checkpoints: number }; savedTo: string | null }> {
  const kept = o.checkpoint === undefined ? undefined : readKeptCheckpoints(o.checkpoint);
  const served = await fetchCheckpoints(kit, o);
  const servedParsed = served.map((cp, i) => parsedCheckpoint(cp, i));
  const lines: Buffer[] = [];
  let treeSize: number | undefined;
  for (;;) {
    const page = await call<ListRecordsResponse__Output>(kit, o, (c, opts, cb) => c.listRecords({ sinceIndex: String(lines.length), limit: treeSize === undefined ? 0 : Math.min(RECORD_PAGE, treeSize - lines.length) }, opts, cb));
    const first = Number(page.firstIndex);
    treeSize ??= Number(page.treeSize);
    if (first !== lines.length || Number(page.nextIndex) !== first + page.lines.length) {
      throw answerInvalid(`asked for records from ${lines.length}, the coordinator answered ${page.lines.length} from ${page.firstIndex}, next ${page.nextIndex}`, { asked: lines.length, firstIndex: first });
    }
    if (lines.length + page.lines.length > treeSize) throw answerInvalid(`the coordinator served more than the ${treeSize} records its first page stated`, { treeSize });
    if (page.lines.length === 0 && lines.length < treeSize) throw answerInvalid(`the coordinator stated ${treeSize} records and ended after ${lines.length}`, { treeSize, served: lines.length });
    lines.push(...page.lines.map((l) => Buffer.from(l, 'utf8')));
    if (lines.length >= treeSize) break;
  }
  if (kept !== undefined) {
    const servedRoots = new Map(servedParsed.map(({ parsed }) => [parsed.size, parsed.root]));
    for (const [i, k] of kept.parsed.entries()) {
      const root = servedRoots.get(k.size);
      if (root === undefined) {
        throw new CohortError(AuditErrors.CHECKPOINT_WITHHELD, `the checkpoint of tree size ${k.size} you kept (line ${i} of ${o.checkpoint}) is not among the ${served.length} the coordinator serves: its checkpoint file was cut`, { details: { checkpoint: i, treeSize: k.size } });
      }
      if (!root.equals(k.root)) {
        throw new CohortError(AuditErrors.CHECKPOINT_MISMATCH, `the checkpoint of tree size ${k.size} you kept (line ${i} of ${o.checkpoint}) signs another root than the coordinator's of that size: the log forked`, { details: { checkpoint: i, treeSize: k.size } });
      }
    }
  }
  const servedLines = servedParsed.map((c) => c.line);
  const servedSet = new Set(servedLines);
  const union = [...servedLines, ...(kept?.lines ?? []).filter((l) => !servedSet.has(l))];
  // Served and kept, each checked (a kept copy of a served line too: the count says how many were).
  const all = [...servedLines, ...(kept?.lines ?? [])];
  // One log, of the kit's own consortium's coordinator (the verifier ties the origin to the signer's certificate).
  const prefix = `cohort/${kit.consortium}/${WRITER_ROLE}/`;
  for (const [i, l] of all.entries()) {
    const cp = parseCheckpointLine(Buffer.from(l, 'utf8'), i);
    if (!cp.origin.startsWith(prefix)) throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${i} is of the log ${cp.origin}, not of a coordinator of consortium "${kit.consortium}"`, { details: { checkpoint: i, treeSize: cp.size } });
  }
  const { summary } = verifyAuditContent({ lines, checkpoints: all.map((l, i) => parseCheckpointLine(Buffer.from(l, 'utf8'), i)), caPem: kit.caPem, role: WRITER_ROLE });
  if (summary.records > 0 && summary.treeSize === 0 && o.allowUnchecked !== true) {
    throw new CohortError(AuditErrors.LOG_UNCHECKED, `the coordinator served ${summary.records} records and no checkpoint covers any of them; pass --allow-unchecked to accept a chain-only check`, {
      details: { records: summary.records, checkpoints: summary.checkpoints, trust: summary.trust },
    });
  }
  let savedTo: string | null = null;
  if (o.save !== undefined) {
    savedTo = resolve(o.save);
    mkdirSync(savedTo, { recursive: true, mode: 0o700 });
    writeFileSync(join(savedTo, AUDIT_LOG_FILE), lines.map((l) => `${l.toString('utf8')}\n`).join(''), { mode: 0o600 });
    writeFileSync(join(savedTo, CHECKPOINT_FILE), union.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  }
  return { ...summary, fetched: { records: lines.length, checkpoints: served.length }, savedTo };
}

const nonNegative = (value: string, option: string): number => {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n)) throw new CohortError(GeneralErrors.USAGE, `${option} "${value}" is not a non-negative integer`, { details: { option } });
  return n;
};

interface KitOptions {
  kit: string;
  address?: string;
  json?: boolean;
}

const withKit = (c: Command): Command => c.requiredOption('--kit <dir>', 'your kit (auditor)').option('--address <host:port>', 'coordinator address (default: from the kit)').option('--json', 'print the result as JSON');

function checkpointText(cps: readonly RemoteCheckpoint[]): string {
  return cps.map((c) => `tree size ${c.treeSize}, root ${c.root} (${c.origin}), signed by ${c.signer.role} ${c.signer.name}, certificate issued by the consortium CA\n`).join('');
}

/** Adds records, checkpoint and prove to `cohort audit`; `verify --kit` is in audit.ts. */
export function registerRemoteAuditCommands(audit: Command): void {
  withKit(audit.command('records').description('the coordinator\'s audit records from an index on, over the AuditService (auditor role); one JSON line a record. Checked: each record\'s index and its hash-chain link within the page only, not against a signed checkpoint (--json says verified: false); use verify --kit or prove for that'))
    .option('--since <index>', 'the first record index', '0')
    .option('--limit <n>', 'at most this many records (the coordinator caps a page at 10000)', '1000')
    .action(async (opts: KitOptions & { since: string; limit: string }) => {
      await runCommand(
        opts.json,
        () => remoteRecords(loadKit(resolve(opts.kit)), { ...(opts.address === undefined ? {} : { address: opts.address }), since: nonNegative(opts.since, '--since'), limit: nonNegative(opts.limit, '--limit') }),
        (p) => `${p.records.map((r) => JSON.stringify(r)).join('\n')}${p.records.length > 0 ? '\n' : ''}`,
      );
    });
  withKit(audit.command('checkpoint').description('the coordinator\'s latest signed checkpoint (or --all), each signature checked under the CA of your kit'))
    .option('--all', 'every checkpoint, in the order written')
    .action(async (opts: KitOptions & { all?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const cps = await remoteCheckpoints(loadKit(resolve(opts.kit)), { ...(opts.address === undefined ? {} : { address: opts.address }), all: opts.all === true });
          return { checkpoints: cps };
        },
        (r) => checkpointText(r.checkpoints),
      );
    });
  withKit(audit.command('prove [index]').description('an RFC 9162 inclusion proof of record <index> (or with --from, a consistency proof), fetched from the coordinator and verified here against its signed checkpoints'))
    .option('--size <n>', 'inclusion: the tree size of the checkpoint to prove against (default: the latest)')
    .option('--from <size1>', 'consistency: the earlier tree size (a checkpoint you hold)')
    .option('--to <size2>', 'consistency: the later tree size (default: the latest checkpoint)')
    .option('--checkpoint <file>', 'a checkpoints.jsonl you kept: a checkpoint of the same tree size with another root is refused (a fork)')
    .action(async (index: string | undefined, opts: KitOptions & { size?: string; from?: string; to?: string; checkpoint?: string }) => {
      await runCommand(
        opts.json,
        async (): Promise<InclusionResult | ConsistencyResult> => {
          const kit = loadKit(resolve(opts.kit));
          const at = { ...(opts.address === undefined ? {} : { address: opts.address }), ...(opts.checkpoint === undefined ? {} : { checkpoint: opts.checkpoint }) };
          if (opts.from !== undefined) {
            if (index !== undefined || opts.size !== undefined) throw new CohortError(GeneralErrors.USAGE, 'give either <index> [--size] (inclusion) or --from [--to] (consistency)', { details: {} });
            return proveConsistency(kit, { ...at, size1: nonNegative(opts.from, '--from'), ...(opts.to === undefined ? {} : { size2: nonNegative(opts.to, '--to') }) });
          }
          if (index === undefined) throw new CohortError(GeneralErrors.USAGE, 'give <index> (inclusion) or --from (consistency)', { details: {} });
          return proveInclusion(kit, { ...at, index: nonNegative(index, '<index>'), ...(opts.size === undefined ? {} : { size: nonNegative(opts.size, '--size') }) });
        },
        (r) =>
          r.kind === 'inclusion'
            ? `record ${r.index} (${r.record.action}) is in the tree of size ${r.treeSize}, root ${r.root}: inclusion proof of ${r.proof.length} hashes verified against the signed checkpoint\n`
            : `the tree of size ${r.size1} (root ${r.root1}) is a prefix of the tree of size ${r.size2} (root ${r.root2}): consistency proof of ${r.proof.length} hashes verified against the signed checkpoints\n`,
      );
    });
}
