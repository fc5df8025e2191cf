/**
 * Encodes rows of text cells into the spec's design matrix (models/features.ts layout):
 * numeric features as numbers, categorical features one-hot against the spec's own level
 * list, the label as 1 when its cell is one of the spec's positive values, else 0. Pure:
 * no I/O, no randomness; the benchmark loaders use it on files the site agent never reads.
 */
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import { designColumns, type Matrix } from '../../models/features.ts';
import type { FeatureSpec, ModelSpec } from '../../models/spec-schema.ts';
import { levelIndex, matchesLevel, parseDecimal } from './cell-values.ts';

/** The parts of a spec the encoder reads. */
export type EncodingSpec = Pick<ModelSpec, 'features' | 'label'>;

/** A row to encode: text cells keyed by spec name, and where it came from (for errors). */
export interface EncodableRow {
  /** 1-based line in the source file. */
  readonly line: number;
  readonly cells: Readonly<Record<string, string>>;
}

/** Where rows came from, so an error can name the file and the local column. */
export interface EncodeContext {
  /** The source file. */
  readonly file?: string;
  /** Spec name -> local column name, to name the column as the site knows it. */
  readonly columns?: Readonly<Record<string, string>>;
}

/** One encoded row: the design-matrix values and the label. */
export interface EncodedRow {
  readonly x: number[];
  /** The label, or under a survival label the event indicator. */
  readonly y: 0 | 1;
  /** Under a survival label: the follow-up time. */
  readonly time?: number;
}

/**
 * Encodes one row. Throws DATA_NOT_NUMERIC or DATA_UNKNOWN_CATEGORY naming the file, line
 * and column, never the cell.
 */
export function encodeRow(spec: EncodingSpec, row: EncodableRow, context: EncodeContext = {}): EncodedRow {
  const x: number[] = [];
  for (const feature of spec.features) x.push(...encodeFeature(feature, row, context));
  const label = spec.label;
  if (label.type === 'survival') {
    const event = row.cells[label.event] ?? '';
    const time = parseDecimal(row.cells[label.time] ?? '');
    if (time === undefined || !(time >= 0)) {
      throw cellError(DataErrors.NOT_NUMERIC, label.time, row, context, 'expected a non-negative follow-up time', {});
    }
    return { x, y: label.eventValues.some((level) => matchesLevel(event, level)) ? 1 : 0, time };
  }
  const cell = row.cells[label.name] ?? '';
  const y = label.positive.some((level) => matchesLevel(cell, level)) ? 1 : 0;
  return { x, y };
}

/** Encodes rows into a Matrix with the spec's design columns (no standardisation). */
export function encodeRows(spec: EncodingSpec, rows: readonly EncodableRow[], context: EncodeContext = {}): Matrix {
  return matrixOf(
    rows.map((row) => encodeRow(spec, row, context)),
    designColumns(spec).length,
  );
}

/** Builds a Matrix from already encoded rows (all of the same width). */
export function matrixOf(rows: readonly EncodedRow[], cols: number): Matrix {
  const x = new Float32Array(rows.length * cols);
  const y = new Float32Array(rows.length);
  rows.forEach((row, r) => {
    x.set(row.x, r * cols);
    y[r] = row.y;
  });
  const survival = rows.length > 0 && rows.every((row) => row.time !== undefined);
  return { x, y, rows: rows.length, cols, ...(survival ? { time: Float64Array.from(rows, (row) => row.time!) } : {}) };
}

function encodeFeature(feature: FeatureSpec, row: EncodableRow, context: EncodeContext): number[] {
  const cell = row.cells[feature.name] ?? '';
  if (feature.type === 'numeric') {
    const value = parseDecimal(cell);
    if (value === undefined) {
      throw cellError(DataErrors.NOT_NUMERIC, feature.name, row, context, 'expected a decimal number', {});
    }
    return [value];
  }
  if (feature.type === 'image') {
    throw new CohortError(DataErrors.IMAGE_IN_TABLE, `feature "${feature.name}" is an image; ${context.file ?? 'a table'} cannot supply it`, {
      details: { feature: feature.name },
    });
  }
  const index = levelIndex(cell, feature.categories);
  if (index < 0) {
    const allowed = feature.categories.map(String);
    throw cellError(DataErrors.UNKNOWN_CATEGORY, feature.name, row, context, `expected one of ${allowed.join(', ')}`, {
      allowed,
    });
  }
  const oneHot = feature.categories.map((_, i) => (i === index ? 1 : 0));
  return feature.dropFirst ? oneHot.slice(1) : oneHot;
}

function cellError(
  def: typeof DataErrors.NOT_NUMERIC,
  feature: string,
  row: EncodableRow,
  context: EncodeContext,
  expected: string,
  extra: Record<string, unknown>,
): CohortError {
  const column = context.columns?.[feature] ?? feature;
  const where = `${context.file ?? 'data'} line ${row.line}, column "${column}"${column === feature ? '' : ` (feature "${feature}")`}`;
  return new CohortError(def, `${where}: ${expected} (the value is not shown: it may be patient data)`, {
    details: { file: context.file, row: row.line, column, feature, ...extra },
  });
}
