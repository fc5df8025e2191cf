/**
 * Files de-identification refuses, each with its code and never a crash: burned-in
 * annotation, secondary captures that do not declare it, other transfer syntaxes,
 * truncated files (cut at every byte), non-DICOM files, and a temporal run without a
 * Patient ID.
 */
import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { deidentifyDicom, type DeidOptions } from '../../../core/dicom/deidentify.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { CohortError, DicomErrors } from '../../../core/errors/index.ts';
import { SECONDARY_CAPTURE, SECRET, bytesContain, makeFile } from './fixture.ts';
import { parse } from './second-parser.ts';
import { caughtSync } from '../../support/caught.ts';

const keys = deidKeys(SECRET);

/** The code deidentifyDicom refuses `bytes` with, or 'written'; any other exception fails the test. */
function outcome(bytes: Uint8Array, opts: Partial<DeidOptions> = {}): string {
  try {
    deidentifyDicom(bytes, { keys, ...opts }, 'case.dcm');
    return 'written';
  } catch (e) {
    if (e instanceof CohortError) return e.code;
    throw e;
  }
}

const cs = (v: string): { vr: string; Value: unknown[] } => ({ vr: 'CS', Value: [v] });

describe('images whose pixels may show identifiers', () => {
  it('refuses Burned In Annotation YES, in any case and padding', () => {
    expect(outcome(makeFile({ extra: { '00280301': cs('YES') } }))).toBe(DicomErrors.BURNED_IN_ANNOTATION.code);
    expect(outcome(makeFile({ extra: { '00280301': cs('yes ') } }))).toBe(DicomErrors.BURNED_IN_ANNOTATION.code);
    expect(outcome(makeFile({ extra: { '00280301': cs('NO') } }))).toBe('written');
  });

  it('refuses a secondary capture, single- or multi-frame, that does not say whether text is burned in', () => {
    expect(outcome(makeFile({ sopClass: SECONDARY_CAPTURE, extra: { '00280301': undefined } }))).toBe(DicomErrors.SECONDARY_CAPTURE_UNDECLARED.code);
    expect(outcome(makeFile({ sopClass: `${SECONDARY_CAPTURE}.4`, extra: { '00280301': undefined } }))).toBe(DicomErrors.SECONDARY_CAPTURE_UNDECLARED.code);
    expect(outcome(makeFile({ sopClass: SECONDARY_CAPTURE, extra: { '00280301': cs('NO') } }))).toBe('written');
    expect(outcome(makeFile({ sopClass: SECONDARY_CAPTURE, extra: { '00280301': cs('YES') } }))).toBe(DicomErrors.BURNED_IN_ANNOTATION.code);
  });

  it('does not take a VL image (1.2.840.10008.5.1.4.1.1.77.1.1) for a secondary capture by its prefix', () => {
    expect(outcome(makeFile({ sopClass: '1.2.840.10008.5.1.4.1.1.77.1.1', extra: { '00280301': undefined } }))).toBe('written');
    expect(outcome(makeFile({ extra: { '00280301': undefined } }))).toBe('written');
  });

  it('names the file and not a value in its reason', () => {
    const e = caughtSync(() => deidentifyDicom(makeFile({ extra: { '00280301': cs('YES') } }), { keys }, 'scans/img1.dcm'));
    expect(e.message).toBe('scans/img1.dcm: Burned In Annotation (0028,0301) is YES');
    expect(e.details).toEqual({ file: 'scans/img1.dcm' });
  });
});

describe('transfer syntaxes', () => {
  it.each([
    ['1.2.840.10008.1.2.4.50', 'JPEG baseline'],
    ['1.2.840.10008.1.2.4.90', 'JPEG 2000 lossless'],
    ['1.2.840.10008.1.2.5', 'RLE lossless'],
    ['1.2.840.10008.1.2.2', 'explicit VR big endian'],
    ['1.2.840.10008.1.2.1.99', 'deflated explicit VR little endian'],
  ])('refuses %s (%s)', (ts) => {
    const file = makeFile({ transferSyntax: ts });
    expect(bytesContain(file.subarray(0, 300), ts)).toBe(true);
    expect(outcome(file)).toBe(DicomErrors.TRANSFER_SYNTAX_UNSUPPORTED.code);
  });
});

