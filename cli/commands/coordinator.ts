/** `cohort coordinator start`: the consortium operator runs the coordinator. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { reportError } from '../output.ts';

export function registerCoordinatorCommands(program: Command): void {
  const coordinator = program.command('coordinator').description('operator: run the coordinator');
  coordinator
    .command('start')
    .description('start the coordinator gRPC server (mTLS) and its round engine')
    .requiredOption('--kit <dir>', 'the coordinator kit written by `cohort provision`')
    .option('--state <dir>', 'state directory (SQLite and blobs)', './coordinator-state')
    .option('--listen <host:port>', 'listen address (default 0.0.0.0:<port from the kit>)')
    .option('--site-grace-ms <ms>', 'how long a site may be disconnected mid-round before it is recorded as failed', '15000')
    .option('--recruit-timeout-ms <ms>', 'how long a run waits for sites to answer its offer', '60000')
    .option('--log-file <path>', 'write JSON logs to this file instead of stderr')
    .action(async (opts: { kit: string; state: string; listen?: string; siteGraceMs: string; recruitTimeoutMs: string; logFile?: string }) => {
      // Heavy modules load on use, so that `cohort --help` and light commands start fast.
      const { createLogger } = await import('../../core/logging.ts');
      const { loadKit } = await import('../../core/pki/kit.ts');
      const { startCoordinator } = await import('../../coordinator/coordinator.ts');
      const log = createLogger('coordinator', { destination: opts.logFile });
      try {
        const running = await startCoordinator({
          kit: loadKit(resolve(opts.kit)),
          stateDir: resolve(opts.state),
          listen: opts.listen,
          log,
          siteGraceMs: Number(opts.siteGraceMs),
          recruitTimeoutMs: Number(opts.recruitTimeoutMs),
        });
        process.stdout.write(`coordinator listening on port ${running.port}\n`);
        const shutdown = (): void => {
          log.info('shutting down');
          void running.stop().then(() => process.exit(0));
        };
        process.on('SIGTERM', shutdown);
        process.on('SIGINT', shutdown);
      } catch (e) {
        process.exitCode = reportError(e, false);
      }
    });
}
