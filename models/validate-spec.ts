/**
 * The one entry point that turns untrusted input (a file, a gRPC message) into a
 * ModelSpec: schema check listing every problem at once (cross-field rules included:
 * unique names, privacy settings that fit together), then the Keras topology check.
 * The result is frozen.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { deepFreeze } from '../core/config/load.ts';
import { CohortError, GeneralErrors, SpecErrors } from '../core/errors/index.ts';
import { cnnPlan, imageFeatureOf } from './cnn.ts';
import { inputDimOf } from './features.ts';
import { readKerasChain, DP_SGD_LAYER_CLASSES, listKerasLayers } from './keras-topology.ts';
import { ModelSpecSchema, type ModelSpec } from './spec-schema.ts';

/** One schema problem: where (`spec.features[2].type`) and what was expected. */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

type ZodIssue = z.ZodError['issues'][number];
type PathKey = PropertyKey;

/** `spec.features[2].type` from `['features', 2, 'type']`. */
function formatSpecPath(path: readonly PathKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${out}.${name}` : `${out}[${JSON.stringify(name)}]`;
  }, 'spec');
}

function valueAt(input: unknown, path: readonly PathKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** A value's kind for messages; never the value itself. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const quoteAll = (values: readonly unknown[]): string => values.map((v) => JSON.stringify(v)).join(' | ');

function describe(issue: ZodIssue, input: unknown): string {
  const here = valueAt(input, issue.path);
  const missing = here === undefined;
  const expecting = (what: string): string => (missing ? `required; expected ${what}` : `expected ${what}`);
  switch (issue.code) {
    case 'invalid_type':
      return missing ? `required; expected ${issue.expected}` : `expected ${issue.expected}, received ${kindOf(here)}`;
    case 'invalid_value':
      return expecting(quoteAll(issue.values));
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options) && options.length > 0) return expecting(quoteAll(options));
      const expected = issue.errors.flat().flatMap((e) => (e.code === 'invalid_type' ? [e.expected] : []));
      return expected.length > 0 ? expecting([...new Set(expected)].join(' | ')) : issue.message;
    }
    case 'too_small':
    case 'too_big':
      return issue.message.replace(/^Too (small|big): /, '');
    default:
      return issue.message;
  }
}

/** Flattens zod issues into one issue per field (an unknown key becomes its own path). */
function toSpecIssues(issues: readonly ZodIssue[], input: unknown): SpecIssue[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatSpecPath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: formatSpecPath(issue.path), message: describe(issue, input) }],
  );
}

/**
 * Cross-field rules, checked on the raw input so that they are reported together with
 * every schema problem (zod skips refinements once another field failed).
 */
function duplicateNameIssues(input: unknown): SpecIssue[] {
  const features = valueAt(input, ['features']);
  if (!Array.isArray(features)) return [];
  const seen = new Set<string>();
  const out: SpecIssue[] = [];
  features.forEach((f, i) => {
    const name = valueAt(f, ['name']);
    if (typeof name !== 'string') return;
    if (seen.has(name)) out.push({ path: formatSpecPath(['features', i, 'name']), message: `duplicate feature "${name}"` });
    seen.add(name);
  });
  if (seen.has(valueAt(input, ['label', 'name']) as string)) {
    out.push({ path: 'spec.label.name', message: 'the label cannot also be a feature' });
  }
  for (const key of ['time', 'event']) {
    if (seen.has(valueAt(input, ['label', key]) as string)) out.push({ path: `spec.label.${key}`, message: `the label's ${key} column cannot also be a feature` });
  }
  const time = valueAt(input, ['label', 'time']);
  if (typeof time === 'string' && time === valueAt(input, ['label', 'event'])) {
    out.push({ path: 'spec.label.event', message: 'expected another column than spec.label.time' });
  }
  return out;
}

/**
 * The survival family and the survival label go together, and each family has its own loss:
 * cox-ph trains on the partial likelihood (absent `loss` becomes cox-partial-likelihood),
 * every other family on binary cross-entropy.
 */
