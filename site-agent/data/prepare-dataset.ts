/**
 * Turns a site's extract into the train and test matrices local training uses:
 * PHI guard on the mapped columns, a streaming read of only those columns, encoding to the
 * spec's design matrix, the train/test split, standardisation with this site's training
 * statistics, and the dataset fingerprint the model's provenance records.
 */
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import { designColumns, labelColumns, type Matrix } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { readCsvRows, readCsvSample, type CsvSourceOptions, type SourceRow } from './csv-source.ts';
import type { DatasetMapping, SplitColumn } from './dataset-mapping.ts';
import { encodeRow, matrixOf, type EncodedRow } from './encode-rows.ts';
import { fairnessColumns } from '../../models/fairness.ts';
import { groupIndex } from './fairness-groups.ts';
import { datasetFingerprint } from './fingerprint.ts';
import { ColumnScanner, guardMapping, guardVerdicts, readColumns, type ColumnVerdict, type PhiGuardReport } from './phi-guard.ts';
import { seededTestMask } from './split.ts';
import { standardize, standardizedColumns } from './standardize.ts';

/** Rows of each mapped column the PHI guard samples before the full read (a quick refusal; the full read is judged too). */
export const PHI_SAMPLE_ROWS = 200;

/** The parts of a spec that preparing a dataset reads. */
export type DatasetSpec = Pick<ModelSpec, 'features' | 'label' | 'seed' | 'testFraction'> & Partial<Pick<ModelSpec, 'fairness'>>;

export interface PrepareDatasetOptions {
  readonly spec: DatasetSpec;
  readonly mapping: DatasetMapping;
  /** Local column names the site policy allows even though they look like identifiers. */
  readonly phiAllowList?: readonly string[];
  /** The site's secret fingerprint key (HeKeyStore.datasetFingerprintKey). */
  readonly fingerprintKey: Buffer;
}

/** A site's data, ready for local training. Holds no raw value and no identifier. */
export interface PreparedDataset {
  /** Standardised training split, columns as `designColumns(spec)`. */
  readonly train: Matrix;
  /** Test split, standardised with the training split's statistics. */
  readonly test: Matrix;
  /** The design columns, in order. */
  readonly columns: string[];
  /** Per fairness attribute of the spec (in its order), each test row's group index (fairness-groups.ts); empty without fairness. */
  readonly testGroups: Int32Array[];
  /** Rows dropped for a missing value in a column the spec uses. */
  readonly droppedRows: number;
  /** Hex HMAC-SHA256, under the site's fingerprint key, of the training matrix and columns (see fingerprint.ts). */
  readonly fingerprint: string;
  /** What the PHI guard checked, for the site's audit log. */
  readonly phiGuard: PhiGuardReport;
}

/**
 * Prepares the site's dataset for a spec. Throws a CohortError (DATA_*, or
 * GENERAL_FILE_NOT_FOUND) naming the file, line and column; no value ever appears in it.
 */
