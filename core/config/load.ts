/**
 * Loading of YAML configuration files: read, parse, validate against one strict zod
 * schema, report every problem at once, and hand back a frozen value. Every config
 * file of Cohort (consortium file, site config, kits) goes through `loadYamlFile`.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { CohortError, ConfigErrors, GeneralErrors } from '../errors/index.ts';

/** Renders an issue path the way a reader writes it: `sites[1].name`; the root is `(root)`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

/**
 * One `path: message` line per problem. Unknown keys get one line each, at the key's
 * own path, because that is where the reader has to look.
 */
export function formatZodIssues(error: z.ZodError): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) lines.push(`${formatIssuePath([...issue.path, key])}: unknown field`);
    } else {
      lines.push(`${formatIssuePath(issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}

/** Deep-freezes a parsed config so that no component can change it behind another's back. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validates already-parsed data against `schema`. `source` names where the data came
 * from (a file path) and `what` what it is ("consortium file"), for the message.
 */
export function parseConfig<S extends z.ZodType>(data: unknown, schema: S, what: string, source: string): z.output<S> {
  const result = schema.safeParse(data);
  if (!result.success) {
    const problems = formatZodIssues(result.error);
    throw new CohortError(
      ConfigErrors.INVALID,
      `${what} ${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
      { details: { file: source, problems } },
    );
  }
  return deepFreeze(result.data);
}

/** Parses YAML text; syntax errors become COHORT_E_CONFIG_YAML with line and column. */
function parseYamlText(text: string, what: string, source: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return `line ${pos.line}, column ${pos.col}: ${e.message}`;
    });
    throw new CohortError(ConfigErrors.YAML, `${what} ${source} is not valid YAML:\n  ${problems.join('\n  ')}`, {
      details: { file: source, problems },
    });
  }
  return doc.toJS();
}

/**
 * Reads a YAML file and validates it against a zod schema. Throws
 * COHORT_E_GENERAL_FILE_NOT_FOUND, COHORT_E_CONFIG_YAML or COHORT_E_CONFIG_INVALID
 * (the latter listing every problem, each with its path).
 */
export function loadYamlFile<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CohortError(GeneralErrors.FILE_NOT_FOUND, `${what} ${path} does not exist`, { details: { file: path }, cause: e });
    }
    throw e;
  }
  return parseConfig(parseYamlText(text, what, path), schema, what, path);
}
