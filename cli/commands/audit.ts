/**
 * `cohort audit verify`: checks an audit log's hash chain and signed Merkle checkpoints, offline.
 * `cohort audit export`: its records since a time, as JSON lines or in ECS field names.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AUDIT_LOG_FILE, CHECKPOINT_FILE } from '../../core/audit/audit-log.ts';
import { verifyAuditLog, type VerifySummary } from '../../core/audit/verify.ts';
import { readLineFile } from '../../core/audit/lines.ts';
import { AuditErrors, CohortError } from '../../core/errors/index.ts';
import { EXPORT_FORMATS, exportAudit, type ExportFormat } from '../../core/governance/audit-export.ts';
import { parseTime } from '../../core/governance/time.ts';
import { GeneralErrors } from '../../core/errors/index.ts';
import { reportError, runCommand } from '../output.ts';
import { loadKit } from '../../core/pki/kit.ts';
import { registerRemoteAuditCommands, remoteVerify } from './audit-remote.ts';

export interface AuditVerifyOptions {
  readonly checkpoint?: string;
  readonly ca?: string;
  /** The log's origin (cohort/<consortium>/<role>/<name>/audit) when the verifier knows whose log it must be. */
  readonly origin?: string;
  /** The role the checkpoints' signer must have; the coordinator's by default. */
  readonly role?: string;
  /** Accept a log whose records no checkpoint covers (the chain alone vouches for them). */
  readonly allowUnchecked?: boolean;
}

/** The coordinator's log is the one `cohort audit verify` checks unless told otherwise. */
export const DEFAULT_SIGNER_ROLE = 'coordinator';

function readable(path: string, what: string): string {
  if (!existsSync(path)) throw new CohortError(AuditErrors.LOG_UNREADABLE, `${what} ${path} does not exist`, { details: { path } });
  return path;
}

/** Verifies the log at `target` (an audit directory or its audit.jsonl) with its checkpoints, plus `--checkpoint`. */
export function auditVerify(target: string, opts: AuditVerifyOptions): VerifySummary {
  return verifiedLines(target, opts).summary;
}

/** auditVerify, and the lines it verified (read once: what is verified is what the caller uses). */
function verifiedLines(target: string, opts: AuditVerifyOptions): { summary: VerifySummary; lines: readonly Buffer[] } {
  // Every site's log verifies under the CA as "a site's log": only its origin says which site's.
  if (opts.role === 'site' && opts.origin === undefined) {
    throw new CohortError(GeneralErrors.USAGE, '--role site needs --origin cohort/<consortium>/site/<site name>/audit: without it, any site\'s log (another site\'s copied over this one) would verify', { details: { role: 'site' } });
  }
  const path = resolve(readable(target, 'audit log'));
  const logFile = statSync(path).isDirectory() ? readable(join(path, AUDIT_LOG_FILE), 'audit log') : path;
  const content = readLineFile(logFile);
  if (content.torn) {
    throw new CohortError(AuditErrors.LOG_TORN, `record ${content.lines.length}: the last line (${content.torn.bytes.length} bytes at offset ${content.torn.offset}) has no newline: an append was cut off`, { details: { index: content.lines.length, offset: content.torn.offset, bytes: content.torn.bytes.length } });
  }
  const checkpointFiles = [join(dirname(logFile), CHECKPOINT_FILE)].filter((f) => existsSync(f));
  if (opts.checkpoint !== undefined) checkpointFiles.push(readable(resolve(opts.checkpoint), 'checkpoint file'));
  const caPem = opts.ca === undefined ? undefined : readFileSync(readable(resolve(opts.ca), 'CA certificate'), 'utf8');
  const summary = verifyAuditLog({
    logFile,
    lines: content.lines,
    checkpointFiles,
    role: opts.role ?? DEFAULT_SIGNER_ROLE,
    ...(caPem === undefined ? {} : { caPem }),
    ...(opts.origin === undefined ? {} : { origin: opts.origin }),
  }).summary;
  if (summary.records > 0 && summary.treeSize === 0 && opts.allowUnchecked !== true) {
    throw new CohortError(AuditErrors.LOG_UNCHECKED, `${logFile}: ${summary.records} records and no checkpoint covers any of them (trust: none); only the hash chain was checked, and anyone who can write the file can rewrite it whole. Pass --allow-unchecked to accept that`, {
      details: { records: summary.records, checkpoints: summary.checkpoints, trust: summary.trust },
    });
  }
  return { summary, lines: content.lines };
}

const TRUST_TEXT: Readonly<Record<VerifySummary['trust'], string>> = {
  none: 'trust: none (no checkpoint: only the hash chain was checked, nothing proves the log was not cut or rewritten)',
  'self-consistent': 'trust: self-consistent (the checkpoints agree with the log and with each other, but no --ca was given: anyone who can write the files can re-sign them with a key of their own)',
  ca: 'trust: ca (every checkpoint is signed by a certificate the consortium CA issued to the log\'s writer)',
};

