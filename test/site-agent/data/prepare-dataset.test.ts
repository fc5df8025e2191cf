import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataErrors, GeneralErrors } from '../../../core/errors/index.ts';
import { prepareDataset, type DatasetSpec } from '../../../site-agent/data/prepare-dataset.ts';
import { scanCsvFile } from '../../../site-agent/data/phi-scan.ts';
import { caught, tempDir, writeCsv } from './helpers.ts';

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => ({ dir, remove } = await tempDir()));
afterAll(async () => remove());

/** A fixed site fingerprint key for the tests. */
const FP_KEY = Buffer.alloc(32, 3);

const spec: DatasetSpec = {
  features: [
    { name: 'age', type: 'numeric', preprocess: 'standardize' },
    { name: 'sex', type: 'numeric', preprocess: 'none' },
    { name: 'cp', type: 'categorical', categories: [1, 2, 3, 4], preprocess: 'one-hot', dropFirst: true },
  ],
  label: { name: 'disease', type: 'binary', positive: [1] },
  seed: 42,
  testFraction: 0.3,
};
const columns = { age: 'AGE_YRS', sex: 'SEX_CD', cp: 'CHEST_PAIN', disease: 'DX' };
const split = { column: 'SPLIT', train: 'TRAIN', test: 'TEST' };

/** A hand-written extract: identifier columns hold values no numeric parser would accept. */
const EXTRACT = [
  'MRN,PATIENT_NAME,DOB,AGE_YRS,SEX_CD,CHEST_PAIN,DX,SPLIT',
  'SYN001,"Doe, Jane",not-a-date,40,1,2,1,TRAIN',
  'SYN002,"Roe, Rick",??,50,0,4.0,0,TRAIN',
  'SYN003,"Poe, Edgar",x,,1,1,1,TRAIN',
  'SYN004,"Loe, Lee",y,60,1,1,0,TRAIN',
  'SYN005,"Moe, Mo",z,70,0,3,1,TEST',
];
const STD = Math.sqrt(200 / 3); // population std of the training ages 40, 50, 60