function survivalIssues(input: unknown): SpecIssue[] {
  const family = valueAt(input, ['model', 'family']);
  const labelType = valueAt(input, ['label', 'type']);
  const loss = valueAt(input, ['loss']);
  const out: SpecIssue[] = [];
  if (family === 'cox-ph' && typeof labelType === 'string' && labelType !== 'survival') {
    out.push({ path: 'spec.label.type', message: 'expected "survival" (with "time" and "event" columns) for model family "cox-ph"' });
  }
  if (labelType === 'survival' && typeof family === 'string' && family !== 'cox-ph') {
    out.push({ path: 'spec.label.type', message: `a survival label needs model family "cox-ph", not "${family}"` });
  }
  if (family === 'cox-ph' && loss === 'binary-crossentropy') {
    out.push({ path: 'spec.loss', message: 'expected "cox-partial-likelihood" (or no loss) for model family "cox-ph"' });
  }
  if (labelType === 'survival' && valueAt(input, ['fairness']) !== undefined) {
    out.push({ path: 'spec.fairness', message: 'subgroup fairness is computed for binary labels only, not a survival label' });
  }
  const features = valueAt(input, ['features']);
  if (valueAt(input, ['explanations', 'global']) !== false && valueAt(input, ['explanations']) !== undefined && Array.isArray(features) && features.some((f) => (f as { type?: unknown } | null)?.type === 'image')) {
    out.push({ path: 'spec.explanations', message: 'global explanations are summed for tabular features only, not an image feature' });
  }
  if (valueAt(input, ['fairness']) !== undefined && Array.isArray(features) && features.some((f) => (f as { type?: unknown } | null)?.type === 'image')) {
    out.push({ path: 'spec.fairness', message: 'fairness attributes are read from a table; a spec with an image feature cannot name them' });
  }
  if (typeof family === 'string' && family !== 'cox-ph' && loss === 'cox-partial-likelihood') {
    out.push({ path: 'spec.loss', message: `"cox-partial-likelihood" needs model family "cox-ph", not "${family}"` });
  }
  return out;
}

/**
 * Call when record-level DP is asked for. Throws COHORT_E_SPEC_DP_UNSUPPORTED_MODEL for a cox-ph model: DP-SGD
 * clips each example's gradient, but the partial likelihood has no per-example gradient of
 * one patient's own (each event's term sums over its whole risk set), so clipping would
 * bound nothing. Site-level DP clips a site's whole update and stays allowed.
 */