function human(s: VerifySummary): string {
  const lines = [`audit log intact: ${s.records} records, ${s.checkpoints} checkpoints`, TRUST_TEXT[s.trust]];
  if (s.root !== null) lines.push(`latest checkpoint: tree size ${s.treeSize}, root ${s.root} (${s.origin})`);
  if (s.signer) lines.push(`signed by ${s.signer.role} ${s.signer.name}, ${s.signer.chainedToCa ? 'certificate issued by the consortium CA' : 'certificate NOT checked against a CA (pass --ca)'}`);
  for (const r of s.checkpointRepairs) lines.push(`WARNING: record ${r.index} is the writer's repair of checkpoints.jsonl: a checkpoint line was cut (a crash while signing, or someone cut the file); compare with a checkpoints.jsonl kept elsewhere (--checkpoint)`);
  if (s.uncheckpointed > 0) lines.push(`${s.uncheckpointed} records after the latest checkpoint are vouched for by the hash chain only`);
  return `${lines.join('\n')}\n`;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: verify it offline, or read and verify the coordinator\'s remotely (--kit, auditor role)');
  audit
    .command('verify [path]')
    .description('verify an audit log (its directory or audit.jsonl): hash chain, Merkle checkpoints and their signatures; with --kit instead of a path, the coordinator\'s log fetched over the AuditService (auditor role) and verified here')
    .option('--kit <dir>', 'your kit (auditor): fetch the coordinator\'s log and checkpoints and verify them here, under the kit\'s CA')
    .option('--address <host:port>', 'with --kit: coordinator address (default: from the kit)')
    .option('--save <dir>', 'with --kit: also write the fetched audit.jsonl and checkpoints.jsonl into this directory')
    .option('--checkpoint <file>', 'another checkpoints.jsonl to check the log against (one you kept earlier)')
    .option('--ca <ca.pem>', 'the consortium CA certificate: checkpoint signers must chain to it')
    .option('--origin <origin>', 'the log\'s origin, cohort/<consortium>/<role>/<name>/audit: checkpoints of any other log are refused (required with --role site)')
    .option('--role <role>', 'the role the checkpoints\' signer must have', DEFAULT_SIGNER_ROLE)
    .option('--allow-unchecked', 'exit 0 even when no checkpoint covers any record (the hash chain alone vouches for them)')
    .option('--json', 'print the result as JSON')
    .action(async (path: string | undefined, opts: AuditVerifyOptions & { json?: boolean; kit?: string; address?: string; save?: string }) => {
      await runCommand(
        opts.json,
        async () => {
          if ((path === undefined) === (opts.kit === undefined)) throw new CohortError(GeneralErrors.USAGE, 'give either <path> (a log on this machine) or --kit (the coordinator\'s log, fetched)', { details: {} });
          if (opts.kit === undefined) return auditVerify(path!, opts);
          if (opts.ca !== undefined || opts.origin !== undefined || opts.role !== DEFAULT_SIGNER_ROLE) throw new CohortError(GeneralErrors.USAGE, 'with --kit the CA is the kit\'s and the signer the coordinator: --ca, --origin and --role do not apply', { details: {} });
          return remoteVerify(loadKit(resolve(opts.kit)), {
            ...(opts.address === undefined ? {} : { address: opts.address }),
            ...(opts.checkpoint === undefined ? {} : { checkpoint: opts.checkpoint }),
            ...(opts.save === undefined ? {} : { save: opts.save }),
            allowUnchecked: opts.allowUnchecked === true,
          });
        },
        human,
      );
    });
  registerRemoteAuditCommands(audit);
  audit
    .command('export <path>')
    .description('print the records since a time, one JSON object a line: as written (jsonl) or in Elastic Common Schema field names (ecs), for Splunk or Elastic; the log is verified first')
    .requiredOption('--since <time>', 'ISO 8601 date or date-time (2026-01-01, 2026-01-01T08:00:00Z), or a duration back from now (7d, 12h, 30m)')
    .option('--format <format>', `one of ${EXPORT_FORMATS.join(', ')}`, 'jsonl')
    .option('--checkpoint <file>', 'another checkpoints.jsonl to verify the log against')
    .option('--ca <ca.pem>', 'the consortium CA certificate: checkpoint signers must chain to it')
    .option('--role <role>', "the role the checkpoints' signer must have", DEFAULT_SIGNER_ROLE)
    .option('--allow-unchecked', 'export even when no checkpoint covers any record (the provisioner\'s log)')
    .option('--include-tail', 'also export the records after the last checkpoint (only the hash chain vouches for them); ECS marks them cohort.checkpointed false')
    .action((path: string, opts: AuditVerifyOptions & { since: string; format: string; includeTail?: boolean }) => {
      try {
        if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) {
          throw new CohortError(GeneralErrors.USAGE, `--format "${opts.format}" is not one of ${EXPORT_FORMATS.join(', ')}`, { details: { option: '--format' } });
        }
        const since = parseTime(opts.since, '--since');
        // Nothing leaves a log that does not verify; what leaves is the bytes verified (one read).
        const { summary, lines } = verifiedLines(path, opts);
        // Records after the last checkpoint only the chain vouches for: withheld unless asked for (all of them when no checkpoint covers any and --allow-unchecked accepted that).
        const covered = summary.treeSize === 0 ? lines.length : summary.treeSize;
        const tail = lines.length - covered;
        const r = exportAudit(lines, since, opts.format as ExportFormat, covered, opts.includeTail === true);
        const signer = summary.signer === null ? '' : `, ${summary.treeSize} covered by checkpoints signed by ${summary.signer.role} ${summary.signer.name} (${summary.signer.chainedToCa ? 'CA-issued' : 'not checked against a CA'})`;
        const withheld = tail === 0 ? '' : opts.includeTail === true ? `; ${tail} record${tail === 1 ? '' : 's'} after the last checkpoint exported (vouched for by the hash chain only; ECS cohort.checkpointed false)` : `; ${tail} record${tail === 1 ? '' : 's'} after the last checkpoint withheld (vouched for by the hash chain only; --include-tail exports ${tail === 1 ? 'it' : 'them'})`;
        process.stderr.write(`audit export: trust ${summary.trust}: ${summary.records} records${signer}${withheld}\n`);
        if (r.lines.length > 0) process.stdout.write(`${r.lines.join('\n')}\n`);
      } catch (e) {
        process.exitCode = reportError(e, true);
      }
    });
}
