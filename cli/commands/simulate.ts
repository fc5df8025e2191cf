/** `cohort simulate`: the same rounds in one process, for researchers. */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { labelColumns } from '../../models/features.ts';
import type { SimulatedSite } from '../../site-agent/simulation/simulate.ts';
import { printJson, reportError } from '../output.ts';

function parseSiteArg(arg: string): { name: string; path: string } {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw new CohortError(GeneralErrors.USAGE, `--site expects <name>=<csv>, got "${arg}"`);
  return { name: arg.slice(0, eq), path: resolve(arg.slice(eq + 1)) };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('researcher: run federated rounds in one process on local CSV files (no TLS, no sockets)')
    .requiredOption('--spec <spec>', 'model spec (YAML or JSON)')
    .requiredOption('--site <name=csv...>', 'a site and its CSV (columns named as the spec\'s features and label); repeat per site')
    .option('--backend <name>', 'training backend: auto, wasm, cpu, tensorflow, tensorflow-gpu', 'auto')
    .option('--codec <codec>', 'update encoding: plain, or bfv (a throwaway consortium key, as the sites would use)', 'plain')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { spec: string; site: string[]; backend: string; codec: string; json?: boolean }) => {
      try {
        const { loadSpecFile } = await import('../../models/validate-spec.ts');
        const { prepareDataset } = await import('../../site-agent/data/prepare-dataset.ts');
        const { simulate } = await import('../../site-agent/simulation/simulate.ts');
        const { selectBackend } = await import('../../site-agent/training/backend.ts');
        if (opts.codec !== 'plain' && opts.codec !== 'bfv') throw new CohortError(GeneralErrors.USAGE, `--codec must be plain or bfv, got "${opts.codec}"`);
        const spec = loadSpecFile(resolve(opts.spec));
        await selectBackend(opts.backend as 'auto', spec.model.family);
        const names = [...spec.features.map((f) => f.name), ...labelColumns(spec)];
        const sites: SimulatedSite[] = [];
        // One process, no site secret to keep: a fresh fingerprint key (the simulator reports no fingerprint).
        const fingerprintKey = randomBytes(32);
        for (const { name, path } of opts.site.map(parseSiteArg)) {
          const data = await prepareDataset({ spec, mapping: { path, columns: Object.fromEntries(names.map((n) => [n, n])) }, fingerprintKey });
          sites.push({ name, train: data.train, test: data.test });
        }
        const result = await simulate(
          spec,
          sites,
          (r) => {
            if (opts.json) return;
            if (r.metrics) process.stdout.write(`round ${r.round}: accuracy ${r.metrics.accuracy.toFixed(3)} auc ${r.metrics.auc.toFixed(3)} loss ${r.metrics.loss.toFixed(4)}\n`);
            if (r.survival) process.stdout.write(`round ${r.round}: mean C-index ${r.survival.meanCIndex.toFixed(3)} (pair C-index ${r.survival.pairCIndex.toFixed(3)})\n`);
          },
          { codec: opts.codec },
        );
        const last = result.rounds[result.rounds.length - 1];
        if (opts.json) printJson({ rounds: result.rounds, final: last?.metrics ?? last?.survival ?? null, codec: result.codec, privacy: result.privacy });
        else {
          const eps = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'unbounded');
          for (const p of result.privacy) process.stdout.write(`${p.site}: epsilon ${eps(p.epsilon)} (record ${eps(p.recordEpsilon)}, site ${eps(p.siteEpsilon)}) at delta ${p.delta.toExponential(2)}\n`);
        }
      } catch (e) {
        process.exitCode = reportError(e, Boolean(opts.json));
      }
    });
}