export function assertRecordDpApplies(spec: Pick<ModelSpec, 'model'>): void {
  if (spec.model.family !== 'cox-ph') return;
  throw new CohortError(
    SpecErrors.DP_UNSUPPORTED_MODEL,
    'spec.privacy.record: record-level DP (DP-SGD) does not apply to model family "cox-ph": the partial likelihood couples the patients of each risk set, ' +
      'so a patient has no gradient of their own to clip; remove spec.privacy.record and use site-level DP (spec.privacy.site)',
    { details: { path: 'spec.privacy.record', family: 'cox-ph' } },
  );
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Privacy rules that span fields: a `privacy` block that asks for nothing; DP-SGD on a
 * layer whose per-example gradient it does not clip (BatchNormalization's moving
 * statistics also come from raw batch statistics); an adaptive clip cap below the initial
 * clip norm; a count noise too small for the update noise to exist.
 */
function privacyIssues(input: unknown): SpecIssue[] {
  const privacy = valueAt(input, ['privacy']);
  if (!isObject(privacy)) return [];
  const out: SpecIssue[] = [];
  const record = valueAt(privacy, ['record']);
  const site = valueAt(privacy, ['site']);
  if (record === undefined && site === undefined) {
    out.push({ path: 'spec.privacy', message: 'expected at least one of "record" or "site" (omit "privacy" for no differential privacy)' });
  }
  if (isObject(record) && valueAt(input, ['model', 'family']) === 'keras') {
    for (const layer of listKerasLayers(valueAt(input, ['model', 'topology']))) {
      if (DP_SGD_LAYER_CLASSES.includes(layer.className)) continue;
      out.push({
        path: 'spec.model.topology',
        message:
          `layer ${layer.index} (${layer.className} "${layer.name}") is not allowed with spec.privacy.record: ` +
          `record-level privacy needs every trainable layer to be Dense`,
      });
    }
  }
  const clipNorm = valueAt(site, ['clipNorm']);
  const noiseMultiplier = valueAt(site, ['noiseMultiplier']);
  const maxClipNorm = valueAt(site, ['adaptive', 'maxClipNorm']);
  const countNoise = valueAt(site, ['adaptive', 'countNoiseMultiplier']);
  if (typeof maxClipNorm === 'number' && typeof clipNorm === 'number' && maxClipNorm < clipNorm) {
    out.push({ path: 'spec.privacy.site.adaptive.maxClipNorm', message: `expected at least spec.privacy.site.clipNorm (${clipNorm}), the initial clip norm` });
  }
  // Andrew et al. 2021: the update noise multiplier is (z^-2 - (2 sigma_b)^-2)^(-1/2), real only when 2 sigma_b > z.
  if (typeof countNoise === 'number' && typeof noiseMultiplier === 'number' && countNoise > 0 && !(2 * countNoise > noiseMultiplier)) {
    out.push({
      path: 'spec.privacy.site.adaptive.countNoiseMultiplier',
      message: `expected more than half of spec.privacy.site.noiseMultiplier (${noiseMultiplier / 2}): the clipped-count noise takes part of the site-level budget`,
    });
  }
  return out;
}

/**
 * Validates a model spec. Throws COHORT_E_SPEC_INVALID listing every schema problem
 * (details.issues = [{path, message}]), then COHORT_E_SPEC_DP_UNSUPPORTED_MODEL for
 * record-level DP on cox-ph, then COHORT_E_SPEC_UNSUPPORTED_LAYER or
 * COHORT_E_SPEC_KERAS_SHAPE for a Keras topology Cohort cannot train.
 * @param source names the input in messages (a file path, "run 12").
 */
export function parseSpec(input: unknown, source?: string): ModelSpec {
  const result = ModelSpecSchema.safeParse(input);
  const issues = [
    ...(result.success ? [] : toSpecIssues(result.error.issues, input)),
    ...duplicateNameIssues(input),
    ...privacyIssues(input),
    ...survivalIssues(input),
  ];
  if (!result.success || issues.length > 0) {
    const what = source === undefined ? 'model spec' : `model spec ${source}`;
    const lines = issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
    throw new CohortError(SpecErrors.INVALID, `${what} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`, {
      details: { issues, ...(source === undefined ? {} : { source }) },
    });
  }
  const spec = structuredClone(result.data as ModelSpec);
  if (spec.model.family === 'cox-ph' && valueAt(input, ['loss']) === undefined) spec.loss = 'cox-partial-likelihood';
  if (spec.privacy?.record !== undefined) assertRecordDpApplies(spec);
  if (spec.model.family === 'keras') readKerasChain(spec.model.topology, inputDimOf(spec));
  imageFeatureOf(spec);
  if (spec.model.family === 'cnn') cnnPlan(spec);
  return deepFreeze(spec);
}

/**
 * Reads and validates a spec file, YAML or JSON (JSON is read as YAML 1.2, which it is
 * a subset of, so both report syntax errors with a line and column).
 */
export function loadSpecFile(path: string): ModelSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CohortError(GeneralErrors.FILE_NOT_FOUND, `model spec file ${path} cannot be read (${reason})`, { cause, details: { path } });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = lineCounter.linePos(e.pos[0]);
      return `line ${at.line}, column ${at.col}: ${e.message}`;
    });
    throw new CohortError(SpecErrors.SYNTAX, `model spec file ${path} is not valid YAML or JSON:\n  ${problems.join('\n  ')}`, {
      details: { path, problems },
    });
  }
  return parseSpec(doc.toJS({ maxAliasCount: 100 }), path);
}
