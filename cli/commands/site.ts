/** `cohort site init|check|start`: hospital IT installs and runs the site agent. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { BACKENDS, loadSiteConfig, type BackendChoice } from '../../site-agent/site-config.ts';
import { reportError, runCommand } from '../output.ts';
import type { SiteCheckResult } from '../../site-agent/site-check.ts';
import { sitePrivacyCommand } from './site-privacy.ts';
import { siteFingerprintCommand, siteKeyCeremonyCommand } from './site-key-ceremony.ts';

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description('hospital IT: install and run the site agent');

  site
    .command('init')
    .description('create the site data directory and its owner-only at-rest key file')
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const { initSiteStorage } = await import('../../site-agent/site-init.ts');
          const config = loadSiteConfig(resolve(opts.config));
          initSiteStorage(config);
          const pkcs11 = config.keyStore?.pkcs11;
          return { dataDir: config.dataDir, keyFile: config.keyFile, ...(pkcs11 === undefined ? {} : { wrappedBy: { keyLabel: pkcs11.keyLabel } }) };
        },
        (r) => `site data directory ${r.dataDir}\nat-rest key ${r.keyFile} (mode 600${r.wrappedBy ? `, wrapped by HSM key "${r.wrappedBy.keyLabel}"` : ''})\n`,
      );
    });

  site
    .command('check')
    .description('check the extracts before joining: per dataset its columns, types, missing values, suspected identifiers, and what --spec would read (nothing is sent anywhere)')
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--spec <spec>', 'a model spec (YAML or JSON): also show what a run of it would read and whether the PHI guard would refuse it')
    .option('--json', 'print { datasets: [{ dataset, file, rows, columns, unmappedColumns, problems, specRead?, dicom? }] }')
    .action(async (opts: { config: string; spec?: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const { checkSite } = await import('../../site-agent/site-check.ts');
          const { loadSpecFile } = await import('../../models/validate-spec.ts');
          const config = loadSiteConfig(resolve(opts.config));
          return checkSite(config, opts.spec === undefined ? undefined : { path: opts.spec, spec: loadSpecFile(resolve(opts.spec)) });
        },
        humanSiteCheck,
      );
    });

  site.addCommand(siteKeyCeremonyCommand());
  site.addCommand(siteFingerprintCommand());

  site.addCommand(sitePrivacyCommand());

  site
    .command('start')
    .description('start the site agent: dials out to the coordinator, trains on local data')
    .requiredOption('--kit <dir>', 'the site kit written by `cohort provision`')
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--backend <name>', `force a training backend (${BACKENDS.join(', ')})`)
    .option('--address <host:port>', 'coordinator address (default: from the kit)')
    .option('--log-file <path>', 'write JSON logs to this file instead of stderr')
    .action(async (opts: { kit: string; config: string; backend?: string; address?: string; logFile?: string }) => {
      const { createLogger } = await import('../../core/logging.ts');
      const { SiteAgent } = await import('../../site-agent/agent.ts');
      const { RunStateStore } = await import('../../site-agent/run-state.ts');
      const { selectBackend } = await import('../../site-agent/training/backend.ts');
      const { loadSiteKey } = await import('../../site-agent/site-key.ts');
      const log = createLogger('site-agent', { destination: opts.logFile });
      try {
        const { loadSiteKitAndConfig, openSiteLedger } = await import('../../site-agent/site-init.ts');
        const { kit, config } = loadSiteKitAndConfig(resolve(opts.kit), resolve(opts.config));
        const requested = (opts.backend ?? config.device) as BackendChoice;
        if (!BACKENDS.includes(requested)) throw new CohortError(GeneralErrors.USAGE, `--backend must be one of ${BACKENDS.join(', ')}, got "${requested}"`);
        // A forced backend that cannot load stops the agent here, not at the first run; `auto` is chosen per run by model family.
        if (requested !== 'auto') await selectBackend(requested, 'logistic-regression');
        const key = loadSiteKey(config);
        const { HeKeyStore } = await import('../../site-agent/he-keys.ts');
        const { SiteAudit } = await import('../../site-agent/site-audit.ts');
        // The site's audit log, checkpoints signed with its certificate key (COHORT_E_AUDIT_WRITER_* when it does not verify).
        const audit = SiteAudit.open(config.dataDir, kit);
        const ledger = openSiteLedger(config, key);
        // A ledger behind the audit log's last privacy.spend stops the agent (COHORT_E_AUDIT_LEDGER_ROLLBACK).
        audit.checkLedger(ledger.entries());
        const agent = new SiteAgent({
          audit,
          kit,
          config,
          states: new RunStateStore(config.dataDir, key),
          heKeys: new HeKeyStore(config.dataDir, key),
          ledger,
          backend: requested,
          log,
          address: opts.address,
        });
        const shutdown = (): void => {
          agent.stop();
        };
        process.on('SIGTERM', shutdown);
        process.on('SIGINT', shutdown);
        await agent.run();
        // A clean stop: site.stop and a last checkpoint (a task still running is cut off by the exit, as before).
        audit.close();
        process.exit(0);
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    });
}

/** `site check` for a terminal: one block per dataset. */
export function humanSiteCheck(r: SiteCheckResult): string {
  const lines: string[] = [];
  for (const d of r.datasets) {
    lines.push(`dataset ${d.dataset}: ${d.file}${d.rows === undefined ? '' : `, ${d.rows} rows`}`);
    for (const p of d.problems) lines.push(`  problem ${p.code}: ${p.message}`);
    if (d.dicom !== undefined) {
      lines.push(`  DICOM studies: ${d.dicom.files} files; the agent de-identifies each by the PS3.15 Basic Profile before reading pixels (preview with cohort dicom deid)`);
    }
    for (const c of d.columns) {
      const kinds = c.suspected.length === 0 ? '' : `  suspected identifier: ${c.suspected.join(', ')} (${c.reasons.map((x) => x.rule).join(', ')})`;
      lines.push(`  ${c.name}: ${c.type}, ${c.missing} missing${kinds}`);
    }
    if (d.unmappedColumns.length > 0) lines.push(`  mapped but not in the header: ${d.unmappedColumns.join(', ')}`);
    const s = d.specRead;
    if (s === undefined) continue;
    lines.push(`  spec ${s.spec} would read:`);
    for (const c of s.reads) {
      const flagged = c.byName.length + c.byContent.length > 0;
      lines.push(`    ${c.feature} <- ${c.column}${flagged ? ` (looks like ${[...new Set([...c.byName, ...c.byContent])].join(', ')}; ${c.allowed ? 'allowed by the PHI allow-list' : 'refused'})` : ''}`);
    }
    if (s.rows !== undefined) lines.push(`    rows kept ${s.rows.kept}, dropped for a missing value ${s.rows.dropped}`);
    if (s.notAllowedFeatures.length > 0) lines.push(`    not in the policy's allowedFeatures: ${s.notAllowedFeatures.join(', ')}`);
    for (const p of s.problems) lines.push(`    would be refused, ${p.code}: ${p.message}`);
    if (s.problems.length === 0 && s.notAllowedFeatures.length === 0) lines.push('    the PHI guard and the read would let the run go ahead');
  }
  return `${lines.join('\n')}\n`;
}
