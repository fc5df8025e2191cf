/**
 * `cohort access review`: the periodic access audit, read from the provisioner's record and
 * the coordinator's audit log (docs/governance.md#access-review).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { accessReview, type AccessReview } from '../../core/governance/access-review.ts';
import { parseDays, parseTime } from '../../core/governance/time.ts';
import { runCommand } from '../output.ts';

interface ReviewFlags {
  out: string;
  audit?: string;
  unusedDays: string;
  expiringDays: string;
  now?: string;
  json?: boolean;
}

function human(r: AccessReview): string {
  const lines = [
    `access review of consortium ${r.consortium} at ${r.reviewedAt} (unused: ${r.thresholds.unusedDays} days, expiring: ${r.thresholds.expiringDays} days; audit log: ${r.auditLog ?? 'none given, no last-seen times'})`,
    'certificates:',
    ...r.certificates.map(
      (c) =>
        `  ${c.name.padEnd(20)} ${c.role.padEnd(15)} ${c.serial.slice(0, 12)}  ${c.status.padEnd(7)} until ${c.notAfter.slice(0, 10)}  last seen ${c.lastSeen ?? 'never'}` +
        (c.revokedAt === null ? '' : `  revoked ${c.revokedAt} (${c.revocationReason ?? 'unspecified'})`) +
        (c.flags.length === 0 ? '' : `  [${c.flags.join(', ')}]`),
    ),
    'agreements:',
    ...(r.agreements.length === 0 ? ['  (none on record)'] : r.agreements.map((a) => `  ${a.name.padEnd(20)} ${a.role.padEnd(15)} ${a.kind ?? '-'} ${a.reference ?? '-'} ${a.signedOn ?? ''}..${a.expires ?? ''} ${a.state}${a.flags.length === 0 ? '' : `  [${a.flags.join(', ')}]`}`)),
    `${r.flagged} flagged`,
  ];
  return `${lines.join('\n')}\n`;
}

export function registerAccessCommands(program: Command): void {
  const access = program.command('access').description('operator, auditor: review who holds access, read from the record');
  access
    .command('review')
    .description('every certificate issued: role, validity, last seen (audit log), revoked or not; flags; agreements that lapse')
    .requiredOption('--out <dir>', 'the provisioner directory (`cohort provision init --out`)')
    .option('--audit <path>', "the coordinator's audit directory (<state dir>/audit) or audit.jsonl, for last-seen times")
    .option('--unused-days <n>', 'flag an active certificate not seen for this many days', '90')
    .option('--expiring-days <n>', 'flag a certificate or agreement ending within this many days', '30')
    .option('--now <time>', 'review as of this time (ISO 8601); default now')
    .option('--json', 'print one JSON object')
    .action(async (opts: ReviewFlags) => {
      await runCommand(
        opts.json,
        () =>
          accessReview({
            provisionerDir: resolve(opts.out),
            ...(opts.audit === undefined ? {} : { audit: resolve(opts.audit) }),
            unusedDays: parseDays(opts.unusedDays, '--unused-days'),
            expiringDays: parseDays(opts.expiringDays, '--expiring-days'),
            ...(opts.now === undefined ? {} : { now: parseTime(opts.now, '--now') }),
          }),
        human,
      );
    });
}
