/**
 * The directory walk under `cohort dicom deid`: duplicates, symbolic links (neither
 * followed in the input nor accepted as a way to write into it), and progress.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deidentifyDirectory, listFiles } from '../../../core/dicom/deidentify-directory.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { DicomErrors } from '../../../core/errors/index.ts';
import { SECRET, makeFile, planted } from './fixture.ts';
import { caughtSync } from '../../support/caught.ts';

let root: string;
const keys = deidKeys(SECRET);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cohort-dicom-dir-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('deidentifyDirectory', () => {
  it('writes the first of two files with the same SOP Instance UID and skips the second as DUPLICATE_INSTANCE', () => {
    const input = join(root, 'dup');
    mkdirSync(input);
    writeFileSync(join(input, 'a.dcm'), makeFile());
    writeFileSync(join(input, 'b.dcm'), makeFile());
    const r = deidentifyDirectory(input, join(root, 'dup-out'), { keys });
    expect(r.written.map((w) => w.input)).toEqual(['a.dcm']);
    expect(r.skipped.map((s) => [s.input, s.code])).toEqual([['b.dcm', DicomErrors.DUPLICATE_INSTANCE.code]]);
  });

  it('does not follow symbolic links out of the input directory', () => {
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'elsewhere.dcm'), makeFile({ p: planted(9) }));
    const input = join(root, 'links');
    mkdirSync(input);
    writeFileSync(join(input, 'here.dcm'), makeFile());
    symlinkSync(outside, join(input, 'linked-dir'));
    symlinkSync(join(outside, 'elsewhere.dcm'), join(input, 'linked.dcm'));
    expect(listFiles(input)).toEqual(['here.dcm']);
    expect(deidentifyDirectory(input, join(root, 'links-out'), { keys }).written.map((w) => w.input)).toEqual(['here.dcm']);
  });

  it('refuses an output path that reaches into the input directory through a symbolic link', () => {
    const input = join(root, 'target');
    mkdirSync(input);
    symlinkSync(input, join(root, 'sneaky'));
    expect(caughtSync(() => deidentifyDirectory(input, join(root, 'sneaky'), { keys })).code).toBe(DicomErrors.OUTPUT_INSIDE_INPUT.code);
  });

  it('refuses an output path not created yet whose existing ancestor is a symbolic link into the input', () => {
    const input = join(root, 'real-input');
    mkdirSync(input);
    writeFileSync(join(input, 'a.dcm'), makeFile());
    symlinkSync(input, join(root, 'link-to-input'));
    const target = join(root, 'link-to-input', 'new', 'out');
    expect(caughtSync(() => deidentifyDirectory(input, target, { keys })).code).toBe(DicomErrors.OUTPUT_INSIDE_INPUT.code);
    expect(listFiles(input)).toEqual(['a.dcm']); // nothing was written inside
    // A new path under a real directory beside the input is accepted.
    expect(deidentifyDirectory(input, join(root, 'beside', 'new', 'out'), { keys }).written).toHaveLength(1);
  });

  it('reports progress after every file', () => {
    const input = join(root, 'progress');
    mkdirSync(input);
    for (const i of [1, 2, 3]) writeFileSync(join(input, `${i}.dcm`), makeFile({ p: planted(i) }));
    const seen: [number, number][] = [];
    deidentifyDirectory(input, join(root, 'progress-out'), { keys, onProgress: (d, t) => seen.push([d, t]) });
    expect(seen).toEqual([[1, 3], [2, 3], [3, 3]]);
  });
});
