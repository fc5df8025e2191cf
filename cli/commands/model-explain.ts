/**
 * `cohort model explain <modelId> --input <row.json>`: one prediction explained locally (at a
 * site, or for a data scientist's own row), with models/explain/. The model comes from the
 * registry by the path `cohort model export` uses (ExportModelVersion: an approved version, or
 * an operator's recorded override; the registry audits the fetch as an export), or offline
 * from an export directory (`--weights-dir`), its files checked against model-card.json.
 * The rows are read locally and never sent anywhere; no value of them is printed in errors.
 */
import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CohortError, ExplainErrors, GeneralErrors } from '../../core/errors/index.ts';
import { loadKit } from '../../core/pki/kit.ts';
import { registryClient, unary } from '../../core/rpc/clients.ts';
import { buildModel, setFlatWeights } from '../../models/build-model.ts';
import { createExplainer, IG_MAX_STEPS, IG_STEPS, type Explanation } from '../../models/explain/attribution.ts';
import { encodeRow } from '../../models/explain/row.ts';
import { FeatureSchema, type FeatureSpec, type ModelSpec } from '../../models/spec-schema.ts';
import { EXPORT_FILES } from '../../models/tfjs-export.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import type { ModelVersionExport__Output } from '../../protos/gen/cohort/v1/ModelVersionExport.ts';
import { runCommand } from '../output.ts';

interface ExplainOptions {
  input: string;
  baseline?: string;
  kit?: string;
  address?: string;
  weightsDir?: string;
  steps?: string;
  /** false with --no-refine: the uniform --steps grid only. */
  refine?: boolean;
  allowUnapproved?: boolean;
  json?: boolean;
}

/** What the command prints with --json. */
export interface ExplainResult {
  modelId: string;
  name: string;
  version: number;
  source: 'registry' | 'export';
  method: Explanation['method'];
  scale: Explanation['scale'];
  /** IG: the trapezoid intervals used in the end (the initial uniform steps unless refined). */
  steps: number | null;
  rule: Explanation['rule'];
  /** IG: the uniform steps it started from (--steps, default 50). */
  initialSteps: number | null;
  /** IG: `uniform` or `adaptive` (intervals bisected to reach 1% completeness). */
  grid: 'uniform' | 'adaptive' | null;
  /** Whether the completeness error is within the 1% target (or its absolute floor). */
  converged: boolean;
  /** `given`: the --baseline row (meant to be the training mean row); `zero`: the all-zero design row. */
  baseline: 'given' | 'zero';
  baseValue: number;
  prediction: number;
  attributions: { feature: string; value: number }[];
  completenessError: number;
}

/** A loaded model with what explaining it needs. */
interface Loaded {
  model: tf.LayersModel;
  features: readonly FeatureSpec[];
  family?: ModelSpec['model']['family'];
  modelId: string;
  name: string;
  version: number;
}

