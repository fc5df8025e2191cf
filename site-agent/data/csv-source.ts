/**
 * Streams a site's CSV extract and hands on only the cells a spec needs (minimum
 * necessary). The header decides, once, which columns exist for this read: every column
 * the spec does not need (names, MRNs, dates of birth, ...) is disabled in the parser, so
 * its cells never become part of a record. Rows with a missing value in a needed column
 * are dropped and counted. Cell values are never logged or put in an error.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse, CsvError, type Options } from 'csv-parse';
import { CohortError, DataErrors, GeneralErrors } from '../../core/errors/index.ts';
import { isMissing } from './cell-values.ts';
import { headerCellIsData } from './phi-guard.ts';

/** What to read from one extract. */
export interface CsvSourceOptions {
  /** Path of the CSV file. */
  readonly path: string;
  /** Spec names to read (features, then the label). Nothing else is read, whatever the mapping holds. */
  readonly need: readonly string[];
  /** Spec name -> local column name (the site's mapping; may hold names this spec does not need). */
  readonly columns: Readonly<Record<string, string>>;
  /** Local name of an explicit split column to read as well. */
  readonly splitColumn?: string;
  /** Column names of a file without a header line; its first line is then data line 1. */
  readonly headerless?: readonly string[];
  /** Stop after this many rows have been handed on (a sample for the PHI guard). */
  readonly maxRows?: number;
  /** Names in `need` whose missing value does not drop the row (evaluation-only fairness attributes: their own "unrecorded" group). */
  readonly optional?: readonly string[];
}

/** One kept row: the needed cells, keyed by spec name, as trimmed text. */
export interface SourceRow {
  /**
   * 1-based line of the file where the record ends (the header is line 1; in a headerless
   * file the first record is line 1). The same number an editor or spreadsheet shows.
   */
  readonly line: number;
  /** Exactly the spec names in `need`, no other key. */
  readonly cells: Readonly<Record<string, string>>;
  /** The split column's cell, when a split column was asked for. */
  readonly split?: string;
}

/** What a read saw, without any values. */
export interface CsvReadSummary {
  /** The header names (column names are not patient data). */
  readonly header: readonly string[];
  /** Rows handed on. */
  readonly rows: number;
  /** Rows dropped because a needed cell was missing (see isMissing in cell-values.ts). */
  readonly droppedRows: number;
}

/**
 * One streamed csv-parse pass over `path` (BOM stripped, cells trimmed, empty lines skipped,
 * line numbers kept): refuses a binary or non-UTF-8 file first, turns parse and I/O errors into
 * coded ones, and always closes both streams. `onItem` returns false to stop early.
 */
async function streamCsv<T>(path: string, options: Pick<Options, 'columns'>, onItem: (item: T) => boolean): Promise<void> {
  await requireText(path);
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, info: true, ...options });
  const input = createReadStream(path);
  input.on('error', (e) => parser.destroy(ioError(path, e)));
  input.pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<T>) if (!onItem(item)) break;
  } catch (e) {
    throw parseError(path, e);
  } finally {
    input.destroy();
    parser.destroy();
  }
}

const emptyFile = (path: string): CohortError =>
  new CohortError(DataErrors.EMPTY, `${path}: the file is empty (expected a header line naming the columns)`, { details: { file: path } });

/**
 * Reads the extract row by row, calling `onRow` for each kept row. Throws a CohortError:
 * GENERAL_FILE_NOT_FOUND, DATA_FILE_UNREADABLE, DATA_MAPPING_INCOMPLETE,
 * DATA_COLUMN_MISSING, DATA_COLUMN_AMBIGUOUS, DATA_CSV_MALFORMED, DATA_EMPTY (no header),
 * DATA_NOT_CSV (binary or not UTF-8, as readCsvTable), DATA_HEADER_IS_DATA, or whatever `onRow` throws.
 */
export async function readCsvRows(options: CsvSourceOptions, onRow: (row: SourceRow) => void): Promise<CsvReadSummary> {
  const { path } = options;
  const plan = planColumns(options);
  // streamCsv applies one decoding policy with `cohort phi scan` and `site check`: a file they refuse (not UTF-8, NUL bytes) is not trained on either.
  let header: string[] | undefined = options.headerless === undefined ? undefined : [...options.headerless];

  let rows = 0;
  let droppedRows = 0;
  await streamCsv<{ record: Record<string, string>; info: { lines: number } }>(
    path,
    {
      // A function, not `true`: every header the read does not need maps to `false`, which
      // tells csv-parse to leave that field out of the record.
      columns:
        options.headerless === undefined
          ? (names: string[]) => {
              requireHeader(path, names);
              header = names;
              return selectColumns(path, names, plan);
            }
          : selectColumns(path, options.headerless, plan),
    },
    ({ record, info }) => {
      const cells = Object.fromEntries(options.need.map((name) => [name, record[plan.localOf(name)] ?? '']));
      if (options.need.some((name) => !options.optional?.includes(name) && isMissing(cells[name] ?? ''))) {
        droppedRows++;
        return true;
      }
      const split = plan.splitColumn === undefined ? undefined : (record[plan.splitColumn] ?? '');
      onRow(split === undefined ? { line: info.lines, cells } : { line: info.lines, cells, split });
      rows++;
      return options.maxRows === undefined || rows < options.maxRows;
    },
  );
  if (header === undefined) throw emptyFile(path);
  return { header, rows, droppedRows };
}