describe('prepareDataset', () => {
  it('encodes and standardises a hand-written extract exactly, using the split column', async () => {
    const path = await writeCsv(dir, 'extract.csv', EXTRACT);

    const data = await prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY });

    expect(data.columns).toEqual(['age', 'sex', 'cp=2', 'cp=3', 'cp=4']);
    expect(data.droppedRows).toBe(1);
    expect(data.train.rows).toBe(3);
    expect(data.train.cols).toBe(5);
    expect(Array.from(data.train.x)).toEqual(
      [
        [-10 / STD, 1, 1, 0, 0],
        [0, 0, 0, 0, 1],
        [10 / STD, 1, 0, 0, 0],
      ]
        .flat()
        .map(Math.fround),
    );
    expect(Array.from(data.train.y)).toEqual([1, 0, 0]);
    expect(data.test.rows).toBe(1);
    // The test row is scaled with the training mean 50 (not 55, the mean with it included).
    expect(Array.from(data.test.x)).toEqual([20 / STD, 0, 0, 1, 0].map(Math.fround));
    expect(Array.from(data.test.y)).toEqual([1]);
    expect(data.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(data.phiGuard.unreadIdentifierColumns).toEqual(['MRN', 'PATIENT_NAME', 'DOB']);
  });

  it('keeps a row whose evaluation-only fairness attribute is missing: in training, and in the attribute\'s "unrecorded" group when it is a test row', async () => {
    // RACE is a fairness attribute only. Rows 2 (train) and 6 (test) have none; row 4's value is in no listed group but is a training row, whose group is never read.
    const rows = [
      'MRN,AGE_YRS,SEX_CD,CHEST_PAIN,DX,SPLIT,RACE',
      'SYN001,40,1,2,1,TRAIN,a',
      'SYN002,50,0,4,0,TRAIN,',
      'SYN003,55,1,1,1,TRAIN,b',
      'SYN004,60,1,1,0,TRAIN,zzz',
      'SYN005,70,0,3,1,TEST,b',
      'SYN006,45,1,2,0,TEST,NA',
    ];
    const path = await writeCsv(dir, 'fairness-missing.csv', rows);
    const withRace: DatasetSpec = { ...spec, fairness: { attributes: [{ name: 'race', type: 'categorical', groups: ['a', 'b'] }] } };
    const data = await prepareDataset({ spec: withRace, mapping: { path, columns: { ...columns, race: 'RACE' }, split }, fingerprintKey: FP_KEY });
    // Before the fix the two rows without a race were dropped (droppedRows 2, 3 training rows), and row 4's unknown value refused the extract.
    expect(data.droppedRows).toBe(0);
    expect(data.train.rows).toBe(4);
    expect(data.test.rows).toBe(2);
    expect(Array.from(data.testGroups[0]!)).toEqual([1, 2]);
  });

  it('gives the same fingerprint whatever the identifier columns hold, and another one when a clinical value changes', async () => {
    const original = await writeCsv(dir, 'fp-a.csv', EXTRACT);
    const otherIds = await writeCsv(dir, 'fp-b.csv', EXTRACT.map((l) => l.replace(/^SYN00\d,"[^"]+",[^,]+/, 'X,"Other, Name",1999-01-01')));
    const otherAge = await writeCsv(dir, 'fp-c.csv', EXTRACT.map((l) => l.replace(',60,', ',61,')));

    const [a, b, c] = await Promise.all(
      [original, otherIds, otherAge].map((path) => prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY })),
    );

    expect(b?.fingerprint).toBe(a?.fingerprint);
    expect(c?.fingerprint).not.toBe(a?.fingerprint);
  });

  it('splits by the seed when no split column is mapped: deterministic, every row on exactly one side', async () => {
    const lines = ['AGE_YRS,SEX_CD,CHEST_PAIN,DX'];
    for (let i = 1; i <= 20; i++) lines.push(`${30 + i},${i},${(i % 4) + 1},${i % 2}`);
    const path = await writeCsv(dir, 'seeded.csv', lines);

    const first = await prepareDataset({ spec, mapping: { path, columns }, fingerprintKey: FP_KEY });
    const again = await prepareDataset({ spec, mapping: { path, columns }, fingerprintKey: FP_KEY });
    const otherSeed = await prepareDataset({ spec: { ...spec, seed: 43 }, mapping: { path, columns }, fingerprintKey: FP_KEY });

    const sexes = (m: { x: Float32Array; rows: number }) => Array.from({ length: m.rows }, (_, r) => m.x[r * 5 + 1]);
    expect(first.test.rows).toBe(6);
    expect(first.train.rows).toBe(14);
    expect([...sexes(first.train), ...sexes(first.test)].sort((p, q) => (p ?? 0) - (q ?? 0))).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(sexes(again.test)).toEqual(sexes(first.test));
    expect(sexes(otherSeed.test)).not.toEqual(sexes(first.test));
  });

  it('refuses a split cell that is neither the train nor the test value', async () => {
    const path = await writeCsv(dir, 'bad-split.csv', [...EXTRACT.slice(0, 3), 'SYN009,"A, B",x,45,1,1,0,VALIDATE']);

    const error = await caught(prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.SPLIT_VALUE_UNKNOWN.code);
    expect(error.details).toEqual({ file: path, row: 4, column: 'SPLIT', allowed: ['TRAIN', 'TEST'] });
  });

  it('refuses a non-numeric clinical cell with its line and local column', async () => {
    const path = await writeCsv(dir, 'not-numeric.csv', [...EXTRACT.slice(0, 2), 'SYN002,"Roe, Rick",??,fifty,0,4,0,TRAIN', EXTRACT[5] ?? '']);

    const error = await caught(prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.NOT_NUMERIC.code);
    expect(error.details).toEqual({ file: path, row: 3, column: 'AGE_YRS', feature: 'age' });
  });

  it('refuses an unknown category with its line, local column and the allowed levels', async () => {
    const path = await writeCsv(dir, 'unknown-cp.csv', [...EXTRACT.slice(0, 4), 'SYN004,"Loe, Lee",y,60,1,5,0,TRAIN']);

    const error = await caught(prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.UNKNOWN_CATEGORY.code);
    expect(error.details).toEqual({ file: path, row: 5, column: 'CHEST_PAIN', feature: 'cp', allowed: ['1', '2', '3', '4'] });
  });

  it('refuses an extract where a split ends up empty', async () => {
    const path = await writeCsv(dir, 'no-test.csv', EXTRACT.slice(0, 5));

    const error = await caught(prepareDataset({ spec, mapping: { path, columns, split }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.EMPTY.code);
    expect(error.details).toEqual({ file: path, rows: 3, trainRows: 3, testRows: 0, droppedRows: 1 });
  });

  it('refuses an extract whose every row has a missing value', async () => {
    const path = await writeCsv(dir, 'all-missing.csv', ['AGE_YRS,SEX_CD,CHEST_PAIN,DX', '?,1,1,0', '50,,1,1']);

    const error = await caught(prepareDataset({ spec, mapping: { path, columns }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.EMPTY.code);
    expect(error.details['droppedRows']).toBe(2);
  });

  it('refuses a feature mapped to an identifier column before reading the extract', async () => {
    const path = await writeCsv(dir, 'phi.csv', EXTRACT);

    const error = await caught(prepareDataset({ spec, mapping: { path, columns: { ...columns, sex: 'MRN' }, split }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(error.details['columns']).toEqual([{ feature: 'sex', column: 'MRN', byName: ['H'], byContent: [] }]);
  });

  it('refuses to train on exact ages over 89, which the guard once let through, unless the site allow-lists the column', async () => {
    // The attack: a spec's "age" on an untop-coded extract trains, and releases a model, on exact ages of 90 and more.
    const path = await writeCsv(dir, 'old.csv', ['AGE_YRS,SEX_CD,CHEST_PAIN,DX', '40,1,1,0', '93,0,2,1', '60,1,3,0', '97,0,4,1']);
    const mapping = { path, columns };

    const error = await caught(prepareDataset({ spec, mapping, fingerprintKey: FP_KEY }));
    const bypassed = await prepareDataset({ spec, mapping, phiAllowList: ['AGE_YRS'], fingerprintKey: FP_KEY });

    expect(error.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(error.details['columns']).toEqual([{ feature: 'age', column: 'AGE_YRS', byName: [], byContent: ['C'] }]);
    expect(error.message.replaceAll(path, '')).not.toMatch(/93|97/);
    // Without the guard (the column allow-listed) the exact ages are read and trained on.
    expect(bypassed.train.rows + bypassed.test.rows).toBe(4);
  });

  it('refuses ages over 89 that only the last rows of a 1,000-row extract hold (every cell is judged, not a sample)', async () => {
    // The attack: the first 200 rows (the sample) are clean, ages 93 and 97 sit in rows 999 and 1000.
    const lines = ['AGE_YRS,SEX_CD,CHEST_PAIN,DX'];
    for (let i = 0; i < 998; i++) lines.push(`${40 + (i % 40)},${i % 2},${(i % 4) + 1},${i % 2}`);
    lines.push('93,0,2,1', '97,1,3,0');
    const path = await writeCsv(dir, 'late-old.csv', lines);
    const mapping = { path, columns };

    const error = await caught(prepareDataset({ spec, mapping, fingerprintKey: FP_KEY }));
    const allowed = await prepareDataset({ spec, mapping, phiAllowList: ['AGE_YRS'], fingerprintKey: FP_KEY });

    expect(error.code).toBe(DataErrors.PHI_COLUMN.code);
    expect(error.details['columns']).toEqual([{ feature: 'age', column: 'AGE_YRS', byName: [], byContent: ['C'] }]);
    expect(allowed.train.rows + allowed.test.rows).toBe(1000);
    expect(allowed.phiGuard.columns[0]!.reasons.map((r) => [r.rule, r.cells])).toEqual([['age-over-89', 2]]);
  });

  it('refuses a Windows-1252 extract as phi scan does (one decoding policy), instead of training on it', async () => {
    const path = `${dir}/cp1252.csv`;
    await writeFile(path, Buffer.concat([Buffer.from('AGE_YRS,SEX_CD,CHEST_PAIN,DX,NOTE\n40,1,1,0,Jos'), Buffer.from([0xe9]), Buffer.from('\n50,0,2,1,x\n60,1,3,0,y\n70,0,4,1,z\n')]));

    const error = await caught(prepareDataset({ spec, mapping: { path, columns }, fingerprintKey: FP_KEY }));
    const scan = await caught(scanCsvFile(path));

    expect(error.code).toBe(DataErrors.NOT_CSV.code);
    expect(scan.code).toBe(DataErrors.NOT_CSV.code);
  });

  it('reads a flagged column when the site policy allow-lists it', async () => {
    const path = await writeCsv(dir, 'allowed.csv', ['AGE_YRS,SEX_ID,CHEST_PAIN,DX', '40,1,1,0', '50,0,2,1', '60,1,3,0', '70,0,4,1']);

    const data = await prepareDataset({ spec, mapping: { path, columns: { ...columns, sex: 'SEX_ID' } }, phiAllowList: ['SEX_ID'], fingerprintKey: FP_KEY });

    expect(data.train.rows + data.test.rows).toBe(4);
    expect(data.phiGuard.columns.find((c) => c.column === 'SEX_ID')?.allowed).toBe(true);
  });

  it('reports a missing extract as GENERAL_FILE_NOT_FOUND', async () => {
    const error = await caught(prepareDataset({ spec, mapping: { path: `${dir}/nope.csv`, columns }, fingerprintKey: FP_KEY }));

    expect(error.code).toBe(GeneralErrors.FILE_NOT_FOUND.code);
  });
});
