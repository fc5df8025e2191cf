/**
 * `cohort model list|show|approve|alias|rollback|export|explain`: the model registry in MLflow's
 * vocabulary (registered models, numbered versions, aliases), over RegistryService. A model
 * reference is a model id, `<name>/<version>` or `<name>@<alias>`.
 */
import * as tf from '@tensorflow/tfjs';
import type * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { CohortError, GeneralErrors } from '../../core/errors/index.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { registryClient, unary } from '../../core/rpc/clients.ts';
import { designColumns } from '../../models/features.ts';
import { EXPORT_FILES, layersModelExport, writeLayersModel } from '../../models/tfjs-export.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import type { ListModelVersionsResponse__Output } from '../../protos/gen/cohort/v1/ListModelVersionsResponse.ts';
import type { ModelAlias__Output } from '../../protos/gen/cohort/v1/ModelAlias.ts';
import type { ModelVersion__Output } from '../../protos/gen/cohort/v1/ModelVersion.ts';
import type { ModelVersionExport__Output } from '../../protos/gen/cohort/v1/ModelVersionExport.ts';
import type { RegistryServiceClient } from '../../protos/gen/cohort/v1/RegistryService.ts';
import { runCommand } from '../output.ts';
import { registerExplainCommand } from './model-explain.ts';

/** One unary registry call with a fresh channel, closed whatever the outcome. */
async function withRegistry<Res>(kit: Kit, address: string | undefined, invoke: (client: RegistryServiceClient, o: grpc.CallOptions, cb: grpc.requestCallback<Res>) => unknown): Promise<Res> {
  const client = registryClient(kit, address);
  try {
    return await unary<Res>((o, cb) => invoke(client, o, cb));
  } finally {
    client.close();
  }
}

/** One version as `cohort model show --json` prints it (the demo shows its fairness and explanations). */
export async function showVersion(kit: Kit, address: string | undefined, ref: string): Promise<ReturnType<typeof versionJson>> {
  return versionJson(await withRegistry<ModelVersion__Output>(kit, address, (c, o, cb) => c.getModelVersion({ ref }, o, cb)));
}

const iso = (ms: string | number): string | null => (Number(ms) > 0 ? new Date(Number(ms)).toISOString() : null);

interface ProvenanceSite {
  site: string;
  numExamples?: number;
  datasetFingerprint?: string | null;
  privacy?: unknown;
  agentVersion?: string | null;
}

/** A version as the commands print it with --json (and as model-card.json carries it). */
export function versionJson(m: ModelVersion__Output) {
  const provenance = JSON.parse(m.provenanceJson || '{}') as { sites?: ProvenanceSite[]; finalMetrics?: unknown } & Record<string, unknown>;
  // Subgroup fairness (docs/fairness.md) and global explanations (docs/explanations.md) of the final evaluation; null when the spec asked for none.
  const fairness = m.fairnessJson ? (JSON.parse(m.fairnessJson) as { reviewRequired?: boolean; reviewReasons?: string[] } & Record<string, unknown>) : null;
  const explained = m.explanationsJson ? (JSON.parse(m.explanationsJson) as { explanations: unknown; unavailable?: string }) : null;
  return {
    modelId: m.modelId,
    name: m.name,
    version: m.version,
    aliases: m.aliases,
    runId: m.runId,
    specSha256: m.specSha256,
    weightsSha256: m.weightsSha256,
    bytes: Number(m.bytes),
    releasedBy: m.releasedBy,
    releasedAt: iso(m.releasedAtMs),
    softwareVersion: m.softwareVersion,
    intendedUse: m.intendedUse,
    validationStatus: m.approval?.state ?? 'PENDING',
    approval: m.approval?.state === 'APPROVED' ? { approvedBy: m.approval.approvedBy, approvedAt: iso(m.approval.approvedAtMs), note: m.approval.note } : null,
    reviewRequired: fairness?.reviewRequired === true,
    reviewReasons: fairness?.reviewReasons ?? [],
    provenance,
    fairness,
    explanations: explained?.explanations ?? null,
    ...(explained?.unavailable ? { explanationsUnavailable: explained.unavailable } : {}),
  };
}

type VersionJson = ReturnType<typeof versionJson>;

function aliasJson(a: ModelAlias__Output) {
  return { name: a.name, alias: a.alias, version: a.version, modelId: a.modelId, setBy: a.setBy, setAt: iso(a.setAtMs), note: a.note === '' ? null : a.note };
}

function versionLine(v: VersionJson): string {
  const approval = v.approval ? `APPROVED by ${v.approval.approvedBy} ${v.approval.approvedAt ?? ''}` : 'PENDING approval';
  const aliases = v.aliases.length > 0 ? `  @${v.aliases.join(' @')}` : '';
  return `  v${v.version}  ${v.modelId}  run ${v.runId}  ${approval}${aliases}  sha256 ${v.weightsSha256.slice(0, 16)}...\n`;
}

