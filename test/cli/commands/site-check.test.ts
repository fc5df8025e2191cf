import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerSiteCommands } from '../../../cli/commands/site.ts';
import { runCli, runCliJson } from './run-cli.ts';

const SPEC = `name: check-test
dataset: heart
features:
  - { name: age, type: numeric, preprocess: standardize }
  - { name: chol, type: numeric, preprocess: standardize }
label: { name: disease, type: binary, positive: [1] }
model: { family: logistic-regression }
loss: binary-crossentropy
training: { epochs: 1, batchSize: 4, optimizer: sgd, learningRate: 0.05 }
strategy: { name: fedavg }
rounds: 2
minSites: 1
testFraction: 0.34
seed: 42
`;

const EXTRACT = [
  'MRN,PATIENT,AGE_YRS,CHOL,DX,COMMENTS',
  'MR00012345,Maria Lopez,63,233,1,Her husband Tomasz called.',
  'MR00012346,James Miller,71,,0,Stable.',
  'MR00012347,Wei Chen,58,250,1,',
].join('\n');

const VALUES = ['MR00012345', 'Maria', 'Lopez', 'Tomasz', '233'];

const config = (columns: string, allow: string[] = []): string => `dataDir: data
keyFile: site.key
datasets:
  heart:
    path: heart.csv
    columns: ${columns}
  scans:
    path: scans.bin
    columns: {}
policy:
  phiAllowList: [${allow.join(', ')}]
`;

const MRN_NAME = { kind: 'H', by: 'name', rule: 'column-name', why: 'the column name has the identifier word "mrn"' };
const MRN_SHAPE = { kind: 'H', by: 'content', rule: 'mrn-prefixed', why: 'a code of 1-4 letters and 6 or more digits, the shape of a medical record number', cells: 3 };
const FIRST_LAST = { kind: 'A', by: 'content', rule: 'first-last', why: 'a whole cell that is a dictionary first name and a census surname ("First Last")', cells: 3 };
const RELATIVE = { kind: 'A', by: 'content', rule: 'relative-name', why: 'a kinship word (wife, son, daughter, ...) or "named" followed by a capitalised word', cells: 1 };
const clean = (feature: string, column: string): object => ({ feature, column, byName: [], byContent: [], reasons: [], allowed: false });

