/**
 * The PHI guard: before a site reads its extract for a run, every column the spec would
 * read is checked against the HIPAA Safe Harbor identifier kinds, by its name (local and
 * spec) and by a sample of its values. A column that looks like an identifier is refused
 * unless the site policy's allow-list names it. It is a heuristic safety net against a
 * mapping mistake or a spec that asks for an identifier, not a de-identification tool.
 */
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import { fairnessColumns } from '../../models/fairness.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { labelColumns } from '../../models/features.ts';
import { isMissing, parseDecimal } from './cell-values.ts';
import type { DatasetMapping } from './dataset-mapping.ts';
import { ageUnitDays, categoriesOfName, codeShapeOfName, isCodeIdName, isClinicalCodeColumnName, isZipColumnName, matchesOfName, SAFE_HARBOR_CATEGORIES, type SafeHarborCategory } from './phi-patterns.ts';
import { NAME_CONTENT_RULES } from './phi-person-names.ts';
import { SHAPE_RULES, type ContentRule } from './phi-shapes.ts';

export { SAFE_HARBOR_CATEGORIES, type SafeHarborCategory } from './phi-patterns.ts';

/** Share of present cells a `share` rule (a bare 5-digit number, a long digit run, ...) must reach to flag a column. */
const WEAK_SHAPE_SHARE = 0.5;

/** Every content rule: names first, then the other kinds in letter order. */
const CONTENT_RULES: readonly ContentRule[] = [...NAME_CONTENT_RULES, ...SHAPE_RULES];

/**
 * 3-digit ZIP prefixes whose areas held 20,000 people or fewer at the 2000 census; Safe
 * Harbor requires them to be written 000 (HHS, "Guidance Regarding Methods for
 * De-identification of PHI", 2012, section 3.4).
 */
export const RESTRICTED_ZIP3: ReadonlySet<string> = new Set(['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893']);

/** Fewest present cells for the unique-code rule: fewer distinct codes say nothing. */
const UNIQUE_CODE_MIN_CELLS = 20;

const sorted = (c: Iterable<SafeHarborCategory>): SafeHarborCategory[] => [...new Set(c)].sort();

/** Why a column is suspected: the kind, whether by its name or its cells, and the rule in words. Never a value. */
export interface PhiReason {
  readonly kind: SafeHarborCategory;
  readonly by: 'name' | 'content';
  /** Stable rule name (`column-name`, `phone`, `first-last`, `age-over-89`, ...). */
  readonly rule: string;
  /** The rule in words. */
  readonly why: string;
  /** How many cells matched (content rules only). */
  readonly cells?: number;
}

/** The guard's verdict on one column. */
export interface ColumnVerdict {
  /** Safe Harbor kinds suspected, sorted; empty when the column looks clean. */
  readonly suspected: SafeHarborCategory[];
  readonly reasons: PhiReason[];
}

/** Safe Harbor categories a column name suggests (e.g. "PATIENT_DOB" -> ["C"]), sorted; [] for ordinary clinical names. */
export function scanColumnName(name: string): SafeHarborCategory[] {
  return sorted(categoriesOfName(name));
}

const present = (cells: readonly string[]): string[] => cells.map((v) => v.trim()).filter((v) => !isMissing(v));

/**
 * The content rules over a stream of cells, one cell at a time, so that a whole extract can
 * be judged without holding it: counts of matching cells per rule, and for `share` rules
 * the different matching values up to the rule's minimum.
 */
class ContentTally {
  private cells = 0;
  private readonly matches = CONTENT_RULES.map(() => 0);
  private readonly distinct = CONTENT_RULES.map(() => new Set<string>());

  constructor(private readonly strongOnly: boolean) {}

  /** Adds one present, trimmed cell. */
  add(v: string): void {
    this.cells++;
    const digit = /\d/.test(v);
    const capital = /[A-Z]/.test(v);
    CONTENT_RULES.forEach((rule, i) => {
      if (this.strongOnly && rule.strength === 'share') return;
      if ((rule.needs === 'digit' && !digit) || (rule.needs === 'capital' && !capital) || !rule.test(v)) return;
      this.matches[i]!++;
      const seen = this.distinct[i]!;
      if (rule.strength === 'share' && seen.size < (rule.minDistinct ?? 1)) seen.add(v);
    });
  }

