/**
 * `cohort audit records | checkpoint | prove | verify --kit`: the auditor reads the
 * coordinator's audit log over the AuditService and checks it here, with the same verifier
 * and Merkle code the offline `cohort audit verify` uses, under the consortium CA from the
 * auditor's own kit. Nothing the coordinator sends is taken on its word: records are checked
 * against signed checkpoints, proofs against signed roots.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUDIT_LOG_FILE, CHECKPOINT_FILE } from '../../core/audit/audit-log.ts';
import { checkpointVerifier, parseCheckpointLine, type ParsedCheckpoint } from '../../core/audit/checkpoint.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { EMPTY_ROOT, leafHash, verifyConsistency, verifyInclusion } from '../../core/audit/merkle.ts';
import { parseRecord, type AuditRecord } from '../../core/audit/record.ts';
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

/**
 * The checkpoint of `size` among `served`, its signature checked under the kit's CA and its
 * signer a coordinator; size 0 is the empty tree (no checkpoint needed).
 */
function signedRoot(kit: Kit, served: readonly AuditCheckpoint__Output[], size: number): { root: Buffer; origin: string | null } {
  if (size === 0) return { root: EMPTY_ROOT, origin: null };
  const verify = checkpointVerifier(kit.caPem);
  const at = served.findIndex((c) => Number(c.treeSize) === size);
  if (at === -1) throw new CohortError(AuditErrors.NO_CHECKPOINT, `the coordinator has no signed checkpoint of tree size ${size}; prove against one it signed (cohort audit checkpoint --all)`, { details: { treeSize: size } });
  const { parsed } = parsedCheckpoint(served[at]!, at);
  // The note's own size, not the size the server stated beside it.
  if (parsed.size !== size) throw new CohortError(AuditErrors.CHECKPOINT_MISMATCH, `checkpoint ${at} states tree size ${parsed.size}, served as ${size}`, { details: { checkpoint: at, treeSize: size } });
  const signer = verify(parsed, at);
  if (signer.identity.role !== WRITER_ROLE) {
    throw new CohortError(AuditErrors.CHECKPOINT_SIGNER, `checkpoint ${at} is signed by ${signer.identity.role} "${signer.identity.name}", not by the coordinator`, { details: { checkpoint: at, role: signer.identity.role } });
  }
  return { root: parsed.root, origin: parsed.origin };
}

export interface RecordsPage {
  readonly firstIndex: number;
  readonly nextIndex: number;
  readonly treeSize: number;
  readonly records: readonly AuditRecord[];
}