export async function prepareDataset(options: PrepareDatasetOptions): Promise<PreparedDataset> {
  const { spec, mapping } = options;
  const source: CsvSourceOptions = {
    path: mapping.path,
    need: [...spec.features.map((f) => f.name), ...labelColumns(spec), ...fairnessColumns(spec)],
    // An evaluation-only attribute's missing value does not drop the row: it is the attribute's "unrecorded" group.
    optional: fairnessColumns(spec),
    columns: mapping.columns,
    ...(mapping.split ? { splitColumn: mapping.split.column } : {}),
  };

  // A quick refusal on the first rows, before the full read parses and encodes the file.
  guardMapping(spec, mapping, await readCsvSample(source, PHI_SAMPLE_ROWS), options.phiAllowList ?? []);

  const rows: EncodedRow[] = [];
  const isTest: boolean[] = [];
  // Fairness attributes are read for evaluation only: a group index per test row, never a design column.
  const attributes = spec.fairness?.attributes ?? [];
  const attributeCells: { line: number; cells: Record<string, string> }[] = [];
  const context = { file: mapping.path, columns: mapping.columns };
  const guard = fullReadGuard(spec, mapping);
  const { header, droppedRows } = await readCsvRows(source, (row) => {
    guard.add(row);
    rows.push(encodeRow(spec, row, context));
    if (attributes.length > 0) attributeCells.push({ line: row.line, cells: Object.fromEntries(attributes.map((a) => [a.name, row.cells[a.name] ?? ''])) });
    if (mapping.split) isTest.push(splitSide(mapping.path, mapping.split, row.line, row.split ?? ''));
  });
  // Every cell of every read column judged, not only the sample: an age of 93 in the last row is refused here, before training.
  const phiGuard = guardVerdicts(spec, mapping, header, guard.verdictOf, options.phiAllowList ?? []);

  const testMask = mapping.split ? isTest : seededTestMask(rows.length, spec.testFraction, spec.seed);
  const columns = designColumns(spec);
  const trainRows = rows.filter((_, i) => !testMask[i]);
  const testRows = rows.filter((_, i) => testMask[i]);
  requireRows(mapping.path, rows.length, trainRows.length, testRows.length, droppedRows);

  const scaled = standardize(matrixOf(trainRows, columns.length), matrixOf(testRows, columns.length), standardizedColumns(spec));
  return {
    train: scaled.train,
    test: scaled.test,
    columns,
    testGroups: attributes.map((a) => Int32Array.from(attributeCells.filter((_, i) => testMask[i]).map((row) => groupIndex(a, row)))),
    droppedRows,
    fingerprint: datasetFingerprint(scaled.train, columns, options.fingerprintKey),
    phiGuard,
  };
}

/**
 * A `ColumnScanner` per local column the spec reads, fed every kept row of the full read
 * (a local column that feeds two spec names is fed once per row).
 */
export function fullReadGuard(spec: Pick<ModelSpec, 'features' | 'label'> & Partial<Pick<ModelSpec, 'fairness'>>, mapping: Pick<DatasetMapping, 'columns' | 'split'>): {
  add(row: SourceRow): void;
  verdictOf(column: string): ColumnVerdict;
} {
  const scanners = new Map<string, { feature: string; scanner: ColumnScanner }>();
  for (const { feature, column } of readColumns(spec, mapping)) if (!scanners.has(column)) scanners.set(column, { feature, scanner: new ColumnScanner(column) });
  const splitColumn = mapping.split?.column;
  return {
    add(row) {
      for (const [column, { feature, scanner }] of scanners) scanner.add(column === splitColumn && feature === 'split' ? (row.split ?? '') : (row.cells[feature] ?? ''));
    },
    verdictOf: (column) => scanners.get(column)?.scanner.verdict() ?? { suspected: [], reasons: [] },
  };
}

/** True for a test row; throws DATA_SPLIT_VALUE_UNKNOWN for anything but the two configured values. */
function splitSide(path: string, split: SplitColumn, line: number, cell: string): boolean {
  if (cell === split.test) return true;
  if (cell === split.train) return false;
  throw new CohortError(
    DataErrors.SPLIT_VALUE_UNKNOWN,
    `${path} line ${line}, column "${split.column}": expected "${split.train}" or "${split.test}" (the value is not shown)`,
    { details: { file: path, row: line, column: split.column, allowed: [split.train, split.test] } },
  );
}

function requireRows(path: string, total: number, train: number, test: number, droppedRows: number): void {
  if (total > 0 && train > 0 && test > 0) return;
  const what = total === 0 ? 'no usable row' : train === 0 ? 'an empty training split' : 'an empty test split';
  throw new CohortError(DataErrors.EMPTY, `${path}: ${what} (${total} rows kept, ${droppedRows} dropped for missing values; expected at least one row in each split)`, {
    details: { file: path, rows: total, trainRows: train, testRows: test, droppedRows },
  });
}