function showText(v: VersionJson): string {
  const sites = v.provenance.sites ?? [];
  return [
    `${v.name} version ${v.version} (${v.modelId})${v.aliases.length > 0 ? `  aliases: ${v.aliases.join(', ')}` : ''}`,
    `  run ${v.runId}, spec sha256 ${v.specSha256}, strategy ${String(v.provenance.strategy ?? '?')}, ${String(v.provenance.rounds ?? '?')} rounds`,
    `  weights sha256 ${v.weightsSha256} (${v.bytes} bytes), released by ${v.releasedBy} ${v.releasedAt ?? ''}, Cohort ${v.softwareVersion || '?'}`,
    `  intended use: ${v.intendedUse || '(not stated)'}`,
    `  validation: ${v.approval ? `APPROVED by ${v.approval.approvedBy} ${v.approval.approvedAt ?? ''}: ${v.approval.note}` : 'PENDING approval'}`,
    ...sites.map((s) => `  site ${s.site}: ${s.numExamples ?? '?'} examples (as disclosed), dataset ${s.datasetFingerprint ?? '?'}${s.privacy ? `, privacy ${JSON.stringify(s.privacy)}` : ''}`),
    `  final evaluation: ${JSON.stringify(v.provenance.finalMetrics ?? null)}`,
    ...(v.fairness ? [`  fairness: ${JSON.stringify(v.fairness)}`] : []),
    ...(v.reviewRequired ? [`  REVIEW REQUIRED before approval: ${v.reviewReasons.join('; ')}`] : []),
    ...(v.explanations || v.explanationsUnavailable ? [`  explanations: ${v.explanations ? JSON.stringify(v.explanations) : `none (${v.explanationsUnavailable ?? ''})`}`] : []),
    '',
  ].join('\n');
}

function versionOf(text: string, field: string): number {
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw new CohortError(GeneralErrors.USAGE, `${field}: expected a version number (1, 2, ...), got "${text}"`, { details: { field } });
  return Number(text);
}

interface Common {
  kit: string;
  address?: string;
  json?: boolean;
}

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('the model registry: registered models, numbered versions, aliases, approval, rollback, export, explain');
  const common = (c: Command, roles: string): Command =>
    c.requiredOption('--kit <dir>', `your kit (${roles})`).option('--address <host:port>', 'coordinator address (default: from the kit)').option('--json', 'print the result as JSON');

  common(model.command('list').description('list registered models, their versions and aliases').option('--name <name>', 'only this registered model'), 'data-scientist, operator, auditor or approver').action(
    async (opts: Common & { name?: string }) => {
      await runCommand(
        opts.json,
        async () => {
          const res = await withRegistry<ListModelVersionsResponse__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) => c.listModelVersions({ name: opts.name ?? '' }, o, cb));
          return { versions: res.versions.map(versionJson), aliases: res.aliases.map(aliasJson) };
        },
        (r) => {
          if (r.versions.length === 0) return 'no registered models\n';
          const names = [...new Set(r.versions.map((v) => v.name))];
          return names.map((n) => `${n}\n${r.versions.filter((v) => v.name === n).map(versionLine).join('')}`).join('');
        },
      );
    },
  );

  common(model.command('show <modelId>').description('one version with its provenance, privacy spent, evaluation and approval (<modelId>, <name>/<version> or <name>@<alias>)'), 'data-scientist, operator, auditor or approver').action(
    async (ref: string, opts: Common) => {
      await runCommand(opts.json, () => showVersion(loadKit(resolve(opts.kit)), opts.address, ref), showText);
    },
  );

  common(
    model
      .command('approve <modelId>')
      .description('approve a version for its intended clinical use (records who, when, why and for what use)')
      .requiredOption('--note <text>', 'why it is approved (validation evidence, committee decision)')
      .option('--use <text>', 'the intended clinical use (default: the spec\'s description)')
      .option('--fairness-reviewed', 'state that the fairness review a version needs (reviewRequired) was done and --note addresses it; recorded with the approval'),
    'approver',
  ).action(async (ref: string, opts: Common & { note: string; use?: string; fairnessReviewed?: boolean }) => {
    await runCommand(
      opts.json,
      async () =>
        versionJson(
          await withRegistry<ModelVersion__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) =>
            c.approveModelVersion({ ref, note: opts.note, intendedUse: opts.use ?? '', fairnessReviewed: opts.fairnessReviewed === true }, o, cb),
          ),
        ),
      (v) => `${v.name} version ${v.version} (${v.modelId}) approved by ${v.approval?.approvedBy ?? '?'} for: ${v.intendedUse}\n`,
    );
  });

  common(model.command('alias <name> <alias> <version>').description('point an alias (champion, challenger, ...) at a version; champion only by an approver, at an approved version, and not backwards (use rollback)').option('--note <text>', 'why'), 'approver or operator (champion: approver)').action(
    async (name: string, alias: string, version: string, opts: Common & { note?: string }) => {
      await runCommand(
        opts.json,
        async () => aliasJson(await withRegistry<ModelAlias__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) => c.setModelAlias({ name, alias, version: versionOf(version, 'version'), note: opts.note ?? '' }, o, cb))),
        (a) => `${a.name}@${a.alias} -> version ${a.version} (${a.modelId})\n`,
      );
    },
  );

  common(
    model.command('rollback <name>').description('point champion back at an earlier approved version').requiredOption('--to <version>', 'the earlier approved version').requiredOption('--note <text>', 'why'),
    'approver',
  ).action(async (name: string, opts: Common & { to: string; note: string }) => {
    await runCommand(
      opts.json,
      async () => aliasJson(await withRegistry<ModelAlias__Output>(loadKit(resolve(opts.kit)), opts.address, (c, o, cb) => c.rollbackModel({ name, toVersion: versionOf(opts.to, '--to'), note: opts.note }, o, cb))),
      (a) => `${a.name}@champion rolled back to version ${a.version} (${a.modelId})\n`,
    );
  });

  common(
    model
      .command('export <modelId>')
      .description(`write an approved version as a TensorFlow.js layers model (${EXPORT_FILES.model}, ${EXPORT_FILES.weights}) with ${EXPORT_FILES.card}`)
      .requiredOption('--out <dir>', 'an empty (or new) directory')
      .option('--allow-unapproved', 'operator only: export a version that is not approved (recorded in the audit log)'),
    'data-scientist, operator or approver',
  ).action(async (ref: string, opts: Common & { out: string; allowUnapproved?: boolean }) => {
    await runCommand(
      opts.json,
      async () => {
        const kit = loadKit(resolve(opts.kit));
        const res = await withRegistry<ModelVersionExport__Output>(kit, opts.address, (c, o, cb) => c.exportModelVersion({ ref, allowUnapproved: opts.allowUnapproved === true }, o, cb));
        return exportVersion(res, resolve(opts.out), kit.name);
      },
      (r) => `${r.name} version ${r.version} (${r.modelId}, ${r.validationStatus}) exported to ${r.out}: ${Object.keys(r.files).join(', ')}\n`,
    );
  });
  registerExplainCommand(model);
}