/** A JSON file the user names; a parse failure says where, never what the file holds. */
function readJsonFile(path: string, option: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new CohortError(GeneralErrors.USAGE, `${option}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, { details: { option } });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CohortError(GeneralErrors.USAGE, `${option}: ${path} is not valid JSON`, { details: { option } });
  }
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** From the registry, by ExportModelVersion (its approval rule and audit record apply). */
async function fromRegistry(ref: string, opts: ExplainOptions): Promise<Loaded> {
  if (opts.kit === undefined) throw new CohortError(GeneralErrors.USAGE, 'give --kit <dir> (to fetch the version from the registry) or --weights-dir <export dir>');
  const kit = loadKit(resolve(opts.kit));
  const client = registryClient(kit, opts.address);
  let res: ModelVersionExport__Output;
  try {
    res = await unary<ModelVersionExport__Output>((o, cb) => client.exportModelVersion({ ref, allowUnapproved: opts.allowUnapproved === true }, o, cb));
  } finally {
    client.close();
  }
  const v = res.version!;
  const sha = sha256(res.weights);
  if (sha !== v.weightsSha256) throw new CohortError(GeneralErrors.INTERNAL, `the fetched weights hash to ${sha}, the registry says ${v.weightsSha256}`, { details: { modelId: v.modelId } });
  const spec = parseSpec(JSON.parse(v.specJson) as unknown, 'spec');
  // A copy: the received buffer need not be 4-byte aligned. Float32 little-endian, as every site sends it.
  const flat = new Float32Array(new Uint8Array(res.weights).buffer.slice(0));
  const model = await buildModel(spec);
  setFlatWeights(model, flat);
  return { model, features: spec.features, family: spec.model.family, modelId: v.modelId, name: v.name, version: v.version };
}

const CardSchema = z.object({
  model: z.object({ modelId: z.string(), name: z.string(), version: z.number().int() }).passthrough(),
  input: z.object({ features: z.array(FeatureSchema).min(1) }).passthrough(),
  files: z.record(z.string(), z.string()),
});

/** From `cohort model export`'s directory: model.json and its weights, each checked against the card's SHA-256. */
async function fromExport(dir: string): Promise<Loaded> {
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch {
      throw new CohortError(ExplainErrors.EXPORT_MISMATCH, `--weights-dir: ${join(dir, name)} is missing or unreadable`, { details: { file: name } });
    }
  };
  const cardText = read(EXPORT_FILES.card).toString('utf8');
  let card: z.output<typeof CardSchema>;
  try {
    card = CardSchema.parse(JSON.parse(cardText));
  } catch {
    throw new CohortError(ExplainErrors.EXPORT_MISMATCH, `--weights-dir: ${EXPORT_FILES.card} is not a Cohort model card (model, input.features, files)`, { details: { file: EXPORT_FILES.card } });
  }
  const modelText = read(EXPORT_FILES.model);
  const weights = read(EXPORT_FILES.weights);
  for (const [name, bytes] of [[EXPORT_FILES.model, modelText], [EXPORT_FILES.weights, weights]] as const) {
    if (card.files[name] !== sha256(bytes)) {
      throw new CohortError(ExplainErrors.EXPORT_MISMATCH, `--weights-dir: ${name} does not hash to the SHA-256 ${EXPORT_FILES.card} records`, { details: { file: name } });
    }
  }
  const modelJson = JSON.parse(modelText.toString('utf8')) as tf.io.ModelJSON;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  return { model, features: card.input.features, modelId: card.model.modelId, name: card.model.name, version: card.model.version };
}

function stepsOf(text: string | undefined): number {
  if (text === undefined) return IG_STEPS;
  if (!/^[1-9][0-9]{0,4}$/.test(text) || Number(text) > 10_000) throw new CohortError(GeneralErrors.USAGE, `--steps: expected a whole number from 1 to 10000, got "${text}"`, { details: { option: '--steps' } });
  return Number(text);
}

/** The explanation `cohort model explain` prints. */
export async function explainCommand(ref: string, opts: ExplainOptions): Promise<ExplainResult> {
  const steps = stepsOf(opts.steps);
  const inputRow = readJsonFile(resolve(opts.input), '--input');
  const baselineRow = opts.baseline === undefined ? undefined : readJsonFile(resolve(opts.baseline), '--baseline');
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const loaded = opts.weightsDir !== undefined ? await fromExport(resolve(opts.weightsDir)) : await fromRegistry(ref, opts);
  try {
    if (opts.weightsDir !== undefined && ref !== loaded.modelId && ref !== `${loaded.name}/${loaded.version}`) {
      throw new CohortError(GeneralErrors.USAGE, `--weights-dir holds ${loaded.modelId} (${loaded.name}/${loaded.version}), not ${ref}`, { details: { modelId: loaded.modelId } });
    }
    const x = encodeRow(loaded.features, inputRow, 'input');
    const baseline = baselineRow === undefined ? new Float64Array(x.length) : encodeRow(loaded.features, baselineRow, 'baseline');
    const explainer = await createExplainer(loaded.model, loaded.features, loaded.family, { steps, adaptive: opts.refine !== false });
    const e = explainer.explain(x, baseline);
    return {
      modelId: loaded.modelId,
      name: loaded.name,
      version: loaded.version,
      source: opts.weightsDir !== undefined ? 'export' : 'registry',
      method: e.method,
      scale: e.scale,
      steps: e.steps,
      rule: e.rule,
      initialSteps: e.initialSteps ?? null,
      grid: e.grid ?? null,
      converged: e.converged ?? true,
      baseline: baselineRow === undefined ? 'zero' : 'given',
      baseValue: e.baseValue,
      prediction: e.prediction,
      attributions: e.attributions,
      completenessError: e.completenessError,
    };
  } finally {
    loaded.model.dispose();
  }
}

const fmt = (v: number): string => (v >= 0 ? ' ' : '') + v.toPrecision(6);

function explainText(r: ExplainResult): string {
  const ranked = [...r.attributions].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const width = Math.max(7, ...ranked.map((a) => a.feature.length));
  const how =
    r.method === 'linear-shap'
      ? 'exact linear SHAP'
      : `Integrated Gradients, ${r.steps} steps (${r.rule}${r.grid === 'adaptive' ? `, refined from ${r.initialSteps} uniform steps` : ''})`;
  return [
    `${r.name} version ${r.version} (${r.modelId}): ${how}, on the ${r.scale} scale, baseline ${r.baseline === 'given' ? 'the given row' : 'the zero row'}`,
    `  base value  ${fmt(r.baseValue)}`,
    `  prediction  ${fmt(r.prediction)}`,
    ...ranked.map((a) => `  ${a.feature.padEnd(width)}  ${fmt(a.value)}`),
    `  completeness error ${r.completenessError.toExponential(2)} (|sum - (prediction - base value)| / |prediction - base value|)`,
    ...(r.converged ? [] : [`  not within the 1% completeness target after ${r.steps} steps: read the attributions with that error in mind`]),
    '',
  ].join('\n');
}

/** Adds `explain` under `cohort model`. */
export function registerExplainCommand(model: Command): void {
  model
    .command('explain <modelId>')
    .description('explain one prediction locally: per-feature attributions, base value, prediction, completeness error (linear SHAP for logistic models, Integrated Gradients otherwise)')
    .requiredOption('--input <row.json>', 'the row to explain: a JSON object keyed by spec feature names, values in the model\'s input scale')
    .option('--baseline <row.json>', 'the baseline row (the training mean row), same form; default the all-zero design row')
    .option('--kit <dir>', 'your kit (data-scientist, operator or approver), to fetch the version from the registry as `model export` does')
    .option('--address <host:port>', 'coordinator address (default: from the kit)')
    .option('--weights-dir <dir>', 'explain offline from a `cohort model export` directory instead of the registry')
    .option('--steps <n>', `Integrated Gradients: uniform steps to start from (default ${IG_STEPS}); intervals are then bisected until completeness is within 1%, up to ${IG_MAX_STEPS} (at least n)`)
    .option('--no-refine', 'Integrated Gradients: the uniform --steps grid only, no refinement')
    .option('--allow-unapproved', 'operator only: use a version that is not approved (recorded in the audit log)')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, opts: ExplainOptions) => {
      await runCommand(opts.json, () => explainCommand(ref, opts), explainText);
    });
}
