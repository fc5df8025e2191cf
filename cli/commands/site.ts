/** `cohort site init|check|start`: hospital IT installs and runs the site agent. */
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CohortError, SiteErrors } from '../../core/errors/index.ts';
import { loadKeyFile } from '../../core/crypto/at-rest.ts';
import { BACKENDS, loadSiteConfig, type BackendChoice } from '../../site-agent/site-config.ts';
import { printJson, reportError } from '../output.ts';

export function registerSiteCommands(program: Command): void {
  const site = program.command('site').description('hospital IT: install and run the site agent');

  site
    .command('init')
    .description('create the site data directory and its owner-only at-rest key file')
    .requiredOption('--config <site.yaml>', 'the site config')
    .option('--json', 'print the result as JSON')
    .action((opts: { config: string; json?: boolean }) => {
      try {
        const config = loadSiteConfig(resolve(opts.config));
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        loadKeyFile(config.keyFile, { create: true });
        if (opts.json) printJson({ dataDir: config.dataDir, keyFile: config.keyFile });
        else process.stdout.write(`site data directory ${config.dataDir}\nat-rest key ${config.keyFile} (mode 600)\n`);
      } catch (e) {
        process.exitCode = reportError(e, Boolean(opts.json));
      }
    });

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
      const { loadKit } = await import('../../core/pki/kit.ts');
      const { SiteAgent } = await import('../../site-agent/agent.ts');
      const { RunStateStore } = await import('../../site-agent/run-state.ts');
      const { selectBackend } = await import('../../site-agent/training/backend.ts');
      const log = createLogger('site-agent', { destination: opts.logFile });
      try {
        const kit = loadKit(resolve(opts.kit));
        const config = loadSiteConfig(resolve(opts.config));
        if (kit.role !== 'site') throw new CohortError(SiteErrors.KIT_MISMATCH, `kit ${kit.dir} is a ${kit.role} kit, not a site kit`);
        if (config.site && config.site !== kit.name) {
          throw new CohortError(SiteErrors.KIT_MISMATCH, `the config names site "${config.site}" but the kit is "${kit.name}"`);
        }
        const requested = (opts.backend ?? config.device) as BackendChoice;
        if (!BACKENDS.includes(requested)) throw new CohortError(SiteErrors.KIT_MISMATCH, `--backend must be one of ${BACKENDS.join(', ')}`);
        const key = loadKeyFile(config.keyFile);
        mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
        const backend = await selectBackend(requested, 'mlp');
        log.info({ site: kit.name, backend: backend.backend, reason: backend.reason }, 'training backend selected');
        const agent = new SiteAgent({ kit, config, states: new RunStateStore(config.dataDir, key), backend: backend.backend, log, address: opts.address });
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