/** The header and up to `maxRows` kept rows' cells of each mapped local column (for the PHI guard). */
export interface CsvSample {
  readonly header: readonly string[];
  /** Local column name -> sampled cells (only the columns the read needed). */
  readonly sample: Readonly<Record<string, readonly string[]>>;
}

/** Reads a sample of the needed columns: the same read as `readCsvRows`, stopped early. */
export async function readCsvSample(options: Omit<CsvSourceOptions, 'maxRows'>, maxRows: number): Promise<CsvSample> {
  const sample = new Map<string, string[]>();
  const push = (column: string, cell: string): void => {
    const list = sample.get(column) ?? [];
    list.push(cell);
    sample.set(column, list);
  };
  const { header } = await readCsvRows({ ...options, maxRows }, (row) => {
    for (const name of options.need) push(options.columns[name] ?? name, row.cells[name] ?? '');
    if (options.splitColumn !== undefined && row.split !== undefined) push(options.splitColumn, row.split);
  });
  return { header, sample: Object.fromEntries(sample) };
}

/** What a whole-table read saw: the header and the number of records. */
export interface CsvTableSummary {
  readonly header: readonly string[];
  readonly rows: number;
}

/**
 * Reads every column of a CSV file, record by record (for `cohort phi scan` and
 * `cohort site check`, which look at the whole extract on the site's own machine). Each
 * record comes as its cells in header order. Throws GENERAL_FILE_NOT_FOUND,
 * DATA_FILE_UNREADABLE, DATA_NOT_CSV (NUL bytes or invalid UTF-8 in the first 64 KiB: a
 * binary file), DATA_CSV_MALFORMED or DATA_EMPTY; no message quotes a cell.
 */
export async function readCsvTable(path: string, onRecord: (cells: readonly string[], line: number) => void, maxRows?: number): Promise<CsvTableSummary> {
  let header: string[] | undefined;
  let rows = 0;
  await streamCsv<{ record: string[]; info: { lines: number } }>(path, {}, ({ record, info }) => {
    if (header === undefined) {
      requireHeader(path, record);
      header = record;
      return true;
    }
    onRecord(record, info.lines);
    rows++;
    return maxRows === undefined || rows < maxRows;
  });
  if (header === undefined) throw emptyFile(path);
  return { header, rows };
}

/**
 * Refuses a first line that looks like a patient row (a file exported without its header
 * line): its cells would be shown, logged and reported as column names. The error names
 * the column positions (1-based), never the cells.
 */
export function requireHeader(path: string, header: readonly string[]): void {
  const positions = header.flatMap((cell, i) => (headerCellIsData(cell) ? [i + 1] : []));
  if (positions.length === 0) return;
  throw new CohortError(
    DataErrors.HEADER_IS_DATA,
    `${path}: line 1 looks like a patient row, not a header (column${positions.length === 1 ? '' : 's'} ${positions.join(', ')} hold${positions.length === 1 ? 's' : ''} a number, a date or an identifier shape; the cells are not shown); expected a header line naming the columns`,
    { details: { file: path, columns: positions } },
  );
}

/** Bytes of the file's start checked for binary content. */
const TEXT_PROBE_BYTES = 64 * 1024;

/** Refuses a file whose first bytes are not UTF-8 text (an image, a spreadsheet, a PDF, ...). */
async function requireText(path: string): Promise<void> {
  let head: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(TEXT_PROBE_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, TEXT_PROBE_BYTES, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw ioError(path, e as NodeJS.ErrnoException);
  }
  // A multi-byte character cut at the probe's end is not an error: drop up to 3 trailing bytes before decoding.
  const decodable = head.length === TEXT_PROBE_BYTES ? head.subarray(0, head.length - trailingPartial(head)) : head;
  let utf8 = true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(decodable);
  } catch {
    utf8 = false;
  }
  if (head.includes(0) || !utf8) {
    throw new CohortError(DataErrors.NOT_CSV, `${path}: not a CSV text file (${head.includes(0) ? 'it holds NUL bytes' : 'it is not UTF-8 text'}; expected comma-separated UTF-8 text with a header line)`, {
      details: { file: path, reason: head.includes(0) ? 'nul-bytes' : 'not-utf8' },
    });
  }
}