describe('truncated and non-DICOM files', () => {
  const whole = makeFile();

  it('refuses a file cut inside its pixel data, which dcmjs alone reads without complaint', () => {
    const cut = whole.subarray(0, whole.length - 3);
    expect(() => dcmjs.data.DicomMessage.readFile(cut.buffer.slice(cut.byteOffset, cut.byteOffset + cut.length) as ArrayBuffer)).not.toThrow();
    expect(outcome(cut)).toBe(DicomErrors.TRUNCATED.code);
  });

  it('refuses the file cut at every byte with TRUNCATED, except where the cut falls between top-level elements', () => {
    // A cut just before a top-level element leaves a shorter file that is whole: nothing to detect.
    const ds = parse(whole);
    const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
    const starts = Object.values(ds.elements)
      .filter((e) => !e.tag.startsWith('x0002'))
      .map((e) => e.dataOffset - (LONG.has(e.vr ?? '') ? 12 : 8));
    const boundaries = new Set(starts);
    expect(starts.length).toBeGreaterThan(40);
    const counts: Record<string, number> = {};
    for (let n = 132; n < whole.length; n++) {
      const got = outcome(whole.subarray(0, n));
      const expected = boundaries.has(n) ? ['written', DicomErrors.MALFORMED.code] : [DicomErrors.TRUNCATED.code];
      if (!expected.includes(got)) throw new Error(`cut at ${n}: ${got}`);
      counts[got] = (counts[got] ?? 0) + 1;
    }
    expect(counts[DicomErrors.TRUNCATED.code]).toBe(whole.length - 132 - starts.length);
    expect((counts.written ?? 0) + (counts[DicomErrors.MALFORMED.code] ?? 0)).toBe(starts.length);
    expect(counts.written).toBeGreaterThan(0); // cuts after SOP Instance UID: a shorter, whole file
    expect(counts[DicomErrors.MALFORMED.code]).toBeGreaterThan(0); // cuts before it
  });

  it.each([
    ['an empty file', Buffer.alloc(0)],
    ['a text file', Buffer.from('PatientName,PatientID\nDOE^JOHN,123\n'.repeat(10))],
    ['a PNG header', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)])],
    ['a file of 131 bytes', Buffer.alloc(131)],
    ['a DICOM file without its preamble', whole.subarray(128)],
  ])('refuses %s as NOT_DICOM', (_name, bytes) => {
    expect(outcome(bytes)).toBe(DicomErrors.NOT_DICOM.code);
  });

  it('refuses a preamble and DICM followed by garbage as MALFORMED or TRUNCATED, never a crash', () => {
    const garbage = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('this is not a data set at all, only text '.repeat(4))]);
    expect([DicomErrors.MALFORMED.code, DicomErrors.TRUNCATED.code]).toContain(outcome(garbage));
    const noSyntax = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x08, 0x00, 0x16, 0x00, 0x55, 0x49, 0x02, 0x00, 0x31, 0x00])]);
    expect(outcome(noSyntax)).toBe(DicomErrors.MALFORMED.code);
  });

  it('refuses a file without SOP Instance UID as MALFORMED', () => {
    expect(outcome(makeFile({ extra: { '00080018': undefined } }))).toBe(DicomErrors.MALFORMED.code);
  });
});

describe('malformed element headers, refused before dcmjs reads them', () => {
  /** Byte offset of the explicit-VR header of `tag` (group, element) in `bytes`, found past the file meta. */
  function headerAt(bytes: Uint8Array, group: number, element: number, vr: string): number {
    const needle = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, vr.charCodeAt(0), vr.charCodeAt(1)]);
    const at = Buffer.from(bytes).indexOf(needle, 132);
    expect(at).toBeGreaterThan(132);
    return at;
  }

  it('refuses an unknown explicit VR (PN changed to PB in Operators\' Name) as MALFORMED, where dcmjs hangs', () => {
    const bytes = makeFile();
    bytes[headerAt(bytes, 0x0008, 0x1070, 'PN') + 5] = 'B'.charCodeAt(0);

    expect(outcome(bytes)).toBe('COHORT_E_DICOM_MALFORMED');
    expect(caughtSync(() => deidentifyDicom(bytes, { keys }, 'case.dcm')).message).toMatch(/^case\.dcm: element \(0008,1070\) at byte \d+ has an unknown VR$/);
  });

  it('refuses an unknown VR inside a sequence item as MALFORMED', () => {
    const bytes = makeFile();
    bytes[headerAt(bytes, 0x0008, 0x0104, 'LO') + 4] = 'Q'.charCodeAt(0);

    expect(outcome(bytes)).toBe('COHORT_E_DICOM_MALFORMED');
  });

  it('walks the items of a defined-length sequence: an unknown VR there is refused by the check, not left to dcmjs', () => {
    // A private defined-length sequence after the pixel data: one defined-length item holding (0009,0010) with VR "QQ".
    const inner = Buffer.from([0x09, 0x00, 0x10, 0x00, 0x51, 0x51, 0x02, 0x00, 0x41, 0x42]);
    const item = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), Buffer.from(new Uint32Array([inner.length]).buffer), inner]);
    const sq = Buffer.concat([Buffer.from([0xe1, 0x7f, 0x10, 0x10, 0x53, 0x51, 0x00, 0x00]), Buffer.from(new Uint32Array([item.length]).buffer), item]);
    const bytes = Buffer.concat([makeFile(), sq]);

    const e = caughtSync(() => deidentifyDicom(bytes, { keys }, 'case.dcm'));
    expect(e.code).toBe('COHORT_E_DICOM_MALFORMED');
    expect(e.message).toMatch(/^case\.dcm: element \(0009,0010\) at byte \d+ has an unknown VR$/);
  });
});

describe('the temporal option without a Patient ID', () => {
  it('refuses the file with NO_PATIENT_ID, and writes it without the option', () => {
    const file = makeFile({ extra: { '00100020': undefined } });
    expect(outcome(file, { retainDates: true })).toBe(DicomErrors.NO_PATIENT_ID.code);
    expect(outcome(makeFile({ extra: { '00100020': { vr: 'LO', Value: [] } } }), { retainDates: true })).toBe(DicomErrors.NO_PATIENT_ID.code);
    expect(outcome(file)).toBe('written');
  });
});
