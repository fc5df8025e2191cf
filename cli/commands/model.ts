/** `cohort model list|get`: the registry of released models (weights, provenance, privacy spent). */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadKit } from '../../core/pki/kit.ts';
import type { ListModelsResponse__Output } from '../../protos/gen/cohort/v1/ListModelsResponse.ts';
import type { ModelBlob__Output } from '../../protos/gen/cohort/v1/ModelBlob.ts';
import type { ModelEntry__Output } from '../../protos/gen/cohort/v1/ModelEntry.ts';
import { runCommand } from '../output.ts';
import { withAdmin } from './run.ts';

function entryJson(m: ModelEntry__Output) {
  return {
    modelId: m.modelId,
    runId: m.runId,
    name: m.name,
    weightsSha256: m.weightsSha256,
    specSha256: m.specSha256,
    releasedBy: m.releasedBy,
    releasedAt: new Date(Number(m.releasedAtMs)).toISOString(),
    bytes: Number(m.bytes),
    provenance: JSON.parse(m.provenanceJson || '{}') as unknown,
  };
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('the model registry: released final models with their provenance');
  model
    .command('list')
    .description('list released models')
    .requiredOption('--kit <dir>', 'your kit (data-scientist, operator, auditor or approver)')
    .option('--address <host:port>', 'coordinator address (default: from the kit)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { kit: string; address?: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const res = await withAdmin<ListModelsResponse__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) => c.listModels({}, o, cb));
          return { models: res.models.map(entryJson) };
        },
        (r) => (r.models.length === 0 ? 'no released models\n' : r.models.map((m) => `${m.modelId}  ${m.name}  run ${m.runId}  sha256 ${m.weightsSha256.slice(0, 16)}...  ${m.bytes} bytes  released by ${m.releasedBy} ${m.releasedAt}\n`).join('')),
      );
    });
  model
    .command('get <modelId>')
    .description('download a released model: its weights (float32, little-endian) to --out, its provenance to stdout')
    .requiredOption('--kit <dir>', 'your kit (data-scientist, operator or approver)')
    .requiredOption('--out <file>', 'where to write the weights')
    .option('--address <host:port>', 'coordinator address (default: from the kit)')
    .option('--json', 'print the result as JSON')
    .action(async (modelId: string, opts: { kit: string; out: string; address?: string; json?: boolean }) => {
      await runCommand(
        opts.json,
        async () => {
          const res = await withAdmin<ModelBlob__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) => c.getModel({ modelId }, o, cb));
          const entry = entryJson(res.model!);
          // The registry's hash is checked again here, on the bytes that arrived.
          const sha = createHash('sha256').update(res.weights).digest('hex');
          if (sha !== entry.weightsSha256) throw new Error(`downloaded weights hash to ${sha}, the registry says ${entry.weightsSha256}`);
          writeFileSync(resolve(opts.out), res.weights);
          return { ...entry, out: resolve(opts.out) };
        },
        (r) => `${r.modelId} (${r.name}) written to ${r.out}: ${r.bytes} bytes, sha256 ${r.weightsSha256}\n`,
      );
    });
}
