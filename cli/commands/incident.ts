/**
 * `cohort incident list | show <id>`: incidents raised by rules over the coordinator's audit
 * log, each with its time of discovery and the date 60 days later by which the Breach
 * Notification Rule asks for notice (docs/governance.md#incidents). Each invocation scans the
 * log first and records what it finds for the first time (running --hook for each).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findIncident, readIncidents, scanIncidents, type Incident, type ScanResult } from '../../core/governance/incidents.ts';
import { parseDays } from '../../core/governance/time.ts';
import { AuditErrors, CohortError, GovernanceErrors } from '../../core/errors/index.ts';
import { runCommand } from '../output.ts';

interface IncidentFlags {
  audit: string;
  incidents?: string;
  ca?: string;
  hook?: string;
  threshold: string;
  windowMinutes: string;
  json?: boolean;
}

/** `<state dir>/incidents` beside `<state dir>/audit` unless --incidents says otherwise. */
function incidentsDirOf(audit: string, flag: string | undefined): string {
  if (flag !== undefined) return resolve(flag);
  const auditDir = existsSync(audit) && statSync(audit).isDirectory() ? audit : dirname(audit);
  return join(dirname(resolve(auditDir)), 'incidents');
}

function scan(opts: IncidentFlags): ScanResult {
  const audit = resolve(opts.audit);
  let caPem: string | undefined;
  if (opts.ca !== undefined) {
    if (!existsSync(opts.ca)) throw new CohortError(AuditErrors.LOG_UNREADABLE, `CA certificate ${opts.ca} does not exist`, { details: { path: opts.ca } });
    caPem = readFileSync(opts.ca, 'utf8');
  }
  return scanIncidents(audit, {
    incidentsDir: incidentsDirOf(audit, opts.incidents),
    refusalThreshold: Math.max(1, parseDays(opts.threshold, '--threshold')),
    refusalWindowMs: parseDays(opts.windowMinutes, '--window-minutes') * 60_000,
    ...(caPem === undefined ? {} : { caPem }),
    ...(opts.hook === undefined ? {} : { hook: opts.hook }),
  });
}

const line = (i: Incident): string => `${i.id}  ${i.rule.padEnd(26)} discovered ${i.discoveredAt}  notify by ${i.notifyBy}  ${i.summary}`;

function withScanOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--audit <path>', "the coordinator's audit directory (<state dir>/audit) or audit.jsonl")
    .option('--incidents <dir>', 'where incidents.jsonl is kept (default: <state dir>/incidents, beside the audit directory)')
    .option('--ca <ca.crt>', 'the consortium CA: checkpoint signers must chain to it')
    .option('--hook <command>', 'shell command run once per newly found incident (incident JSON on stdin; COHORT_INCIDENT_ID, COHORT_INCIDENT_RULE)')
    .option('--threshold <n>', 'refused calls from one identity that make an incident', '5')
    .option('--window-minutes <n>', 'within this many minutes', '10')
    .option('--json', 'print one JSON object');
}

export function registerIncidentCommands(program: Command): void {
  const incident = program.command('incident').description('operator, auditor: incidents raised from the audit log');
  withScanOptions(incident.command('list').description('scan the audit log, record new incidents (running --hook), list them all')).action(async (opts: IncidentFlags) => {
    let failed = 0;
    await runCommand(
      opts.json,
      () => {
        const r = scan(opts);
        failed = r.hooks.filter((h) => h.exitCode !== 0).length;
        return r;
      },
      (r) => `${r.incidents.length} incident${r.incidents.length === 1 ? '' : 's'} (${r.discovered.length} new)\n${r.incidents.map(line).join('\n')}${r.incidents.length ? '\n' : ''}${r.hooks.map((h) => `hook for ${h.id}: ${h.exitCode === 0 ? 'delivered' : `FAILED (exit ${h.exitCode ?? 'timeout'}), retried at the next scan`}\n`).join('')}`,
    );
    if (failed > 0) {
      // The list is printed; the exit status says the hook did not take every incident.
      process.stderr.write(`${JSON.stringify({ error: { code: GovernanceErrors.HOOK_FAILED.code, message: `the hook failed for ${failed} incident${failed === 1 ? '' : 's'}; they stay undelivered and the next scan with --hook runs it again` } })}\n`);
      process.exitCode = 1;
    }
  });
  withScanOptions(incident.command('show <id>').description('one incident: rule, records, discovery and the notification date')).action(async (id: string, opts: IncidentFlags) => {
    await runCommand(
      opts.json,
      // Read-only: the record as the last scan left it (no scan, no hook).
      () => findIncident(readIncidents(incidentsDirOf(resolve(opts.audit), opts.incidents)), id),
      (i) =>
        `${line(i)}\n  actor: ${i.actor === null ? '-' : `${i.actor.role} ${i.actor.name}`}\n  records: ${i.records.join(', ') || '-'} (${i.firstSeen} .. ${i.lastSeen})\n` +
        `  details: ${JSON.stringify(i.details)}\n  the Breach Notification Rule asks for notice no later than ${i.notifyBy} (60 days after discovery) if this is a breach of unsecured PHI\n`,
    );
  });
}