  /** The rules that fire; `total` is the column's present cells when this tally saw only some of them. */
  reasons(minShare: number, total = this.cells): PhiReason[] {
    if (this.cells === 0) return [];
    const reasons: PhiReason[] = [];
    CONTENT_RULES.forEach((rule, i) => {
      const matching = this.matches[i]!;
      const fires = rule.strength === 'any' ? matching > 0 : matching / total >= minShare && this.distinct[i]!.size >= (rule.minDistinct ?? 1);
      if (fires) reasons.push({ kind: rule.category, by: 'content', rule: rule.rule, why: rule.why, cells: matching });
    });
    // The any-case name-column rule restates what a whole-cell name rule already said.
    const wholeName = reasons.some((r) => r.rule === 'first-last' || r.rule === 'last-comma-first');
    return wholeName ? reasons.filter((r) => r.rule !== 'name-column') : reasons;
  }
}

/** The content rules that fire on these (present, trimmed) cells, with their counts. */
function contentReasons(cells: readonly string[], minShare: number, strongOnly = false): PhiReason[] {
  const tally = new ContentTally(strongOnly);
  for (const v of cells) tally.add(v);
  return tally.reasons(minShare);
}

/**
 * True when a header cell looks like a patient's value rather than a column name: a
 * number, or a cell any one-cell content rule flags (a date, a name, a phone, an SSN, ...).
 * A file without a header line would otherwise have its first row shown as column names.
 */
export function headerCellIsData(cell: string): boolean {
  const v = cell.trim();
  if (v === '') return false;
  if (parseDecimal(v) !== undefined) return true;
  const digit = /\d/.test(v);
  const capital = /[A-Z]/.test(v);
  return CONTENT_RULES.some((rule) => rule.strength === 'any' && !(rule.needs === 'digit' && !digit) && !(rule.needs === 'capital' && !capital) && rule.test(v));
}

/**
 * Safe Harbor categories a sample of a column's values suggests, sorted. Missing markers
 * are ignored. Strong shapes flag on a single cell, in a whole cell or inside free text;
 * weak ones (a bare 5-digit number, a long digit run, a column of single first names)
 * when at least `minShare` of the cells have that shape.
 */
export function scanValues(sampleValues: readonly string[], minShare = WEAK_SHAPE_SHARE): SafeHarborCategory[] {
  return sorted(contentReasons(present(sampleValues), minShare).map((r) => r.kind));
}

const ICD10 = /^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$/;
const CODE = /^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9][A-Za-z0-9_-]{5,}$/;

/**
 * The full verdict on one column, from its name and its cells together: the name rules,
 * the content rules, and the rules that need both (ages over 89 in an age column, the
 * 3-digit ZIP rule) or the whole column (every cell a different code).
 */
export function scanColumn(name: string, cells: readonly string[], minShare = WEAK_SHAPE_SHARE): ColumnVerdict {
  const scanner = new ColumnScanner(name, minShare);
  for (const cell of cells) scanner.add(cell);
  return scanner.verdict();
}

/** Content reasons of two tallies of one column: each rule once, its cells added. */
function mergeReasons(a: readonly PhiReason[], b: readonly PhiReason[]): PhiReason[] {
  const merged = [...a];
  for (const r of b) {
    const i = merged.findIndex((m) => m.rule === r.rule);
    if (i < 0) merged.push(r);
    else merged[i] = { ...merged[i]!, cells: (merged[i]!.cells ?? 0) + (r.cells ?? 0) };
  }
  return merged.sort((x, y) => CONTENT_RULES.findIndex((c) => c.rule === x.rule) - CONTENT_RULES.findIndex((c) => c.rule === y.rule));
}

const DICOM_AGE_DAYS: Readonly<Record<string, number>> = { y: 365.25, m: 365.25 / 12, w: 7, d: 1 };

/**
 * True for an age cell of 90 years or more: a number in the column's unit (AGE_MONTHS of
 * 1,100 is 91 years), "92 y", "92 years", DICOM "092Y" or "1100M", or a range or bound that
 * starts past 89 ("90-94", "95+", ">=95"). The one category Safe Harbor allows, "90+"
 * (also "≥90", ">=90", ">89"), passes.
 */
function isOver89(v: string, unitDays: number): boolean {
  const years = (n: number, days: number): number => (n * days) / 365.25;
  if (v !== '' && Number.isFinite(Number(v))) return years(Number(v), unitDays) >= 90;
  const unit = /^(\d{1,4})\s*(y|yrs?|years?|m|mos?|months?|w|wks?|weeks?|d|days?)$/i.exec(v);
  if (unit) return years(Number(unit[1]), DICOM_AGE_DAYS[(unit[2] ?? 'y')[0]!.toLowerCase()] ?? 365.25) >= 90;
  const range = /^(\d{2,3})\s*(?:-|–|to)\s*\d{2,3}$/.exec(v);
  if (range) return years(Number(range[1]), unitDays) >= 90;
  const bound = /^(?:(\d{2,3})\s*\+|(>=|≥|>)\s*(\d{2,3}))$/.exec(v);
  if (bound) {
    const n = Number(bound[1] ?? bound[3]);
    const from = bound[2] === '>' ? n + 1 : n;
    return years(from, unitDays) > 90;
  }
  return false;
}

