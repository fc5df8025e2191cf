/** `cohort audit verify`: checks an audit log's hash chain and signed Merkle checkpoints, offline. */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AUDIT_LOG_FILE, CHECKPOINT_FILE } from '../../core/audit/audit-log.ts';
import { verifyAuditLog, type VerifySummary } from '../../core/audit/verify.ts';
import { AuditErrors, CohortError } from '../../core/errors/index.ts';
import { runCommand } from '../output.ts';

export interface AuditVerifyOptions {
  readonly checkpoint?: string;
  readonly ca?: string;
}

function readable(path: string, what: string): string {
  if (!existsSync(path)) throw new CohortError(AuditErrors.LOG_UNREADABLE, `${what} ${path} does not exist`, { details: { path } });
  return path;
}

/** Verifies the log at `target` (an audit directory or its audit.jsonl) with its checkpoints, plus `--checkpoint`. */
export function auditVerify(target: string, opts: AuditVerifyOptions): VerifySummary {
  const path = resolve(readable(target, 'audit log'));
  const logFile = statSync(path).isDirectory() ? readable(join(path, AUDIT_LOG_FILE), 'audit log') : path;
  const checkpointFiles = [join(dirname(logFile), CHECKPOINT_FILE)].filter((f) => existsSync(f));
  if (opts.checkpoint !== undefined) checkpointFiles.push(readable(resolve(opts.checkpoint), 'checkpoint file'));
  const caPem = opts.ca === undefined ? undefined : readFileSync(readable(resolve(opts.ca), 'CA certificate'), 'utf8');
  return verifyAuditLog({ logFile, checkpointFiles, ...(caPem === undefined ? {} : { caPem }) }).summary;
}

function human(s: VerifySummary): string {
  const lines = [`audit log intact: ${s.records} records, ${s.checkpoints} checkpoints`];
  if (s.root === null) lines.push('no checkpoint: only the hash chain was checked, nothing proves the log was not cut or rewritten');
  else lines.push(`latest checkpoint: tree size ${s.treeSize}, root ${s.root} (${s.origin})`);
  if (s.signer) lines.push(`signed by ${s.signer.role} ${s.signer.name}, ${s.signer.chainedToCa ? 'certificate issued by the consortium CA' : 'certificate NOT checked against a CA (pass --ca)'}`);
  if (s.uncheckpointed > 0) lines.push(`${s.uncheckpointed} records after the latest checkpoint are vouched for by the hash chain only`);
  return `${lines.join('\n')}\n`;
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log: verify it offline');
  audit
    .command('verify <path>')
    .description('verify an audit log (its directory or audit.jsonl): hash chain, Merkle checkpoints and their signatures')
    .option('--checkpoint <file>', 'another checkpoints.jsonl to check the log against (one you kept earlier)')
    .option('--ca <ca.pem>', 'the consortium CA certificate: checkpoint signers must chain to it')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, opts: AuditVerifyOptions & { json?: boolean }) => {
      await runCommand(opts.json, () => auditVerify(path, opts), human);
    });
}
