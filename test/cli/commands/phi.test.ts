import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPhiCommands } from '../../../cli/commands/phi.ts';
import { runCli, runCliJson } from './run-cli.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const execFileAsync = promisify(execFile);

/** Patient values of the fixture: none may appear in any output. */
const VALUES = ['MR00012345', 'Maria', 'Lopez', '010-0123', 'Ana', 'Okafor', '3/14/2024', '900-12-3456'];

const EXTRACT = [
  'ref,who,contact,note,age,glucose,dx,year',
  'MR00012345,Maria Lopez,(555) 010-0123,Stable. Her daughter Ana will call.,63,104,E11.9,2019',
  'MR00012346,James Miller,555-010-0188,BP 138/85. Continue metformin 500 mg. SSN 900-12-3456.,71,98,I10,2021',
  'MR00012347,Wei Chen,555.010.0142,Seen by Dr. Okafor on 3/14/2024.,58,131,J45.909,2020',
].join('\n');

const why = {
  mrn: 'a code of 1-4 letters and 6 or more digits, the shape of a medical record number',
  firstLast: 'a whole cell that is a dictionary first name and a census surname ("First Last")',
  phone: 'a telephone number (North American or international format)',
  title: 'a title (Mr., Mrs., Ms., Dr., Prof.) followed by a capitalised word',
  relative: 'a kinship word (wife, son, daughter, ...) or "named" followed by a capitalised word',
  date: 'a date with day and month (ISO, month/day/year, day.month.year, named month)',
  ssn: 'a social security number (3-2-4 digits, or 9 digits labelled SSN)',
};

