import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataErrors, GeneralErrors } from '../../../core/errors/index.ts';
import { columnType, scanCsvFile } from '../../../site-agent/data/phi-scan.ts';
import { generatePhiExtract, phiExtractCsv } from '../../../scripts/datasets/phi-extract.ts';
import { caught, tempDir, writeCsv } from './helpers.ts';

describe('scanCsvFile', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir()));
  afterAll(async () => remove());

  it('flags identifier columns under innocent names and in free text, and passes the clinical ones', async () => {
    const path = await writeCsv(dir, 'extract.csv', [
      'ref,who,contact,note,age,glucose,dx,year',
      'MR00012345,Maria Lopez,(555) 010-0123,Stable. Her daughter Ana will call.,63,104,E11.9,2019',
      'MR00012346,James Miller,555-010-0188,BP 138/85. Continue metformin 500 mg.,71,,I10,2021',
      'MR00012347,Wei Chen,555.010.0142,Seen by Dr. Okafor on 3/14/2024.,58,131,J45.909,2020',
    ]);

    const result = await scanCsvFile(path);

    expect(result.rows).toBe(3);
    expect(result.scannedRows).toBe(3);
    expect(result.columns.map((c) => [c.name, c.suspected, c.type, c.missing])).toEqual([
      ['ref', ['H'], 'categorical', 0],
      ['who', ['A'], 'categorical', 0],
      ['contact', ['D'], 'categorical', 0],
      ['note', ['A', 'C'], 'categorical', 0],
      ['age', [], 'numeric', 0],
      ['glucose', [], 'numeric', 1],
      ['dx', [], 'categorical', 0],
      ['year', [], 'numeric', 0],
    ]);
    expect(result.columns[3]?.reasons.map((r) => r.rule)).toEqual(['title-name', 'relative-name', 'date']);
  });

  it('finds every identifier column and flags no clean column of a generated extract (seed 7, not a benchmark seed)', async () => {
    const extract = generatePhiExtract(7, 200);
    const path = join(dir, 'generated.csv');
    await writeFile(path, phiExtractCsv(extract));

    const result = await scanCsvFile(path);

    const identifiers = (g: string): boolean => g === 'identifier' || g === 'notes';
    const missed = extract.columns.filter((c, i) => identifiers(c.group) && result.columns[i]?.suspected.length === 0).map((c) => c.name);
    const cleanFlagged = extract.columns.filter((c, i) => c.group === 'clean' && result.columns[i]?.suspected.length !== 0).map((c) => c.name);
    expect(extract.columns.filter((c) => identifiers(c.group))).toHaveLength(65);
    expect(extract.columns.filter((c) => c.group === 'clean')).toHaveLength(25);
    expect(missed).toEqual([]);
    expect(cleanFlagged).toEqual([]);
    const wrongKind = extract.columns.filter((c, i) => identifiers(c.group) && !c.kinds.every((k) => result.columns[i]?.suspected.includes(k))).map((c) => c.what);
    expect(wrongKind).toEqual(['fax numbers (whole cells: the shape of a phone)']);
  });

  it('scans the first rows only when asked, counting them all', async () => {
    const path = await writeCsv(dir, 'late.csv', ['n,x', '1,a', '2,b', '3,555-010-0123']);

    const result = await scanCsvFile(path, 2);

    expect([result.rows, result.scannedRows, result.columns[1]?.suspected]).toEqual([3, 2, []]);
  });

  it('refuses a missing file, a directory, a binary file, malformed CSV and an empty file with their codes and no content', async () => {
    const binary = join(dir, 'scan.png');
    await writeFile(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]));
    const latin1 = join(dir, 'latin1.csv');
    await writeFile(latin1, Buffer.from('name\nJos\xe9 Garc\xeda\n', 'latin1'));
    const ragged = await writeCsv(dir, 'ragged.csv', ['a,b', '1,2', '"Maria Lopez",2,3']);
    const empty = await writeCsv(dir, 'empty.csv', []);
    const folder = join(dir, 'folder.csv');
    await mkdir(folder);

    const codes = await Promise.all(
      [join(dir, 'absent.csv'), folder, binary, latin1, ragged, empty].map(async (p) => {
        const e = await caught(scanCsvFile(p));
        expect(e.message.replaceAll(dir, '')).not.toContain('Maria');
        return e.code;
      }),
    );

    expect(codes).toEqual([
      GeneralErrors.FILE_NOT_FOUND.code,
      DataErrors.FILE_UNREADABLE.code,
      DataErrors.NOT_CSV.code,
      DataErrors.NOT_CSV.code,
      DataErrors.CSV_MALFORMED.code,
      DataErrors.EMPTY.code,
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a file it may not read', async () => {
    const locked = await writeCsv(dir, 'locked.csv', ['a', '1']);
    await chmod(locked, 0o000);

    expect((await caught(scanCsvFile(locked))).code).toBe(DataErrors.FILE_UNREADABLE.code);
  });
});

describe('columnType', () => {
  it('tells empty, numeric, categorical and text columns apart', () => {
    expect(columnType(['', 'NA'])).toBe('empty');
    expect(columnType(['1', '2.5', '', '-3e2'])).toBe('numeric');
    expect(columnType(['a', 'b', 'a'])).toBe('categorical');
    expect(columnType(Array.from({ length: 21 }, (_, i) => `note ${i}`))).toBe('text');
  });
});