/** Bytes at the end of `b` that begin a UTF-8 sequence the buffer cuts short (0 to 3). */
function trailingPartial(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const byte = b[b.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

interface ColumnPlan {
  /** Local column of a needed spec name. */
  localOf(name: string): string;
  /** Local column -> the spec names it feeds. */
  readonly wanted: ReadonlyMap<string, readonly string[]>;
  readonly splitColumn?: string;
}

/** Resolves the needed spec names to local columns, refusing names the mapping does not cover. */
function planColumns(options: CsvSourceOptions): ColumnPlan {
  const unmapped = options.need.filter((name) => !Object.hasOwn(options.columns, name));
  if (unmapped.length > 0) {
    throw new CohortError(
      DataErrors.MAPPING_INCOMPLETE,
      `${options.path}: the dataset mapping gives no local column for ${unmapped.map((n) => `"${n}"`).join(', ')} (expected an entry in dataset.columns for every feature and the label)`,
      { details: { file: options.path, unmapped } },
    );
  }
  const localOf = (name: string): string => options.columns[name] ?? name;
  const wanted = new Map<string, string[]>();
  for (const name of options.need) wanted.set(localOf(name), [...(wanted.get(localOf(name)) ?? []), name]);
  if (options.splitColumn !== undefined && !wanted.has(options.splitColumn)) wanted.set(options.splitColumn, []);
  return options.splitColumn === undefined ? { localOf, wanted } : { localOf, wanted, splitColumn: options.splitColumn };
}

/**
 * The csv-parse column list for a header: each wanted local column keeps its name, every
 * other header becomes `false`, which makes csv-parse leave that field out of the record.
 * `wanted` maps each local column to the spec names it feeds (empty for the split column).
 * Throws DATA_COLUMN_MISSING or DATA_COLUMN_AMBIGUOUS.
 */
export function selectColumns(
  path: string,
  header: readonly string[],
  plan: { readonly wanted: ReadonlyMap<string, readonly string[]> },
): (string | false)[] {
  const counts = new Map<string, number>();
  for (const name of header) counts.set(name, (counts.get(name) ?? 0) + 1);
  const missing = [...plan.wanted.keys()].filter((local) => !counts.has(local));
  if (missing.length > 0) {
    const mapped = missing.map((column) => ({ column, feeds: plan.wanted.get(column) ?? [] }));
    const listed = mapped
      .map(({ column, feeds }) => (feeds.length > 0 ? `"${column}" (for ${feeds.map((f) => `"${f}"`).join(', ')})` : `"${column}" (the split column)`))
      .join(', ');
    throw new CohortError(DataErrors.COLUMN_MISSING, `${path}: the header has no column ${listed}`, {
      details: { file: path, missing: mapped },
    });
  }
  const repeated = [...plan.wanted.keys()].filter((local) => (counts.get(local) ?? 0) > 1);
  if (repeated.length > 0) {
    throw new CohortError(
      DataErrors.COLUMN_AMBIGUOUS,
      `${path}: the header names ${repeated.map((c) => `"${c}"`).join(', ')} more than once (expected each mapped column once)`,
      { details: { file: path, columns: repeated } },
    );
  }
  return header.map((name) => (plan.wanted.has(name) ? name : false));
}

/** Maps an error of the read stream to a CohortError that names the file. */
function ioError(path: string, e: NodeJS.ErrnoException): CohortError {
  if (e.code === 'ENOENT') {
    return new CohortError(GeneralErrors.FILE_NOT_FOUND, `${path}: no such file (expected a CSV extract; a site config names it in dataset.path)`, {
      details: { file: path },
    });
  }
  return new CohortError(DataErrors.FILE_UNREADABLE, `${path}: cannot be read (${e.code ?? 'I/O error'})`, {
    details: { file: path, reason: e.code ?? 'EIO' },
  });
}

/**
 * Maps a parse failure to a CohortError. csv-parse's own message and error object quote
 * the offending record, so neither is passed on: only its rule code and the line.
 */
function parseError(path: string, e: unknown): unknown {
  if (e instanceof CohortError) return e;
  if (e instanceof CsvError) {
    const line = typeof e['lines'] === 'number' ? e['lines'] : undefined;
    return new CohortError(
      DataErrors.CSV_MALFORMED,
      `${path}${line === undefined ? '' : ` line ${line}`}: not well-formed CSV (${e.code})`,
      { details: { file: path, row: line, reason: e.code } },
    );
  }
  return e;
}
