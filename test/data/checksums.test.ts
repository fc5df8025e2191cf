/**
 * The public data sets in `data/` are the published files, unchanged: every file is listed
 * in `data/SHA256SUMS` with the digest it has, and the heart-disease files also carry the
 * MD5 digests UCI publishes, which this project did not compute.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DATA_DIR, dataPath } from '../../scripts/datasets/data-dir.ts';

const digest = (algorithm: string, file: string): string => createHash(algorithm).update(readFileSync(file)).digest('hex');

/** `sha256sum` lines: "<hex>  <path>". */
function listedSums(): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(dataPath('SHA256SUMS'), 'utf8').split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!m) throw new Error(`SHA256SUMS: not a sha256sum line: ${JSON.stringify(line)}`);
    sums.set(m[2] as string, m[1] as string);
  }
  return sums;
}

function dataFiles(dir = DATA_DIR): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? dataFiles(join(dir, e.name)) : [relative(DATA_DIR, join(dir, e.name))]));
}

/** MD5 digests of the UCI originals, as UCI's heart-disease page gives them. */
const UCI_MD5 = {
  'heart-disease/processed.cleveland.data': '2d91a8ff69cfd9616aa47b59d6f843db',
  'heart-disease/processed.hungarian.data': '22e96bee155b5973568101c93b3705f6',
  'heart-disease/processed.switzerland.data': '9a87f7577310b3917730d06ba9349e20',
  'heart-disease/processed.va.data': '4249d03ca7711e84f4444768c9426170',
};

describe('data/ (the public data sets, unchanged)', () => {
  const sums = listedSums();

  it('lists every data file in SHA256SUMS, and nothing that is not there', () => {
    const files = dataFiles().filter((f) => f !== 'SHA256SUMS' && f !== 'README.md').sort();
    expect([...sums.keys()].sort()).toEqual(files);
    expect(files).toEqual([
      'dicom/ps3.15-table-e.1-1.csv',
      'heart-disease/processed.cleveland.data',
      'heart-disease/processed.hungarian.data',
      'heart-disease/processed.switzerland.data',
      'heart-disease/processed.va.data',
      'heart-disease/split.csv',
      'tcga-brca/brca.csv',
      'tcga-brca/centers.csv',
      'tcga-brca/train_test_split.csv',
      'wdbc/breast_cancer.csv',
    ]);
  });

  it('holds each file with the SHA-256 that SHA256SUMS gives', () => {
    const mismatched = [...sums].filter(([file, sum]) => digest('sha256', dataPath(file)) !== sum).map(([file]) => file);
    expect(mismatched).toEqual([]);
  });

  it("holds UCI's heart-disease files byte for byte (UCI's published MD5s)", () => {
    for (const [file, md5] of Object.entries(UCI_MD5)) expect([file, digest('md5', dataPath(file))]).toEqual([file, md5]);
  });

  it('holds the 621 rows of PS3.15 Table E.1-1 with the published Basic Profile counts', () => {
    const rows = parse(readFileSync(dataPath('dicom', 'ps3.15-table-e.1-1.csv')), { columns: true }) as Record<string, string>[];
    const counts: Record<string, number> = {};
    for (const r of rows) counts[r['basicProfile'] as string] = (counts[r['basicProfile'] as string] ?? 0) + 1;
    expect(rows.length).toBe(621);
    expect(counts).toEqual({ X: 384, D: 92, U: 54, Z: 42, 'X/D': 22, 'X/Z': 11, 'X/Z/D': 8, 'Z/D': 6, 'X/Z/U*': 2 });
  });

  it('holds the TCGA-BRCA split of 1,088 patients, FLamby\'s six centres 248/63, 156/40, 164/42, 129/33, 129/33, 40/11', () => {
    const rows = parse(readFileSync(dataPath('tcga-brca', 'train_test_split.csv')), { columns: true }) as Record<string, string>[];
    const byFold: Record<string, number> = {};
    for (const r of rows) byFold[r['fold2'] as string] = (byFold[r['fold2'] as string] ?? 0) + 1;
    expect(rows.length).toBe(1088);
    expect([0, 1, 2, 3, 4, 5].map((k) => [byFold[`train_${k}`], byFold[`test_${k}`]])).toEqual([
      [248, 63],
      [156, 40],
      [164, 42],
      [129, 33],
      [129, 33],
      [40, 11],
    ]);
  });
});
