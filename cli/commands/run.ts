/** `cohort run submit|status|watch|list|cancel`: data scientists drive runs. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Kit } from '../../core/pki/kit.ts';
import { loadKit } from '../../core/pki/kit.ts';
import { adminClient, unary } from '../../core/rpc/clients.ts';
import { fromServiceError } from '../../core/rpc/status-errors.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { RunStatus__Output } from '../../protos/gen/cohort/v1/RunStatus.ts';
import type { SubmitRunResponse__Output } from '../../protos/gen/cohort/v1/SubmitRunResponse.ts';
import type { ListRunsResponse__Output } from '../../protos/gen/cohort/v1/ListRunsResponse.ts';
import type { AdminServiceClient } from '../../protos/gen/cohort/v1/AdminService.ts';
import type * as grpc from '@grpc/grpc-js';
import { printJson, reportError, runCommand } from '../output.ts';
import { formatRunStatus, formatRunSummary, summarizeRun } from '../run-summary.ts';

/** States a run does not leave. */
export const TERMINAL_RUN_STATES: readonly string[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** One unary admin call with a fresh channel, closed whatever the outcome. */
export async function withAdmin<Res>(kit: Kit, address: string | undefined, invoke: (client: AdminServiceClient, o: grpc.CallOptions, cb: grpc.requestCallback<Res>) => unknown): Promise<Res> {
  const client = adminClient(kit, address);
  try {
    return await unary<Res>((o, cb) => invoke(client, o, cb));
  } finally {
    client.close();
  }
}

export function submitRun(kit: Kit, specPath: string, codec = 'bfv', address?: string): Promise<SubmitRunResponse__Output> {
  const spec = loadSpecFile(specPath);
  return withAdmin<SubmitRunResponse__Output>(kit, address, (c, o, cb) => c.submitRun({ specJson: JSON.stringify(spec), codec }, o, cb));
}

export function getRun(kit: Kit, runId: string, address?: string): Promise<RunStatus__Output> {
  return withAdmin<RunStatus__Output>(kit, address, (c, o, cb) => c.getRun({ runId }, o, cb));
}

/** Streams a run's status until it ends; calls onStatus for each change. */
export function watchRun(kit: Kit, runId: string, onStatus: (s: RunStatus__Output) => void, address?: string): Promise<RunStatus__Output> {
  const client = adminClient(kit, address);
  return new Promise((resolvePromise, reject) => {
    let last: RunStatus__Output | undefined;
    const stream = client.watchRun({ runId });
    stream.on('data', (s: RunStatus__Output) => {
      last = s;
      onStatus(s);
    });
    stream.on('error', (e: grpc.ServiceError) => {
      client.close();
      reject(fromServiceError(e));
    });
    stream.on('end', () => {
      client.close();
      if (last && TERMINAL_RUN_STATES.includes(last.state)) resolvePromise(last);
      else reject(new Error(`the watch stream of ${runId} ended before the run did`));
    });
  });
}

/** Progress bars: one line per round, filled as sites deliver and evaluate. */
export function progressPrinter(): { update(s: RunStatus__Output): void; stop(): void } {
  const bars = new cliProgress.MultiBar(
    { format: ' round {round} |{bar}| {value}/{total} sites {phase} {metrics}', hideCursor: true, clearOnComplete: false, noTTYOutput: true, notTTYSchedule: 2000 },
    cliProgress.Presets.shades_classic,
  );
  const byRound = new Map<number, cliProgress.SingleBar>();
  return {
    update(s) {
      for (const r of s.roundStatus) {
        const total = r.sites.length * 2;
        const done = r.sites.filter((x) => x.state !== 'PENDING').length + r.sites.filter((x) => x.evalState === 'EVALUATED' || x.evalState === 'FAILED').length;
        const payload = {
          round: String(r.round).padStart(2),
          phase: r.state.padEnd(10),
          metrics: r.metrics ? `acc ${r.metrics.accuracy.toFixed(3)} auc ${r.metrics.auc.toFixed(3)} loss ${r.metrics.loss.toFixed(4)}` : '',
        };
        let bar = byRound.get(r.round);
        if (!bar) {
          bar = bars.create(total, 0, payload);
          byRound.set(r.round, bar);
        }
        bar.setTotal(total);
        bar.update(r.state === 'CLOSED' ? total : Math.min(done, total), payload);
      }
    },
    stop() {
      bars.stop();
    },
  };
}

export function registerRunCommands(program: Command): void {
  const run = program.command('run').description('data scientist: submit and follow training runs');
  const kitOption = ['--kit <dir>', 'your user kit (data-scientist, operator or auditor)'] as const;

  run
    .command('submit <spec>')
    .description('submit a model spec (YAML or JSON); prints the run id')
    .requiredOption(...kitOption)
    .option('--codec <codec>', 'update encoding: bfv (encrypted, default) or plain (development only)', 'bfv')
    .option('--json', 'print {runId, specSha256} as JSON')
    .action(async (spec: string, opts: { kit: string; codec: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const res = await submitRun(loadKit(resolve(opts.kit)), resolve(spec), opts.codec);
          return { runId: res.runId, specSha256: res.specSha256 };
        },
        (r) => `${r.runId}\n`,
      );
    });

  run
    .command('status <runId>')
    .description('show a run: state, sites, per-round and per-site metrics')
    .requiredOption(...kitOption)
    .option('--json', 'print the status as JSON')
    .action(async (runId: string, opts: { kit: string; json?: boolean }) => {
      await runCommand(opts.json, async () => summarizeRun(await getRun(loadKit(resolve(opts.kit)), runId)), formatRunSummary);
    });

  run
    .command('watch <runId>')
    .description('follow a run until it ends: a progress bar per round, metrics as they arrive')
    .requiredOption(...kitOption)
    .option('--json', 'print one JSON status line per change instead of bars')
    .action(async (runId: string, opts: { kit: string; json?: boolean }) => {
      const progress = opts.json ? undefined : progressPrinter();
      try {
        const final = await watchRun(loadKit(resolve(opts.kit)), runId, (s) => (opts.json ? printJson(summarizeRun(s)) : progress?.update(s)));
        progress?.stop();
        if (!opts.json) process.stdout.write(formatRunStatus(final));
        if (final.state !== 'COMPLETED') process.exitCode = 1;
      } catch (e) {
        progress?.stop();
        process.exitCode = reportError(e, Boolean(opts.json));
      }
    });

  run
    .command('list')
    .description('list runs')
    .requiredOption(...kitOption)
    .option('--json', 'print the list as JSON')
    .action(async (opts: { kit: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => ({ runs: (await withAdmin<ListRunsResponse__Output>(loadKit(resolve(opts.kit)), undefined, (c, o, cb) => c.listRuns({}, o, cb))).runs }),
        (r) => r.runs.map((x) => `${x.runId}  ${x.state.padEnd(10)} round ${x.currentRound}/${x.rounds}  ${x.name}  by ${x.submittedBy}\n`).join(''),
      );
    });

  run
    .command('cancel <runId>')
    .description('cancel a run that has not ended')
    .requiredOption(...kitOption)
    .option('--json', 'print the new status as JSON')
    .action(async (runId: string, opts: { kit: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => summarizeRun(await withAdmin<RunStatus__Output>(loadKit(resolve(opts.kit)), undefined, (c, o, cb) => c.cancelRun({ runId }, o, cb))),
        (r) => `${runId} ${r.state}\n`,
      );
    });
}