/** One page of records, each line parsed (a line that is not a record is an error naming its index). */
export async function remoteRecords(kit: Kit, o: RemoteOptions & { since?: number; limit?: number }): Promise<RecordsPage> {
  const page = await call<ListRecordsResponse__Output>(kit, o, (c, opts, cb) => c.listRecords({ sinceIndex: String(o.since ?? 0), limit: o.limit ?? 0 }, opts, cb));
  const first = Number(page.firstIndex);
  const records = page.lines.map((l, i) => {
    const r = parseRecord(Buffer.from(l, 'utf8'));
    if ('problem' in r) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${first + i}: ${r.problem}`, { details: { index: first + i } });
    return r.record;
  });
  return { firstIndex: first, nextIndex: Number(page.nextIndex), treeSize: Number(page.treeSize), records };
}

export interface RemoteCheckpoint {
  readonly treeSize: number;
  readonly root: string;
  readonly origin: string;
  readonly signer: { readonly name: string; readonly role: string; readonly chainedToCa: boolean };
  readonly note: string;
}

/** The latest checkpoint (or all of them), each signature checked under the kit's CA. */
export async function remoteCheckpoints(kit: Kit, o: RemoteOptions & { all?: boolean }): Promise<RemoteCheckpoint[]> {
  const served = o.all === true
    ? (await call<ListCheckpointsResponse__Output>(kit, o, (c, opts, cb) => c.listCheckpoints({}, opts, cb))).checkpoints
    : [await call<AuditCheckpoint__Output>(kit, o, (c, opts, cb) => c.getLatestCheckpoint({}, opts, cb))];
  const verify = checkpointVerifier(kit.caPem);
  return served.map((cp, i) => {
    const { parsed } = parsedCheckpoint(cp, i);
    const s = verify(parsed, i);
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
export async function proveInclusion(kit: Kit, o: RemoteOptions & { index: number; size?: number }): Promise<InclusionResult> {
  const p = await call<InclusionProof__Output>(kit, o, (c, opts, cb) => c.getInclusionProof({ index: String(o.index), treeSize: String(o.size ?? 0) }, opts, cb));
  const served = (await call<ListCheckpointsResponse__Output>(kit, o, (c, opts, cb) => c.listCheckpoints({}, opts, cb))).checkpoints;
  const size = Number(p.treeSize);
  if (Number(p.index) !== o.index || (o.size !== undefined && o.size !== 0 && size !== o.size)) {
    throw new CohortError(AuditErrors.PROOF_INVALID, `asked for record ${o.index} of ${o.size ?? 'the latest'}, the coordinator answered for record ${p.index} of ${size}`, { details: { index: o.index, treeSize: size } });
  }
  const { root, origin } = signedRoot(kit, served, size);
  const line = Buffer.from(p.line, 'utf8');
  verifyInclusion(o.index, size, leafHash(line), p.proof, root);
  const parsed = parseRecord(line);
  if ('problem' in parsed) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${o.index}: ${parsed.problem}`, { details: { index: o.index } });
  return { kind: 'inclusion', index: o.index, treeSize: size, root: root.toString('base64'), origin, record: parsed.record, proof: p.proof.map((b) => b.toString('base64')), verified: true };
}

/** Fetches a consistency proof from `size1` to `size2` (0: the latest) and verifies it here against both signed roots. */
export async function proveConsistency(kit: Kit, o: RemoteOptions & { size1: number; size2?: number }): Promise<ConsistencyResult> {
  const p = await call<ConsistencyProof__Output>(kit, o, (c, opts, cb) => c.getConsistencyProof({ size1: String(o.size1), size2: String(o.size2 ?? 0) }, opts, cb));
  const served = (await call<ListCheckpointsResponse__Output>(kit, o, (c, opts, cb) => c.listCheckpoints({}, opts, cb))).checkpoints;
  const size1 = Number(p.size1);
  const size2 = Number(p.size2);
  if (size1 !== o.size1 || (o.size2 !== undefined && o.size2 !== 0 && size2 !== o.size2)) {
    throw new CohortError(AuditErrors.PROOF_INVALID, `asked for ${o.size1} to ${o.size2 ?? 'the latest'}, the coordinator answered for ${size1} to ${size2}`, { details: { size1, size2 } });
  }
  const first = signedRoot(kit, served, size1);
  const second = signedRoot(kit, served, size2);
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
 * checkpoints signed by a coordinator certificate of the kit's CA, and a kept --checkpoint file.
 */
export async function remoteVerify(kit: Kit, o: RemoteVerifyOptions): Promise<VerifySummary & { fetched: { records: number; checkpoints: number }; savedTo: string | null }> {
  const served = (await call<ListCheckpointsResponse__Output>(kit, o, (c, opts, cb) => c.listCheckpoints({}, opts, cb))).checkpoints;
  const checkpointLines = served.map((cp, i) => parsedCheckpoint(cp, i).line);
  const lines: Buffer[] = [];
  for (;;) {
    const page = await call<ListRecordsResponse__Output>(kit, o, (c, opts, cb) => c.listRecords({ sinceIndex: String(lines.length), limit: 0 }, opts, cb));
    if (Number(page.firstIndex) !== lines.length) throw new CohortError(AuditErrors.RECORD_INSERTED, `asked for records from ${lines.length}, the coordinator answered from ${page.firstIndex}`, { details: { index: lines.length } });
    lines.push(...page.lines.map((l) => Buffer.from(l, 'utf8')));
    if (page.lines.length === 0 || lines.length >= Number(page.treeSize)) break;
  }
  const kept = o.checkpoint === undefined ? [] : readLineFile(resolve(o.checkpoint)).lines.map((l) => l.toString('utf8'));
  if (o.checkpoint !== undefined && kept.length === 0) throw new CohortError(AuditErrors.LOG_UNREADABLE, `checkpoint file ${o.checkpoint} holds no checkpoint`, { details: { path: o.checkpoint } });
  const all = [...checkpointLines, ...kept];
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
    writeFileSync(join(savedTo, CHECKPOINT_FILE), checkpointLines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
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
  withKit(audit.command('records').description('the coordinator\'s audit records from an index on, over the AuditService (auditor role); one JSON line a record'))
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
    .action(async (index: string | undefined, opts: KitOptions & { size?: string; from?: string; to?: string }) => {
      await runCommand(
        opts.json,
        async (): Promise<InclusionResult | ConsistencyResult> => {
          const kit = loadKit(resolve(opts.kit));
          const at = opts.address === undefined ? {} : { address: opts.address };
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
