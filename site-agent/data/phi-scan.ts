/**
 * Scans a whole CSV extract, every column, for Safe Harbor identifiers (`cohort phi scan`,
 * and the columns part of `cohort site check`). Runs on the site's own machine; what it
 * returns holds column names, kinds, rules and counts, never a cell.
 */
import { isMissing, parseDecimal } from './cell-values.ts';
import { readCsvTable } from './csv-source.ts';
import { scanColumn, type PhiReason } from './phi-guard.ts';
import type { SafeHarborCategory } from './phi-patterns.ts';

/** Cells kept per column for the scan; rows past it are counted but not scanned. */
export const DEFAULT_SCAN_ROWS = 100_000;

/** A column with at most this many different present values is reported as categorical. */
const CATEGORICAL_MAX_LEVELS = 20;

/** What kind of values a column holds, from its present cells. */
export type ColumnType = 'empty' | 'numeric' | 'categorical' | 'text';

export interface ScannedColumn {
  readonly name: string;
  /** Safe Harbor kinds suspected, sorted; empty when the column looks clean. */
  readonly suspected: SafeHarborCategory[];
  readonly reasons: PhiReason[];
  readonly type: ColumnType;
  /** Scanned cells that are missing (empty, ?, NA, N/A, NaN). */
  readonly missing: number;
}

export interface PhiScanResult {
  /** Data rows in the file (the header not counted). */
  readonly rows: number;
  /** Rows whose cells were scanned (the first `maxRows`). */
  readonly scannedRows: number;
  readonly columns: ScannedColumn[];
}

/** The type of a column's cells: numeric when every present cell is a decimal, else categorical up to 20 levels, else text. */
export function columnType(cells: readonly string[]): ColumnType {
  const values = cells.filter((v) => !isMissing(v));
  if (values.length === 0) return 'empty';
  if (values.every((v) => parseDecimal(v) !== undefined)) return 'numeric';
  return new Set(values).size <= CATEGORICAL_MAX_LEVELS ? 'categorical' : 'text';
}

/** Reads the file and judges each column. Throws the CSV reader's coded errors (csv-source.ts). */
export async function scanCsvFile(path: string, maxRows = DEFAULT_SCAN_ROWS): Promise<PhiScanResult> {
  const cells: string[][] = [];
  let scannedRows = 0;
  const { header, rows } = await readCsvTable(path, (record) => {
    if (scannedRows >= maxRows) return;
    scannedRows++;
    record.forEach((cell, i) => (cells[i] ??= []).push(cell));
  });
  const columns = header.map((name, i): ScannedColumn => {
    const column = cells[i] ?? [];
    const verdict = scanColumn(name, column);
    return { name, suspected: verdict.suspected, reasons: verdict.reasons, type: columnType(column), missing: column.filter(isMissing).length };
  });
  return { rows, scannedRows, columns };
}