/** Writes an exported version (its weights checked against the registry's hash) as a layers model with its card. */
export async function exportVersion(res: ModelVersionExport__Output, out: string, exportedBy: string) {
  const v = versionJson(res.version!);
  // The registry's hash is checked again here, on the bytes that arrived.
  const sha = createHash('sha256').update(res.weights).digest('hex');
  if (sha !== v.weightsSha256) throw new CohortError(GeneralErrors.INTERNAL, `the exported weights hash to ${sha}, the registry says ${v.weightsSha256}`, { details: { modelId: v.modelId } });
  const spec = parseSpec(JSON.parse(res.version!.specJson) as unknown, 'spec');
  // A copy: the received buffer need not be 4-byte aligned. Float32 little-endian, as every site sends it.
  const flat = new Float32Array(new Uint8Array(res.weights).buffer.slice(0));
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const exported = await layersModelExport(spec, flat, { cohort: { modelId: v.modelId, name: v.name, version: v.version, weightsSha256: v.weightsSha256 } });
  const sites = v.provenance.sites ?? [];
  const card = {
    schema: 'cohort.model-card/v1',
    model: { modelId: v.modelId, name: v.name, version: v.version, aliases: v.aliases, runId: v.runId, specSha256: v.specSha256, weightsSha256: v.weightsSha256, softwareVersion: v.softwareVersion, releasedBy: v.releasedBy, releasedAt: v.releasedAt },
    intendedUse: v.intendedUse,
    validationStatus: v.validationStatus,
    approval: v.approval,
    export: { by: exportedBy, at: new Date().toISOString(), unapproved: v.validationStatus !== 'APPROVED' },
    input: { columns: designColumns(spec), features: spec.features, label: spec.label },
    provenance: {
      strategy: v.provenance.strategy ?? null,
      rounds: v.provenance.rounds ?? null,
      codec: v.provenance.codec ?? null,
      submittedBy: v.provenance.submittedBy ?? null,
      sites: sites.map((s) => ({ site: s.site, numExamples: s.numExamples ?? null, datasetFingerprint: s.datasetFingerprint ?? null, agentVersion: s.agentVersion ?? null })),
    },
    privacy: Object.fromEntries(sites.map((s) => [s.site, s.privacy ?? null])),
    evaluation: v.provenance.finalMetrics ?? null,
    fairness: v.fairness,
    reviewRequired: v.reviewRequired,
    explanations: v.explanations,
    ...(v.explanationsUnavailable ? { explanationsUnavailable: v.explanationsUnavailable } : {}),
  };
  const { files } = writeLayersModel(out, exported, card);
  return { ...v, out, files };
}
