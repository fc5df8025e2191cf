/**
 * The PHI guard: before a site reads its extract for a run, every column the spec would
 * read is checked against the HIPAA Safe Harbor identifier kinds, by its name (local and
 * spec) and by a sample of its values. A column that looks like an identifier is refused
 * unless the site policy's allow-list names it. It is a heuristic safety net against a
 * mapping mistake or a spec that asks for an identifier, not a de-identification tool.
 */
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { labelColumns } from '../../models/features.ts';
import { isMissing } from './cell-values.ts';
import type { CsvSample } from './csv-source.ts';
import type { DatasetMapping } from './dataset-mapping.ts';
import { categoriesOfName, categoriesOfValues, SAFE_HARBOR_CATEGORIES, type SafeHarborCategory } from './phi-patterns.ts';

export { SAFE_HARBOR_CATEGORIES, type SafeHarborCategory } from './phi-patterns.ts';

/** Share of sampled values a weak shape (5-digit number, long digit run) must reach to flag a column. */
const WEAK_SHAPE_SHARE = 0.5;

const sorted = (c: Iterable<SafeHarborCategory>): SafeHarborCategory[] => [...new Set(c)].sort();

/** Safe Harbor categories a column name suggests (e.g. "PATIENT_DOB" -> ["C"]), sorted; [] for ordinary clinical names. */
export function scanColumnName(name: string): SafeHarborCategory[] {
  return sorted(categoriesOfName(name));
}

/**
 * Safe Harbor categories a sample of a column's values suggests, sorted. Missing markers
 * are ignored. Strong shapes (SSN, email, phone, full date, URL, IP, "Last, First", an
 * MRN with a letter prefix, ZIP+4) flag on a single value; weak ones (a bare 5-digit
 * number, a long digit run) when at least `minShare` of the values have that shape.
 */
export function scanValues(sampleValues: readonly string[], minShare = WEAK_SHAPE_SHARE): SafeHarborCategory[] {
  const present = sampleValues.map((v) => v.trim()).filter((v) => !isMissing(v));
  return sorted(categoriesOfValues(present, minShare));
}

/** The verdict on one column the spec would read. */
export interface GuardedColumn {
  /** The spec name it feeds (the label's name, a feature's, or "split"). */
  readonly feature: string;
  /** The local column. */
  readonly column: string;
  /** Categories suggested by the local or spec name. */
  readonly byName: SafeHarborCategory[];
  /** Categories suggested by the sampled values. */
  readonly byContent: SafeHarborCategory[];
  /** True when flagged but named in the allow-list. */
  readonly allowed: boolean;
}

/** What the guard checked; fit for the site's audit log (names and letters only, no values). */
export interface PhiGuardReport {
  readonly columns: readonly GuardedColumn[];
  /** Header columns that look like identifiers and are not read (reassurance for `site check`). */
  readonly unreadIdentifierColumns: readonly string[];
}

/**
 * Checks every column the spec would read (its features, its label, the split column).
 * Throws DATA_PHI_COLUMN listing every flagged column that `allowList` (local column
 * names, from the site policy) does not name; otherwise returns the report.
 */
export function guardMapping(
  spec: Pick<ModelSpec, 'features' | 'label'>,
  mapping: Pick<DatasetMapping, 'path' | 'columns' | 'split'>,
  headerSample: CsvSample,
  allowList: readonly string[],
): PhiGuardReport {
  const allowed = new Set(allowList);
  const read: { feature: string; column: string }[] = [...spec.features.map((f) => f.name), ...labelColumns(spec)].map((feature) => ({
    feature,
    column: mapping.columns[feature] ?? feature,
  }));
  if (mapping.split) read.push({ feature: 'split', column: mapping.split.column });

  const columns = read.map(({ feature, column }): GuardedColumn => {
    const byName = sorted([...scanColumnName(column), ...(feature === 'split' ? [] : scanColumnName(feature))]);
    const byContent = scanValues(headerSample.sample[column] ?? []);
    const flagged = byName.length + byContent.length > 0;
    return { feature, column, byName, byContent, allowed: flagged && allowed.has(column) };
  });
  const refused = columns.filter((c) => c.byName.length + c.byContent.length > 0 && !c.allowed);
  if (refused.length > 0) {
    throw new CohortError(DataErrors.PHI_COLUMN, `${mapping.path}: ${refused.map(describe).join('; ')} (refused unless the site policy's PHI allow-list names the column)`, {
      details: {
        file: mapping.path,
        columns: refused.map(({ feature, column, byName, byContent }) => ({ feature, column, byName, byContent })),
      },
    });
  }
  const readColumns = new Set(read.map((r) => r.column));
  const unreadIdentifierColumns = headerSample.header.filter((h) => !readColumns.has(h) && scanColumnName(h).length > 0);
  return { columns, unreadIdentifierColumns };
}

function describe(c: GuardedColumn): string {
  const reasons = [
    ...(c.byName.length > 0 ? [`by name: ${c.byName.map(label).join(', ')}`] : []),
    ...(c.byContent.length > 0 ? [`by content: ${c.byContent.map(label).join(', ')}`] : []),
  ];
  return `column "${c.column}" (feature "${c.feature}") looks like an identifier, ${reasons.join('; ')}`;
}

const label = (c: SafeHarborCategory): string => `${c} (${SAFE_HARBOR_CATEGORIES[c]})`;
