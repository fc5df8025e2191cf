/**
 * `cohort dicom deid` on a directory of generated studies with everything a PACS export
 * holds: two images of one study under a directory named after the patient, a burned-in
 * image, an undeclared secondary capture, a JPEG file, a truncated file and a text file.
 * The written files carry none of the planted values, their paths none of the input's
 * names, the input directory is left as it was, and every skip has its code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_EVERY, registerDicomCommands } from '../../../cli/commands/dicom.ts';
import { listFiles } from '../../../core/dicom/deidentify-directory.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { DicomErrors } from '../../../core/errors/index.ts';
import { OTHER_SECRET, SECONDARY_CAPTURE, SECRET, bytesContain, makeFile, planted, plantedValues } from '../../core/dicom/fixture.ts';
import { parse } from '../../core/dicom/second-parser.ts';
import { runCli, runCliJson } from './run-cli.ts';

interface RunJson {
  written: { input: string; output: string }[];
  skipped: { input: string; code: string; reason: string }[];
}

let root: string;
let inDir: string;
let secretFile: string;
let n = 0;
const keys = deidKeys(SECRET);
const p1 = planted(1);
const p2 = planted(2);
const out = (): string => join(root, `out-${n++}`);

/** Every file under `dir` with its SHA-256, to show a directory unchanged. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(listFiles(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cohort-dicom-cli-'));
  inDir = join(root, 'pacs-export');
  const patientDir = join(inDir, 'ZEBRAFISH^QUENTINA', 'CT HEAD');
  mkdirSync(patientDir, { recursive: true });
  writeFileSync(join(patientDir, 'IM0001.dcm'), makeFile({ p: p1 }));
  writeFileSync(join(patientDir, 'IM0002.dcm'), makeFile({ p: p2 }));
  writeFileSync(join(inDir, 'burned.dcm'), makeFile({ p: planted(3), extra: { '00280301': { vr: 'CS', Value: ['YES'] } } }));
  writeFileSync(join(inDir, 'capture.dcm'), makeFile({ p: planted(4), sopClass: SECONDARY_CAPTURE, extra: { '00280301': undefined } }));
  writeFileSync(join(inDir, 'jpeg.dcm'), makeFile({ p: planted(5), transferSyntax: '1.2.840.10008.1.2.4.50' }));
  const whole = makeFile({ p: planted(6) });
  writeFileSync(join(inDir, 'cut.dcm'), whole.subarray(0, whole.length - 5));
  writeFileSync(join(inDir, 'notes.txt'), 'patient ZEBRAFISH^QUENTINA called about results\n');
  secretFile = join(root, 'dicom-secret');
  writeFileSync(secretFile, `${SECRET.toString('utf8')}\n`);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const deid = (outDir: string, ...flags: string[]): Promise<unknown> =>
  runCliJson(registerDicomCommands, ['dicom', 'deid', inDir, '--out', outDir, '--secret-file', secretFile, '--json', ...flags]);

async function refusal(args: string[]): Promise<{ exitCode: number; code: string }> {
  const r = await runCli(registerDicomCommands, ['dicom', 'deid', ...args, '--json']);
  expect(r.out).toBe('');
  return { exitCode: r.exitCode, code: (JSON.parse(r.err) as { error: { code: string } }).error.code };
}

describe('cohort dicom deid', () => {
  it('writes the two images of the study and skips every other file with its code', async () => {
    const before = snapshot(inDir);
    const outDir = out();
    const r = (await deid(outDir)) as RunJson;
    const sop = (p: typeof p1): string => join(outDir, keys.uid(p.studyUid), keys.uid(p.seriesUid), `${keys.uid(p.sopUid)}.dcm`);
    expect(r.written).toEqual([
      { input: join('ZEBRAFISH^QUENTINA', 'CT HEAD', 'IM0001.dcm'), output: sop(p1) },
      { input: join('ZEBRAFISH^QUENTINA', 'CT HEAD', 'IM0002.dcm'), output: sop(p2) },
    ]);
    expect(r.skipped.map(({ input, code }) => ({ input, code }))).toEqual([
      { input: 'burned.dcm', code: DicomErrors.BURNED_IN_ANNOTATION.code },
      { input: 'capture.dcm', code: DicomErrors.SECONDARY_CAPTURE_UNDECLARED.code },
      { input: 'cut.dcm', code: DicomErrors.TRUNCATED.code },
      { input: 'jpeg.dcm', code: DicomErrors.TRANSFER_SYNTAX_UNSUPPORTED.code },
      { input: 'notes.txt', code: DicomErrors.NOT_DICOM.code },
    ]);
    expect(r.skipped[0]!.reason).toBe('burned.dcm: Burned In Annotation (0028,0301) is YES');
    expect(listFiles(outDir)).toEqual(r.written.map((w) => relative(outDir, w.output)).sort());
    expect(snapshot(inDir)).toEqual(before);
  });

  it('leaves no planted value in the written files or their paths', async () => {
    const outDir = out();
    const r = (await deid(outDir)) as RunJson;
    for (const [w, p] of [[r.written[0]!, p1], [r.written[1]!, p2]] as const) {
      const bytes = readFileSync(w.output);
      expect(plantedValues(p).filter(([, v]) => bytesContain(readFileSync(join(inDir, w.input)), v))).toHaveLength(36);
      expect(plantedValues(p).filter(([, v]) => bytesContain(bytes, v)).map(([k]) => k)).toEqual([]);
      expect(plantedValues(p).filter(([, v]) => relative(outDir, w.output).includes(v)).map(([k]) => k)).toEqual([]);
      expect(relative(outDir, w.output)).not.toContain('ZEBRAFISH');
    }
  });

  it('writes the same files in a second run with the same secret, and others with another secret', async () => {
    const first = (await deid(out())) as RunJson;
    const a = out();
    const again = (await deid(a)) as RunJson;
    expect(again.written.map((w) => relative(a, w.output))).toEqual(first.written.map((w) => relative(join(root, `out-${n - 2}`), w.output)));
    expect(readFileSync(again.written[0]!.output).equals(readFileSync(first.written[0]!.output))).toBe(true);
    const otherSecret = join(root, 'other-secret');
    writeFileSync(otherSecret, OTHER_SECRET);
    const b = out();
    const other = (await runCliJson(registerDicomCommands, ['dicom', 'deid', inDir, '--out', b, '--secret-file', otherSecret, '--json'])) as RunJson;
    expect(other.written.map((w) => relative(b, w.output))).not.toEqual(again.written.map((w) => relative(a, w.output)));
  });

  it('passes --retain-dates and --retain-patient-characteristics to the profile', async () => {
    const r = (await deid(out(), '--retain-dates', '--retain-patient-characteristics')) as RunJson;
    const first = r.written.find((w) => w.input.endsWith('IM0001.dcm'))!;
    const ds = parse(readFileSync(first.output));
    expect(ds.elements.x00120064!.items!.map((i) => i.dataSet!.string('x00080100'))).toEqual(['113100', '113107', '113108']);
    expect(ds.string('x00100040')).toBe('F');
    // The study date moved by the patient's own offset, derived from the secret file's key.
    const shift = keys.dateShiftDays(p1.patientId);
    expect(shift).toBeLessThanOrEqual(-1);
    const day = (d: string): number => Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)) / 86_400_000;
    expect(day(ds.string('x00080020')!) - day(p1.studyDate)).toBe(shift);
    expect(day(ds.string('x00080021')!) - day(p1.seriesDate)).toBe(shift);
  });

  it('prints a summary without --json', async () => {
    const r = await runCli(registerDicomCommands, ['dicom', 'deid', inDir, '--out', out(), '--secret-file', secretFile]);
    expect(r.exitCode).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('de-identified 2 files, skipped 5');
    expect(lines[1]).toBe(`  skipped ${DicomErrors.BURNED_IN_ANNOTATION.code}: burned.dcm: Burned In Annotation (0028,0301) is YES`);
    expect(lines).toHaveLength(6);
  });

  it('reports progress on stderr for a long run', async () => {
    const many = join(root, 'many');
    mkdirSync(many);
    for (let i = 0; i < PROGRESS_EVERY + 1; i++) writeFileSync(join(many, `f${i}.dcm`), makeFile({ p: planted(100 + i) }));
    const r = await runCli(registerDicomCommands, ['dicom', 'deid', many, '--out', out(), '--secret-file', secretFile, '--json']);
    expect(r.exitCode).toBe(0);
    expect(r.err).toBe('dicom deid: 100/101 files\ndicom deid: 101/101 files\n');
    expect((JSON.parse(r.out) as RunJson).written).toHaveLength(101);
  });
});

describe('cohort dicom deid refuses', () => {
  it('to run without --secret-file: there is no default secret', async () => {
    const outDir = out();
    expect(await refusal([inDir, '--out', outDir])).toEqual({ exitCode: 2, code: DicomErrors.SECRET_REQUIRED.code });
    expect(existsSync(outDir)).toBe(false);
  });

  it('a secret file that is missing or shorter than 32 bytes', async () => {
    const short = join(root, 'short-secret');
    writeFileSync(short, `${'a'.repeat(31)}\n`);
    expect(await refusal([inDir, '--out', out(), '--secret-file', short])).toEqual({ exitCode: 2, code: DicomErrors.SECRET_INVALID.code });
    expect(await refusal([inDir, '--out', out(), '--secret-file', join(root, 'nope')])).toEqual({ exitCode: 2, code: DicomErrors.SECRET_INVALID.code });
  });

  it('an output directory that is, lies inside or contains the input directory', async () => {
    const before = snapshot(inDir);
    for (const o of [inDir, join(inDir, 'deid'), join(inDir, 'ZEBRAFISH^QUENTINA'), root]) {
      expect(await refusal([inDir, '--out', o, '--secret-file', secretFile])).toEqual({ exitCode: 2, code: DicomErrors.OUTPUT_INSIDE_INPUT.code });
    }
    expect(snapshot(inDir)).toEqual(before);
  });

  it('an input directory that does not exist', async () => {
    expect(await refusal([join(root, 'missing'), '--out', out(), '--secret-file', secretFile])).toEqual({ exitCode: 1, code: DicomErrors.INPUT_UNREADABLE.code });
  });
});