describe('cohort site check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-site-check-'));
    writeFileSync(join(dir, 'heart.csv'), `${EXTRACT}\n`);
    writeFileSync(join(dir, 'scans.bin'), Buffer.from([0x00, 0x01, 0x02, 0x44]));
    writeFileSync(join(dir, 'spec.yaml'), SPEC);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: per dataset its columns, types, missing cells and suspected identifiers, and what the spec would read', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: CHOL, disease: DX }'));
    const spec = join(dir, 'spec.yaml');

    const json = await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', spec, '--json']);

    expect(json).toEqual({
      datasets: [
        {
          dataset: 'heart',
          file: join(dir, 'heart.csv'),
          rows: 3,
          columns: [
            { name: 'MRN', suspected: ['H'], reasons: [MRN_NAME, MRN_SHAPE], type: 'categorical', missing: 0 },
            { name: 'PATIENT', suspected: ['A'], reasons: [FIRST_LAST], type: 'categorical', missing: 0 },
            { name: 'AGE_YRS', suspected: [], reasons: [], type: 'numeric', missing: 0 },
            { name: 'CHOL', suspected: [], reasons: [], type: 'numeric', missing: 1 },
            { name: 'DX', suspected: [], reasons: [], type: 'numeric', missing: 0 },
            { name: 'COMMENTS', suspected: ['A'], reasons: [RELATIVE], type: 'categorical', missing: 1 },
          ],
          unmappedColumns: [],
          problems: [],
          specRead: { spec, notAllowedFeatures: [], reads: [clean('age', 'AGE_YRS'), clean('chol', 'CHOL'), clean('disease', 'DX')], rows: { kept: 2, dropped: 1 }, problems: [] },
        },
        {
          dataset: 'scans',
          file: join(dir, 'scans.bin'),
          columns: [],
          unmappedColumns: [],
          problems: [
            {
              code: 'COHORT_E_DATA_NOT_CSV',
              message: `${join(dir, 'scans.bin')}: not a CSV text file (it holds NUL bytes; expected comma-separated UTF-8 text with a header line)`,
            },
          ],
        },
      ],
    });
    // Nothing written: no data directory, no key, no state; the check only reads.
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['heart.csv', 'scans.bin', 'site.yaml', 'spec.yaml']);
  });

  it('shows that the PHI guard would refuse a feature mapped to a notes column, without quoting it', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: COMMENTS, disease: DX }'));

    const json = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml'), '--json'])) as {
      datasets: { specRead: { reads: unknown[]; problems: { code: string; message: string }[]; rows: unknown } }[];
    };

    const read = json.datasets[0]!.specRead;
    expect(read.reads[1]).toEqual({ feature: 'chol', column: 'COMMENTS', byName: [], byContent: ['A'], reasons: [RELATIVE], allowed: false });
    expect(read.problems.map((p) => p.code)).toEqual(['COHORT_E_DATA_PHI_COLUMN']);
    expect(read.rows).toEqual({ kept: 2, dropped: 1 });
    for (const value of VALUES) expect(JSON.stringify(json).replaceAll(dir, '')).not.toContain(value);
  });

  it('judges every row of what the spec reads: ages over 89 in the last 2 of 1,000 rows are refused', async () => {
    const lines = ['AGE_YRS,CHOL,DX'];
    for (let i = 0; i < 998; i++) lines.push(`${40 + (i % 40)},${200 + (i % 50)},${i % 2}`);
    lines.push('93,230,1', '97,240,0');
    writeFileSync(join(dir, 'heart.csv'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: CHOL, disease: DX }'));

    const json = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml'), '--json'])) as {
      datasets: { specRead: { reads: { byContent: string[] }[]; problems: { code: string }[]; rows: unknown } }[];
    };

    const read = json.datasets[0]!.specRead;
    expect(read.reads.map((r) => r.byContent)).toEqual([['C'], [], []]);
    expect(read.problems.map((p) => p.code)).toEqual(['COHORT_E_DATA_PHI_COLUMN']);
    expect(read.rows).toEqual({ kept: 1000, dropped: 0 });
  });

  it('marks the column allowed, and the run going ahead, when the PHI allow-list names it', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: COMMENTS, disease: DX }', ['COMMENTS']));

    const json = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml'), '--json'])) as {
      datasets: { specRead: { reads: { allowed: boolean }[]; problems: unknown[] } }[];
    };

    expect(json.datasets[0]!.specRead.reads.map((r) => r.allowed)).toEqual([false, true, false]);
    expect(json.datasets[0]!.specRead.problems).toEqual([]);
  });

  it('reports a mapped column the header lacks, and the read problem it causes', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE, chol: CHOL, disease: DX }'));

    const json = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml'), '--json'])) as {
      datasets: { unmappedColumns: string[]; specRead: { reads: unknown[]; problems: { code: string }[] } }[];
    };

    expect(json.datasets[0]!.unmappedColumns).toEqual(['AGE']);
    expect(json.datasets[0]!.specRead.reads).toEqual([]);
    expect(json.datasets[0]!.specRead.problems.map((p) => p.code)).toEqual(['COHORT_E_DATA_COLUMN_MISSING']);
  });

  it('prints a readable report without --json', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: CHOL, disease: DX }'));

    const { out, err, exitCode } = await runCli(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml')]);

    expect([exitCode, err]).toEqual([0, '']);
    expect(out.split('\n').slice(0, 3)).toEqual([
      `dataset heart: ${join(dir, 'heart.csv')}, 3 rows`,
      '  MRN: categorical, 0 missing  suspected identifier: H (column-name, mrn-prefixed)',
      '  PATIENT: categorical, 0 missing  suspected identifier: A (first-last)',
    ]);
    expect(out).toContain('    rows kept 2, dropped for a missing value 1\n    the PHI guard and the read would let the run go ahead\n');
    for (const value of VALUES) expect(out.replaceAll(dir, '')).not.toContain(value);
  });

  it('reports a DICOM dataset by its file count without reading a header or printing a file name, and an unlistable one by its errno only', async () => {
    mkdirSync(join(dir, 'studies', 'Doe^Jane'), { recursive: true });
    writeFileSync(join(dir, 'studies', 'Doe^Jane', 'Doe_Jane_0001.dcm'), 'x');
    writeFileSync(join(dir, 'studies', 'Roe_Richard_0002.dcm'), 'y');
    writeFileSync(join(dir, 'labels.csv'), 'uid,label\n1.2.3,1\n');
    const imaging = (path: string): string => `dataDir: data
keyFile: site.key
datasets:
  scans:
    kind: dicom
    path: ${path}
    labels: { path: labels.csv }
`;
    writeFileSync(join(dir, 'site.yaml'), imaging('studies'));
    const json = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--json'])) as { datasets: object[] };
    expect(json.datasets).toEqual([{ dataset: 'scans', file: join(dir, 'studies'), columns: [], unmappedColumns: [], problems: [], dicom: { files: 2 } }]);

    const { out, exitCode } = await runCli(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml')]);
    expect(exitCode).toBe(0);
    expect(out).toContain('  DICOM studies: 2 files; the agent de-identifies each by the PS3.15 Basic Profile before reading pixels');
    for (const name of ['Doe', 'Jane', 'Roe', 'Richard']) expect(out.replaceAll(dir, '')).not.toContain(name);

    writeFileSync(join(dir, 'site.yaml'), imaging('missing-Doe-Jane'));
    const missing = (await runCliJson(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--json'])) as { datasets: { problems: object[] }[] };
    expect(missing.datasets[0]!.problems).toEqual([{ code: 'COHORT_E_DATA_IMAGE_UNREADABLE', message: 'the imaging dataset directory cannot be listed (ENOENT)' }]);
  });

  it('refuses a spec for a dataset the config does not map (exit 2)', async () => {
    writeFileSync(join(dir, 'site.yaml'), config('{ age: AGE_YRS, chol: CHOL, disease: DX }'));
    writeFileSync(join(dir, 'spec.yaml'), SPEC.replace('dataset: heart', 'dataset: lungs'));

    const { out, err, exitCode } = await runCli(registerSiteCommands, ['site', 'check', '--config', join(dir, 'site.yaml'), '--spec', join(dir, 'spec.yaml'), '--json']);

    expect([exitCode, out]).toEqual([2, '']);
    expect((JSON.parse(err) as { error: { code: string } }).error.code).toBe('COHORT_E_DATA_MAPPING_INCOMPLETE');
  });
});
