/** `cohort site init|check|start`: hospital IT installs and runs the site agent. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { BACKENDS, loadSiteConfig, type BackendChoice } from '../../site-agent/site-config.ts';
import { reportError, runCommand } from '../output.ts';
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
        const agent = new SiteAgent({
          kit,
          config,
          states: new RunStateStore(config.dataDir, key),
          heKeys: new HeKeyStore(config.dataDir, key),
          ledger: openSiteLedger(config, key),
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
        process.exit(0);
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    });
}