/**
 * `scanColumn` one cell at a time: the same verdict without holding the column, so that a
 * run judges every cell of every column it reads during its one full read of the extract
 * (not a sample of the first rows).
 */
export class ColumnScanner {
  private readonly codes: boolean;
  /** For a code-system column, whether a cell has that system's code shape. */
  private readonly codeShape: ((cell: string) => boolean) | undefined;
  /** Cells of a code-system column that have the code shape: judged by strong shapes only. */
  private readonly codeTally = new ContentTally(true);
  /** Days per unit of an age column's numbers; undefined for other columns. */
  private readonly ageUnit: number | undefined;
  private readonly zipName: boolean;
  private readonly tally: ContentTally;
  private present = 0;
  private old = 0;
  private allZip3 = true;
  /** Every present cell a number from -1 to 1 (a sine or cosine encoding such as "hour_sin", not a social insurance number). */
  private allUnit = true;
  private restricted = 0;
  /** The different cells while every cell so far is a code; undefined once one is not. */
  private uniqueCodes: Set<string> | undefined = new Set();

  constructor(
    readonly name: string,
    private readonly minShare = WEAK_SHAPE_SHARE,
  ) {
    this.codes = isClinicalCodeColumnName(name);
    this.codeShape = codeShapeOfName(name);
    this.ageUnit = ageUnitDays(name);
    this.zipName = isZipColumnName(name);
    // A column named for a clinical code system (CPT, SNOMED CT, NDC, ...) holds bare numbers shaped like ZIPs and
    // record numbers: its cells with that system's code shape are judged by strong shapes only, every other cell by every rule.
    this.tally = new ContentTally(false);
  }

  /** Adds one cell (missing markers are skipped). */
  add(cell: string): void {
    const v = cell.trim();
    if (isMissing(v)) return;
    this.present++;
    if (this.codeShape?.(v) === true) this.codeTally.add(v);
    else this.tally.add(v);
    if (this.ageUnit !== undefined && isOver89(v, this.ageUnit)) this.old++;
    if (this.allUnit && !(Math.abs(Number(v)) <= 1)) this.allUnit = false;
    if (this.zipName) {
      if (!/^\d{3}$/.test(v)) this.allZip3 = false;
      else if (RESTRICTED_ZIP3.has(v)) this.restricted++;
    }
    if (this.uniqueCodes !== undefined && !this.codes) {
      if (!CODE.test(v) || ICD10.test(v)) this.uniqueCodes = undefined;
      else if (this.uniqueCodes.has(v)) this.uniqueCodes = undefined;
      else this.uniqueCodes.add(v);
    }
  }

  verdict(): ColumnVerdict {
    const zip3 = this.zipName && this.present > 0 && this.allZip3;
    const reasons: PhiReason[] = matchesOfName(this.name)
      // A column of 3-digit ZIP prefixes is what Safe Harbor allows: the prefixes are judged below, not the name.
      .filter((m) => !(zip3 && m.category === 'B'))
      // "SNOMED_ID", "LOINC_ID": the id of a code in a code system, not of a person.
      .filter((m) => !(isCodeIdName(this.name) && m.category === 'R'))
      // "hour_sin" holding numbers from -1 to 1 is a sine, not a social insurance number.
      .filter((m) => !(m.word === 'sin' && this.present > 0 && this.allUnit))
      .map((m) => ({ kind: m.category, by: 'name' as const, rule: 'column-name', why: `the column name has the identifier word "${m.word}"` }));
    reasons.push(...mergeReasons(this.tally.reasons(this.minShare, this.present), this.codeTally.reasons(this.minShare, this.present)));
    if (this.old > 0) reasons.push({ kind: 'C', by: 'content', rule: 'age-over-89', why: 'an age column with ages of 90 or more (Safe Harbor allows them only as one category, 90 or older)', cells: this.old });
    if (zip3 && this.restricted > 0) {
      reasons.push({ kind: 'B', by: 'content', rule: 'zip3-restricted', why: '3-digit ZIP prefixes of areas of 20,000 people or fewer, which Safe Harbor requires to be 000', cells: this.restricted });
    }
    if (!this.codes && this.uniqueCodes !== undefined && this.present >= UNIQUE_CODE_MIN_CELLS) {
      reasons.push({ kind: 'R', by: 'content', rule: 'unique-code', why: 'every cell is a different code of letters and digits (a unique identifying code)', cells: this.present });
    }
    reasons.sort((a, b) => a.kind.localeCompare(b.kind) || (a.by === b.by ? 0 : a.by === 'name' ? -1 : 1));
    return { suspected: sorted(reasons.map((r) => r.kind)), reasons };
  }
}

