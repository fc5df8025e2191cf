import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataErrors, GeneralErrors } from '../../../core/errors/index.ts';
import { readCsvRows, readCsvSample, selectColumns, type CsvSourceOptions, type SourceRow } from '../../../site-agent/data/csv-source.ts';
import { caught, tempDir, writeCsv } from './helpers.ts';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(async () => remove());

const columns = { age: 'AGE_YRS', sex: 'SEX_CD', disease: 'DX' };
const need = ['age', 'sex', 'disease'];

async function readAll(options: CsvSourceOptions): Promise<{ rows: SourceRow[]; summary: Awaited<ReturnType<typeof readCsvRows>> }> {
  const rows: SourceRow[] = [];
  const summary = await readCsvRows(options, (row) => rows.push(row));
  return { rows, summary };
}

describe('readCsvRows', () => {
  it('hands on only the mapped columns, keyed by spec name, with their file lines', async () => {
    const path = await writeCsv(dir, 'basic.csv', [
      'MRN,PATIENT_NAME,AGE_YRS,SEX_CD,DX',
      'SYN1,"Doe, Jane",63,1,1',
      'SYN2,"Roe, Rick", 41 ,0,0',
    ]);

    const { rows, summary } = await readAll({ path, need, columns });

    expect(rows).toEqual([
      { line: 2, cells: { age: '63', sex: '1', disease: '1' } },
      { line: 3, cells: { age: '41', sex: '0', disease: '0' } },
    ]);
    expect(summary).toEqual({ header: ['MRN', 'PATIENT_NAME', 'AGE_YRS', 'SEX_CD', 'DX'], rows: 2, droppedRows: 0 });
  });

  it('never reads identifier columns: values that would fail numeric parsing there do not matter', async () => {
    const path = await writeCsv(dir, 'identifiers.csv', [
      'MRN,DOB,AGE_YRS,ZIP,SEX_CD,PHONE,DX',
      'not-a-number,31/02/never,50,ZIP?!,1,call me,0',
      ',,51,,0,,1',
    ]);

    const { rows } = await readAll({ path, need, columns });

    expect(rows.map((r) => Object.keys(r.cells).sort())).toEqual([
      ['age', 'disease', 'sex'],
      ['age', 'disease', 'sex'],
    ]);
    expect(rows.map((r) => r.cells['age'])).toEqual(['50', '51']);
  });

  it('reads only what the spec needs even when the mapping names more columns', async () => {
    const path = await writeCsv(dir, 'extra-mapping.csv', ['AGE_YRS,SEX_CD,DX,CHOL', '50,1,0,', '51,0,1,abc']);

    const { rows, summary } = await readAll({ path, need, columns: { ...columns, chol: 'CHOL' } });

    expect(rows.map((r) => r.cells)).toEqual([
      { age: '50', sex: '1', disease: '0' },
      { age: '51', sex: '0', disease: '1' },
    ]);
    expect(summary.droppedRows).toBe(0);
  });

  it('drops and counts rows with a missing value (empty, ?, NA) in a used column', async () => {
    const path = await writeCsv(dir, 'missing.csv', [
      'AGE_YRS,SEX_CD,DX,NOTES',
      '50,1,0,',
      ',1,0,x',
      '52,?,0,x',
      '53,1,NA,x',
      '54,0,1,NA',
    ]);

    const { rows, summary } = await readAll({ path, need, columns });

    expect(rows.map((r) => r.line)).toEqual([2, 6]);
    expect(summary.rows).toBe(2);
    expect(summary.droppedRows).toBe(3);
  });

  it('reads the split column beside the needed cells', async () => {
    const path = await writeCsv(dir, 'split.csv', ['AGE_YRS,SEX_CD,DX,FOLD', '50,1,0,T', '51,0,1,V']);

    const { rows } = await readAll({ path, need, columns, splitColumn: 'FOLD' });

    expect(rows).toEqual([
      { line: 2, cells: { age: '50', sex: '1', disease: '0' }, split: 'T' },
      { line: 3, cells: { age: '51', sex: '0', disease: '1' }, split: 'V' },
    ]);
  });

  it('reads a headerless file by the given column names, counting its first line as line 1', async () => {
    const path = await writeCsv(dir, 'headerless.csv', ['63,1,1,x', '41,0,0,y']);

    const { rows } = await readAll({ path, need, columns, headerless: ['AGE_YRS', 'SEX_CD', 'DX', 'OTHER'] });

    expect(rows.map((r) => [r.line, r.cells['age']])).toEqual([
      [1, '63'],
      [2, '41'],
    ]);
  });

  it('refuses a spec name the mapping does not cover', async () => {
    const path = await writeCsv(dir, 'unmapped.csv', ['AGE_YRS,SEX_CD,DX', '50,1,0']);

    const error = await caught(readAll({ path, need: [...need, 'chol'], columns }));

    expect(error.code).toBe(DataErrors.MAPPING_INCOMPLETE.code);
    expect(error.details).toEqual({ file: path, unmapped: ['chol'] });
  });

  it('refuses mapped columns missing from the header, naming the local columns and the spec names', async () => {
    const path = await writeCsv(dir, 'no-column.csv', ['AGE,SEX_CD', '50,1']);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.COLUMN_MISSING.code);
    expect(error.details).toEqual({
      file: path,
      missing: [
        { column: 'AGE_YRS', feeds: ['age'] },
        { column: 'DX', feeds: ['disease'] },
      ],
    });
    expect(error.message).toContain('"AGE_YRS" (for "age")');
  });

  it('refuses a mapped column that appears twice in the header', async () => {
    const path = await writeCsv(dir, 'twice.csv', ['AGE_YRS,SEX_CD,DX,AGE_YRS', '50,1,0,51']);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.COLUMN_AMBIGUOUS.code);
    expect(error.details).toEqual({ file: path, columns: ['AGE_YRS'] });
  });

  it('reports malformed CSV with its line and the broken rule, without the record', async () => {
    const path = await writeCsv(dir, 'short-line.csv', ['AGE_YRS,SEX_CD,DX', '50,1,0', 'SECRET-VALUE,1']);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.CSV_MALFORMED.code);
    expect(error.details).toEqual({ file: path, row: 3, reason: 'CSV_RECORD_INCONSISTENT_COLUMNS' });
    expect(error.message).not.toContain('SECRET-VALUE');
    expect(error.cause).toBeUndefined();
  });

  it('reports a bad closing quote as malformed CSV', async () => {
    const path = await writeCsv(dir, 'bad-quote.csv', ['AGE_YRS,SEX_CD,DX', '50,1,0', '"51"x,1,0']);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.CSV_MALFORMED.code);
    expect(error.details).toEqual({ file: path, row: 3, reason: 'CSV_INVALID_CLOSING_QUOTE' });
  });

  it('reports a missing file as GENERAL_FILE_NOT_FOUND naming the path', async () => {
    const path = join(dir, 'absent.csv');

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(GeneralErrors.FILE_NOT_FOUND.code);
    expect(error.details).toEqual({ file: path });
  });

  it('reports a directory in place of the file as unreadable', async () => {
    const path = join(dir, 'a-directory.csv');
    await mkdir(path);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.FILE_UNREADABLE.code);
    expect(error.details).toEqual({ file: path, reason: 'EISDIR' });
  });

  it('reports an empty file as DATA_EMPTY', async () => {
    const path = await writeCsv(dir, 'empty.csv', []);

    const error = await caught(readAll({ path, need, columns }));

    expect(error.code).toBe(DataErrors.EMPTY.code);
  });

  it('stops after maxRows rows', async () => {
    const path = await writeCsv(dir, 'long.csv', ['AGE_YRS,SEX_CD,DX', '50,1,0', '51,1,0', '52,1,0', '53,1,0']);

    const { rows } = await readAll({ path, need, columns, maxRows: 2 });

    expect(rows.map((r) => r.cells['age'])).toEqual(['50', '51']);
  });
});

