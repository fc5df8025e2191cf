/**
 * `cohort site privacy --config <site.yaml> [--json]`: hospital IT reads the site's
 * privacy ledger: what each run spent here (epsilon, delta, rounds, last update) and what a
 * running run holds reserved, the totals by basic composition, and whether the hash chain verifies (exit status 1
 * when it does not, after printing).
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { isCohortError, PrivacyErrors } from '../../core/errors/index.ts';
import { sumSpends } from '../../core/privacy/run-budget.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { summarizeRuns, type RunLedgerSummary } from '../../site-agent/privacy/ledger-summary.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { recordCountsLabel } from '../../site-agent/privacy/release-policy.ts';
import { loadSiteKey } from '../../site-agent/site-key.ts';
import { EXIT_FAILURE, runCommand } from '../output.ts';
import { fmt } from '../../site-agent/privacy/budget-check.ts';

/** What the command reports; with --json, unbounded epsilons print as null (JSON has no Infinity). */
export interface SitePrivacyReport {
  readonly ledger: string;
  readonly verified: boolean;
  /** Why the chain does not verify; absent when it does. */
  readonly problem?: string;
  readonly runs: readonly RunLedgerSummary[];
  readonly total: { readonly epsilon: number; readonly delta: number };
  /** What the runs hold against the caps: the total, with each running run's reservation (its plan) in place of its spend when larger. */
  readonly committed: { readonly epsilon: number; readonly delta: number };
  /** The site policy's caps (policy.privacy); null: no cap. */
  readonly budget: { readonly maxEpsilon: number | null; readonly maxDelta: number | null };
  /** What else leaves the site, no epsilon covering it (policy.release): `recordCounts` as printed (`rounded to 10`). */
  readonly release: { readonly recordCounts: string; readonly siteMetrics: boolean };
}

/** Reads the ledger of the site `configPath` describes. A broken chain is reported, not thrown; an unreadable file throws. */
export function readSitePrivacy(configPath: string): SitePrivacyReport {
  const config = loadSiteConfig(resolve(configPath));
  const key = loadSiteKey(config);
  const ledger = PrivacyLedger.open(privacyLedgerDir(config.dataDir), key, { verify: false });
  let problem: string | undefined;
  try {
    ledger.verify();
  } catch (e) {
    if (!isCohortError(e, PrivacyErrors.LEDGER_TAMPERED)) throw e;
    problem = `${e.code}: ${e.message}`;
  }
  const runs = summarizeRuns(ledger.entries());
  const { maxEpsilon, maxDelta } = config.policy.privacy;
  return {
    ledger: ledger.path,
    verified: problem === undefined,
    ...(problem === undefined ? {} : { problem }),
    runs,
    total: sumSpends(runs),
    committed: ledger.totalCommitted(),
    budget: { maxEpsilon, maxDelta },
    release: { recordCounts: recordCountsLabel(config.policy.release), siteMetrics: config.policy.release.siteMetrics },
  };
}

function human(report: SitePrivacyReport): string {
  const lines = [`privacy ledger ${report.ledger}`, `chain verified: ${report.verified ? 'yes' : `NO (${report.problem ?? ''})`}`];
  if (report.runs.length === 0) lines.push('no runs recorded');
  for (const r of report.runs) {
    lines.push(
      `run ${r.runId}: epsilon ${fmt(r.epsilon)} (record ${fmt(r.recordEpsilon)}, site ${fmt(r.siteEpsilon)}), delta ${fmt(r.delta)}, ` +
        `${r.rounds} rounds, ${r.steps} steps, ${r.stopped ? 'stopped' : 'in progress'}` +
        `${r.reserved && !r.stopped ? `, reserved epsilon ${fmt(r.reserved.epsilon)}` : ''}, last update ${r.lastUpdate}`,
    );
  }
  lines.push(`total: epsilon ${fmt(report.total.epsilon)}, delta ${fmt(report.total.delta)} (sums over runs)`);
  const { committed } = report;
  if (committed.epsilon !== report.total.epsilon || committed.delta !== report.total.delta) {
    lines.push(`committed: epsilon ${fmt(committed.epsilon)}, delta ${fmt(committed.delta)} (spent, with running runs' reservations)`);
  }
  const cap = (max: number | null, held: number): string =>
    max === null ? 'no cap' : `maximum ${fmt(max)}, ${fmt(Math.max(0, max - held))} remaining`;
  lines.push(`budget: epsilon ${cap(report.budget.maxEpsilon, committed.epsilon)}; delta ${cap(report.budget.maxDelta, committed.delta)}`);
  lines.push(
    `released without noise (policy.release): record counts ${report.release.recordCounts}; own metrics ${report.release.siteMetrics ? 'sent to the coordinator' : 'kept at the site'}; consortium metrics only as a sum of at least minSites sites`,
  );
  return `${lines.join('\n')}\n`;
}

/** The `privacy` subcommand of `cohort site`; the caller adds it with `site.addCommand(sitePrivacyCommand())`. */
export function sitePrivacyCommand(): Command {
  return new Command('privacy')
    .description("show the site's privacy ledger: what each run spent here, the totals, and whether the hash chain verifies")
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      let verified = true;
      await runCommand(
        opts.json,
        () => {
          const report = readSitePrivacy(opts.config);
          verified = report.verified;
          return report;
        },
        human,
      );
      // The report is printed either way; a broken chain still fails the command for scripts.
      if (!verified) process.exitCode = EXIT_FAILURE;
    });
}