/**
 * Content rules for identifiers with an unmistakable shape (a social security number, an
 * email address, a phone or card number, ...): a bare allow-list entry does not silence them.
 */
export const STRONG_RULES: ReadonlySet<string> = new Set(['ssn', 'email', 'phone', 'fax', 'card-number', 'card-number-bare', 'iban', 'medicare-mbi', 'vin', 'url', 'ipv4', 'ipv6', 'mac-address', 'uuid', 'hash']);

/**
 * Whether the site policy's PHI allow-list covers every reason a column was flagged for.
 * An entry `COLUMN:K` (or `COLUMN:K,L`) allows those Safe Harbor kinds in that column,
 * strong shapes included; a bare `COLUMN` allows its findings by name and every content
 * finding but a strong shape (STRONG_RULES), so an allow-listed charges column holding a
 * social security number is still refused.
 */
export function allowListCovers(allowList: readonly string[], column: string, reasons: readonly PhiReason[]): boolean {
  const kinds = new Set<string>();
  let bare = false;
  for (const entry of allowList) {
    if (entry === column) bare = true;
    const m = /^(.*):([A-R](?:,[A-R])*)$/.exec(entry);
    if (m && m[1] === column) for (const k of (m[2] ?? '').split(',')) kinds.add(k);
  }
  return reasons.every((r) => kinds.has(r.kind) || (bare && !(r.by === 'content' && STRONG_RULES.has(r.rule))));
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
  /** Why, rule by rule (no value). */
  readonly reasons: readonly PhiReason[];
  /** True when flagged and the allow-list covers every reason (see allowListCovers). */
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
  spec: Pick<ModelSpec, 'features' | 'label'> & Partial<Pick<ModelSpec, 'fairness'>>,
  mapping: Pick<DatasetMapping, 'path' | 'columns' | 'split'>,
  // csv-source.ts's CsvSample, written out: csv-source imports this module for its header check.
  headerSample: { readonly header: readonly string[]; readonly sample: Readonly<Record<string, readonly string[]>> },
  allowList: readonly string[],
): PhiGuardReport {
  return guardVerdicts(spec, mapping, headerSample.header, (column) => scanColumn(column, headerSample.sample[column] ?? []), allowList);
}

/** The local columns a spec reads through a mapping: each feature's, the label's, each fairness attribute's, and the split column. */
export function readColumns(spec: Pick<ModelSpec, 'features' | 'label'> & Partial<Pick<ModelSpec, 'fairness'>>, mapping: Pick<DatasetMapping, 'columns' | 'split'>): { feature: string; column: string }[] {
  const read: { feature: string; column: string }[] = [...spec.features.map((f) => f.name), ...labelColumns(spec), ...fairnessColumns(spec)].map((feature) => ({
    feature,
    column: mapping.columns[feature] ?? feature,
  }));
  if (mapping.split) read.push({ feature: 'split', column: mapping.split.column });
  return read;
}

/**
 * `guardMapping` with each read column's verdict given (a `ColumnScanner`'s, after a full
 * read of the extract). Throws DATA_PHI_COLUMN as `guardMapping` does.
 */
export function guardVerdicts(
  spec: Pick<ModelSpec, 'features' | 'label'> & Partial<Pick<ModelSpec, 'fairness'>>,
  mapping: Pick<DatasetMapping, 'path' | 'columns' | 'split'>,
  header: readonly string[],
  verdictOf: (column: string) => ColumnVerdict,
  allowList: readonly string[],
): PhiGuardReport {
  const read = readColumns(spec, mapping);
  const columns = read.map(({ feature, column }): GuardedColumn => {
    const verdict = verdictOf(column);
    const featureReasons: PhiReason[] =
      feature === 'split' || feature === column
        ? []
        : matchesOfName(feature).map((m) => ({ kind: m.category, by: 'name', rule: 'feature-name', why: `the spec's feature name has the identifier word "${m.word}"` }));
    const reasons = [...verdict.reasons, ...featureReasons];
    const byName = sorted(reasons.filter((r) => r.by === 'name').map((r) => r.kind));
    const byContent = sorted(reasons.filter((r) => r.by === 'content').map((r) => r.kind));
    const flagged = byName.length + byContent.length > 0;
    return { feature, column, byName, byContent, reasons, allowed: flagged && allowListCovers(allowList, column, reasons) };
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
  const readSet = new Set(read.map((r) => r.column));
  const unreadIdentifierColumns = header.filter((h) => !readSet.has(h) && scanColumnName(h).length > 0);
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