describe('cohort phi scan', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-phi-cli-'));
    file = join(dir, 'extract.csv');
    writeFileSync(file, `${EXTRACT}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json lists every column with its suspected kinds and the rules that fired, and no value', async () => {
    const json = await runCliJson(registerPhiCommands, ['phi', 'scan', file, '--json']);

    expect(json).toEqual({
      file,
      rows: 3,
      scannedRows: 3,
      columns: [
        { name: 'ref', suspected: ['H'], reasons: [{ kind: 'H', by: 'content', rule: 'mrn-prefixed', why: why.mrn, cells: 3 }] },
        { name: 'who', suspected: ['A'], reasons: [{ kind: 'A', by: 'content', rule: 'first-last', why: why.firstLast, cells: 3 }] },
        { name: 'contact', suspected: ['D'], reasons: [{ kind: 'D', by: 'content', rule: 'phone', why: why.phone, cells: 3 }] },
        {
          name: 'note',
          suspected: ['A', 'C', 'G'],
          reasons: [
            { kind: 'A', by: 'content', rule: 'title-name', why: why.title, cells: 1 },
            { kind: 'A', by: 'content', rule: 'relative-name', why: why.relative, cells: 1 },
            { kind: 'C', by: 'content', rule: 'date', why: why.date, cells: 1 },
            { kind: 'G', by: 'content', rule: 'ssn', why: why.ssn, cells: 1 },
          ],
        },
        { name: 'age', suspected: [], reasons: [] },
        { name: 'glucose', suspected: [], reasons: [] },
        { name: 'dx', suspected: [], reasons: [] },
        { name: 'year', suspected: [], reasons: [] },
      ],
    });
    for (const value of VALUES) expect(JSON.stringify(json).replaceAll(dir, '')).not.toContain(value);
  });

  it('prints a readable report without --json', async () => {
    const { out, err, exitCode } = await runCli(registerPhiCommands, ['phi', 'scan', file]);

    expect([exitCode, err]).toEqual([0, '']);
    expect(out.split('\n').slice(0, 4)).toEqual([
      `${file}: 3 rows, 8 columns, 4 suspected identifiers`,
      '  ref: H (medical record numbers)',
      `      H by content, mrn-prefixed: ${why.mrn} [3 cells]`,
      '  who: A (names)',
    ]);
    expect(out).toContain('  age: clean\n');
    for (const value of VALUES) expect(out.replaceAll(dir, '')).not.toContain(value);
  });

  it.each([
    ['a missing file', (d: string) => join(d, 'absent.csv'), 'COHORT_E_GENERAL_FILE_NOT_FOUND', 1],
    ['a directory', (d: string) => d, 'COHORT_E_DATA_FILE_UNREADABLE', 1],
    [
      'a binary file',
      (d: string) => {
        const p = join(d, 'photo.jpg');
        writeFileSync(p, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]));
        return p;
      },
      'COHORT_E_DATA_NOT_CSV',
      1,
    ],
    [
      'malformed CSV quoting a name',
      (d: string) => {
        const p = join(d, 'ragged.csv');
        writeFileSync(p, 'a,b\n1,2\n"Maria Lopez",2,3\n');
        return p;
      },
      'COHORT_E_DATA_CSV_MALFORMED',
      1,
    ],
  ])('refuses %s with a coded error and exit status %i', async (_what, make, code, status) => {
    const path = make(dir);

    const { out, err, exitCode } = await runCli(registerPhiCommands, ['phi', 'scan', path, '--json']);

    expect(exitCode).toBe(status);
    expect(out).toBe('');
    const error = (JSON.parse(err) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe(code);
    expect(error.message).toContain(path);
    expect(err.replaceAll(dir, '')).not.toContain('Maria');
  });

  it('refuses a file without a header line, naming column positions and no cell, in --json and human output', async () => {
    // The attack: the first patient row would be printed (and logged) as the column names.
    const path = join(dir, 'headerless.csv');
    writeFileSync(path, `${EXTRACT.split('\n').slice(1).join('\n')}\n`);

    const json = await runCli(registerPhiCommands, ['phi', 'scan', path, '--json']);
    const human = await runCli(registerPhiCommands, ['phi', 'scan', path]);

    expect(json.exitCode).toBe(1);
    expect(json.out).toBe('');
    const error = (JSON.parse(json.err) as { error: { code: string; details: unknown } }).error;
    expect(error.code).toBe('COHORT_E_DATA_HEADER_IS_DATA');
    expect(error.details).toEqual({ file: path, columns: [1, 2, 3, 4, 5, 6, 8] }); // column 7, an ICD-10 code, is not an identifier shape
    expect(human.exitCode).toBe(1);
    expect(human.out).toBe('');
    expect(human.err).toContain('COHORT_E_DATA_HEADER_IS_DATA');
    for (const value of [...VALUES, 'Stable', '104', 'E11.9', '2019']) {
      expect(json.err.replaceAll(dir, '')).not.toContain(value);
      expect(human.err.replaceAll(dir, '')).not.toContain(value);
    }
  });

  it('refuses a bad --rows with a usage error (exit 2)', async () => {
    const { out, err, exitCode } = await runCli(registerPhiCommands, ['phi', 'scan', file, '--rows', '0']);

    expect([exitCode, out, err]).toEqual([2, '', 'error COHORT_E_GENERAL_USAGE: --rows must be a positive integer, got "0"\n']);
  });

  it('runs as the real cohort binary, in its own process', async () => {
    const { stdout, stderr } = await execFileAsync(process.execPath, ['cli/bin/cohort.js', 'phi', 'scan', file, '--json'], { cwd: ROOT, timeout: 120_000 });

    expect(stderr).toBe('');
    const json = JSON.parse(stdout) as { columns: { name: string; suspected: string[] }[] };
    expect(json.columns.map((c) => [c.name, c.suspected])).toEqual([
      ['ref', ['H']],
      ['who', ['A']],
      ['contact', ['D']],
      ['note', ['A', 'C', 'G']],
      ['age', []],
      ['glucose', []],
      ['dx', []],
      ['year', []],
    ]);
    const missing = await execFileAsync(process.execPath, ['cli/bin/cohort.js', 'phi', 'scan', join(dir, 'absent.csv')], { cwd: ROOT, timeout: 120_000 }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect('code' in missing ? [missing.code, missing.stderr] : 'exit 0').toEqual([1, `error COHORT_E_GENERAL_FILE_NOT_FOUND: ${join(dir, 'absent.csv')}: no such file (expected a CSV extract; a site config names it in dataset.path)\n`]);
  }, 180_000);
});