describe('readCsvSample', () => {
  it('samples only the mapped local columns and the split column', async () => {
    const path = await writeCsv(dir, 'sample.csv', ['MRN,AGE_YRS,SEX_CD,DX,FOLD', 'SYN1,50,1,0,T', 'SYN2,51,0,1,V', 'SYN3,52,0,1,T']);

    const sample = await readCsvSample({ path, need, columns, splitColumn: 'FOLD' }, 2);

    expect(sample).toEqual({
      header: ['MRN', 'AGE_YRS', 'SEX_CD', 'DX', 'FOLD'],
      sample: { AGE_YRS: ['50', '51'], SEX_CD: ['1', '0'], DX: ['0', '1'], FOLD: ['T', 'V'] },
    });
  });
});

describe('selectColumns', () => {
  it('disables every header the read does not need, so identifier fields never enter a record', () => {
    const header = ['MRN', 'PATIENT_NAME', 'DOB', 'AGE_YRS', 'ZIP', 'PHONE', 'SEX_CD', 'DX'];
    const wanted = new Map([
      ['AGE_YRS', ['age']],
      ['SEX_CD', ['sex']],
      ['DX', ['disease']],
    ]);

    const selection = selectColumns('x.csv', header, { wanted });

    expect(selection).toEqual([false, false, false, 'AGE_YRS', false, false, 'SEX_CD', 'DX']);
  });
});
