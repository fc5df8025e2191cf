/**
 * De-identification of a CT image full of planted identifiers, read back with
 * dicom-parser: each attribute gets what Table E.1-1 says, nothing planted survives
 * anywhere in the bytes (and the same search finds every value in the input), UIDs are
 * keyed and consistent, dates shift by one whole-day offset per patient, and each
 * option keeps exactly its attributes.
 */
import { describe, expect, it } from 'vitest';
import { defaultActionTable } from '../../../core/dicom/action-table.ts';
import { IMPLEMENTATION_CLASS_UID, deidentifyDicom, type DeidOptions } from '../../../core/dicom/deidentify.ts';
import { DATE_SHIFT_MAX_DAYS, deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { CT_IMAGE, EXPLICIT, IMPLICIT, OTHER_SECRET, SECRET, bytesContain, makeFile, planted, plantedValues } from './fixture.ts';
import { item, parse, presence, x, type DataSet } from './second-parser.ts';
import { caughtSync } from '../../support/caught.ts';

const keys = deidKeys(SECRET);
const deid = (bytes: Uint8Array, opts: Partial<DeidOptions> = {}): Uint8Array => deidentifyDicom(bytes, { keys, ...opts }).bytes;
const str = (ds: DataSet, tag: string): string | undefined => ds.string(x(tag));

type Expect = 'absent' | 'empty' | { value: string };
/** Top-level attributes of the fixture: the table's code for each, and what that code gives. */
const TOP: [tag: string, code: string, expect: Expect][] = [
  ['00100010', 'Z', 'empty'], // Patient's Name
  ['00100020', 'Z/D', { value: 'DEIDENTIFIED' }], // Patient ID
  ['00100030', 'Z', 'empty'], // Birth Date
  ['00100040', 'Z', 'empty'], // Sex
  ['00101000', 'X', 'absent'], // Other Patient IDs
  ['00101010', 'X', 'absent'], // Age
  ['00101020', 'X', 'absent'], // Size
  ['00101030', 'X', 'absent'], // Weight
  ['00101040', 'X', 'absent'], // Address
  ['00102154', 'X', 'absent'], // Telephone Numbers
  ['00102160', 'X', 'absent'], // Ethnic Group
  ['00104000', 'X', 'absent'], // Patient Comments
  ['00080080', 'X/Z/D', { value: 'DEIDENTIFIED' }], // Institution Name
  ['00080081', 'X', 'absent'], // Institution Address
  ['00080090', 'Z', 'empty'], // Referring Physician's Name
  ['00081050', 'X', 'absent'], // Performing Physician's Name
  ['00081070', 'X/Z/D', { value: 'DEIDENTIFIED' }], // Operators' Name
  ['00080050', 'Z', 'empty'], // Accession Number
  ['00181000', 'X/Z/D', { value: 'DEIDENTIFIED' }], // Device Serial Number
  ['00081010', 'X/Z/D', { value: 'DEIDENTIFIED' }], // Station Name
  ['00080020', 'Z', 'empty'], // Study Date
  ['00080021', 'X/D', { value: '19000101' }], // Series Date
  ['00080023', 'Z/D', { value: '19000101' }], // Content Date
  ['0008002A', 'X/Z/D', { value: '19000101000000' }], // Acquisition DateTime
  ['00080030', 'Z', 'empty'], // Study Time
  ['00081030', 'X', 'absent'], // Study Description
  ['00204000', 'X', 'absent'], // Image Comments
];

describe('deidentifyDicom: the Basic Profile on a planted CT image', () => {
  for (const ts of [EXPLICIT, IMPLICIT]) {
    describe(`transfer syntax ${ts}`, () => {
      const input = makeFile({ transferSyntax: ts });
      const output = deid(input);
      const ds = parse(output);

      it('finds every planted value in the input bytes and none in the output bytes', () => {
        const values = plantedValues(planted());
        expect(values).toHaveLength(36);
        expect(values.filter(([, v]) => !bytesContain(input, v)).map(([k]) => k)).toEqual([]);
        expect(values.filter(([, v]) => bytesContain(output, v)).map(([k]) => k)).toEqual([]);
      });

      it.each(TOP)('gives (%s) what the table code %s says', (tag, code, expected) => {
        expect(defaultActionTable().lookup(tag)?.basic).toBe(code);
        if (expected === 'absent') expect(presence(ds, tag)).toBe('absent');
        else if (expected === 'empty') expect(presence(ds, tag)).toBe(0);
        else expect(str(ds, tag)).toBe(expected.value);
      });

      it('keeps the attributes the table does not list, and the pixel data byte for byte', () => {
        expect(str(ds, '00080060')).toBe('CT');
        expect(str(ds, '00080070')).toBe('Acme Scanners');
        expect(str(ds, '00080016')).toBe(CT_IMAGE);
        expect(ds.floatString(x('00180050'))).toBe(2.5);
        expect(ds.uint16(x('00280010'))).toBe(3);
        expect(ds.uint16(x('00280011'))).toBe(4);
        expect(ds.uint16(x('00280101'))).toBe(12);
        expect(str(ds, '00280301')).toBe('NO');
        const inPx = parse(input).elements[x('7FE00010')]!;
        const outPx = ds.elements[x('7FE00010')]!;
        expect(outPx.length).toBe(24);
        expect(Buffer.from(output.subarray(outPx.dataOffset, outPx.dataOffset + 24)).equals(Buffer.from(input.subarray(inPx.dataOffset, inPx.dataOffset + 24)))).toBe(true);
      });

      it('removes every private attribute, at the top level and inside sequences', () => {
        for (const tag of ['00090010', '00091001']) expect(presence(ds, tag)).toBe('absent');
        const nested = item(ds, '00081032');
        for (const tag of ['00190010', '00191001']) expect(presence(nested, tag)).toBe('absent');
        expect(Object.keys(ds.elements).filter((t) => Number.parseInt(t.slice(1, 5), 16) % 2 === 1)).toEqual([]);
      });

      it('applies the table inside a kept sequence, two levels deep', () => {
        const p = planted();
        const nested = item(ds, '00081032'); // Procedure Code Sequence: not in the table, kept and walked
        expect(str(nested, '00080100')).toBe('CTHEAD');
        expect(str(nested, '00080104')).toBe('CT of the head');
        expect(presence(nested, '00080050')).toBe(0);
        expect(str(nested, '00080080')).toBe('DEIDENTIFIED');
        expect(str(nested, '00081070')).toBe('DEIDENTIFIED');
        expect(presence(nested, '00100010')).toBe(0);
        expect(presence(nested, '00080020')).toBe(0);
        const deep = item(nested, '00081140'); // Referenced Image Sequence, X/Z/U*: kept, its UIDs replaced
        expect(str(deep, '00081150')).toBe(CT_IMAGE);
        expect(str(deep, '00081155')).toBe(keys.uid(p.deepReferencedUid));
        expect(presence(deep, '00100010')).toBe(0);
        expect(str(item(ds, '00081140'), '00081155')).toBe(keys.uid(p.referencedUid));
      });

      it('replaces the UIDs with keyed 2.25 UIDs and the file meta with Cohort’s own', () => {
        const p = planted();
        expect(str(ds, '00080018')).toBe(keys.uid(p.sopUid));
        expect(str(ds, '0020000D')).toBe(keys.uid(p.studyUid));
        expect(str(ds, '0020000E')).toBe(keys.uid(p.seriesUid));
        expect(str(ds, '00200052')).toBe(keys.uid(p.frameOfReferenceUid));
        for (const tag of ['00080018', '0020000D', '0020000E', '00200052']) expect(str(ds, tag)).toMatch(/^2\.25\.(0|[1-9]\d{0,38})$/);
        expect(str(ds, '00020003')).toBe(str(ds, '00080018'));
        expect(str(ds, '00020002')).toBe(CT_IMAGE);
        expect(str(ds, '00020010')).toBe(ts);
        expect(str(ds, '00020012')).toBe(IMPLEMENTATION_CLASS_UID);
        expect(presence(ds, '00020016')).toBe('absent'); // Source Application Entity Title
      });

      it('records the profile: Patient Identity Removed, the method and its CID 7050 code', () => {
        expect(str(ds, '00120062')).toBe('YES');
        expect(str(ds, '00120063')).toBe('Basic Application Confidentiality Profile');
        expect(ds.elements[x('00120064')]!.items).toHaveLength(1);
        const c = item(ds, '00120064');
        expect([str(c, '00080100'), str(c, '00080102'), str(c, '00080104')]).toEqual(['113100', 'DCM', 'Basic Application Confidentiality Profile']);
        expect(str(ds, '00280303')).toBe('REMOVED');
      });
    });
  }
});

describe('deidentifyDicom: keyed UIDs across files, runs and secrets', () => {
  const p1 = planted(1);
  const p2 = planted(2);
  const a = parse(deid(makeFile({ p: p1 })));
  const b = parse(deid(makeFile({ p: p2 })));

  it('gives two files of one study the same study, series and frame of reference UIDs, and different instance UIDs', () => {
    for (const tag of ['0020000D', '0020000E', '00200052']) expect(str(a, tag)).toBe(str(b, tag));
    expect(str(a, '00080018')).not.toBe(str(b, '00080018'));
  });

  it('gives the same UIDs in a second run with the same secret and other UIDs with another secret', () => {
    const again = parse(deidentifyDicom(makeFile({ p: p1 }), { keys: deidKeys(Buffer.from(SECRET)) }).bytes);
    const other = parse(deidentifyDicom(makeFile({ p: p1 }), { keys: deidKeys(OTHER_SECRET) }).bytes);
    for (const tag of ['00080018', '0020000D', '0020000E', '00200052']) {
      expect(str(again, tag)).toBe(str(a, tag));
      expect(str(other, tag)).not.toBe(str(a, tag));
      expect(str(other, tag)).toMatch(/^2\.25\./);
    }
  });
});

const DAY = 86_400_000;
const days = (from: string, to: string): number =>
  (Date.UTC(+to.slice(0, 4), +to.slice(4, 6) - 1, +to.slice(6, 8)) - Date.UTC(+from.slice(0, 4), +from.slice(4, 6) - 1, +from.slice(6, 8))) / DAY;

/** Every data set path and value (hex) in a parsed file, sequences flattened. */
function flatten(ds: DataSet, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [tag, el] of Object.entries(ds.elements)) {
    const path = `${prefix}${tag.slice(1).toUpperCase()}`;
    if (el.items !== undefined) el.items.forEach((it, i) => it.dataSet && flatten(it.dataSet, `${path}[${i}].`).forEach((v, k) => out.set(k, v)));
    else out.set(path, Buffer.from(ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)).toString('hex'));
  }
  return out;
}
const differing = (a: Map<string, string>, b: Map<string, string>): string[] =>
  [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k) && !k.startsWith('00120064')).sort();

describe('deidentifyDicom: Retain Longitudinal Temporal Information with Modified Dates', () => {
  const p = planted(1, 'A');
  const input = makeFile({ p });
  const output = deid(input, { retainDates: true });
  const ds = parse(output);
  const shift = keys.dateShiftDays(p.patientId);

  it('shifts every date and datetime of the file by one whole-day offset in [-3650, -1]', () => {
    expect(Number.isInteger(shift)).toBe(true);
    expect(shift).toBeGreaterThanOrEqual(-DATE_SHIFT_MAX_DAYS);
    expect(shift).toBeLessThanOrEqual(-1);
    expect(days(p.studyDate, str(ds, '00080020')!)).toBe(shift);
    expect(days(p.seriesDate, str(ds, '00080021')!)).toBe(shift);
    expect(days(p.contentDate, str(ds, '00080023')!)).toBe(shift);
    expect(days(p.nestedDate, str(item(ds, '00081032'), '00080020')!)).toBe(shift);
    const dt = str(ds, '0008002A')!;
    expect(days(p.acquisitionDateTime.slice(0, 8), dt.slice(0, 8))).toBe(shift);
    expect(dt.slice(8)).toBe('103015'); // the time of day stays: the shift is whole days
    expect(str(ds, '00080030')).toBe('101500');
  });

  it('shifts another file of the same patient by the same offset, and another patient by another', () => {
    const later = { ...planted(2, 'A'), studyDate: '20240229', seriesDate: '20240301' };
    const l = parse(deid(makeFile({ p: later }), { retainDates: true }));
    expect(days('20240229', str(l, '00080020')!)).toBe(shift);
    expect(days('20240301', str(l, '00080021')!)).toBe(shift);
    const q = planted(1, 'B');
    const other = parse(deid(makeFile({ p: q }), { retainDates: true }));
    expect(days(q.studyDate, str(other, '00080020')!)).toBe(keys.dateShiftDays(q.patientId));
    expect(keys.dateShiftDays(q.patientId)).not.toBe(shift);
  });

  it('changes exactly the option’s attributes relative to the Basic Profile', () => {
    const basic = flatten(parse(deid(input)));
    expect(differing(basic, flatten(ds))).toEqual(['00080020', '00080021', '00080023', '0008002A', '00080030', '00081032[0].00080020', '00120063', '00280303']);
    expect(presence(ds, '00100030')).toBe(0); // Birth Date: not a longitudinal date, still Z
    expect(str(ds, '00280303')).toBe('MODIFIED');
    expect(ds.string(x('00120063'), 1)).toBe('Retain Longitudinal Temporal Information Modified Dates');
    expect(ds.elements[x('00120064')]!.items!.map((i) => i.dataSet!.string(x('00080100')))).toEqual(['113100', '113107']);
  });

  it('still leaves no planted value in the bytes', () => {
    expect(plantedValues(p).filter(([, v]) => bytesContain(output, v)).map(([k]) => k)).toEqual([]);
  });
});

describe('deidentifyDicom: Retain Patient Characteristics', () => {
  const input = makeFile();
  const ds = parse(deid(input, { retainPatientCharacteristics: true }));

  it('keeps sex, age, size, weight and ethnic group (the table’s K rows present) and nothing else', () => {
    expect(str(ds, '00100040')).toBe('F');
    expect(str(ds, '00101010')).toBe('064Y');
    expect(str(ds, '00101020')).toBe('1.68');
    expect(str(ds, '00101030')).toBe('61.5');
    expect(str(ds, '00102160')).toBe('ETHNICX');
    const basic = flatten(parse(deid(input)));
    expect(differing(basic, flatten(ds))).toEqual(['00100040', '00101010', '00101020', '00101030', '00102160', '00120063']);
    expect(ds.elements[x('00120064')]!.items!.map((i) => i.dataSet!.string(x('00080100')))).toEqual(['113100', '113108']);
  });

  it('records both options when both are used', () => {
    const both = parse(deid(input, { retainDates: true, retainPatientCharacteristics: true }));
    expect(both.elements[x('00120064')]!.items!.map((i) => i.dataSet!.string(x('00080100')))).toEqual(['113100', '113107', '113108']);
    expect([0, 1, 2].map((i) => both.string(x('00120063'), i))).toEqual([
      'Basic Application Confidentiality Profile',
      'Retain Longitudinal Temporal Information Modified Dates',
      'Retain Patient Characteristics',
    ]);
  });
});

describe('deidentifyDicom: what cannot be read or would be falsified', () => {
  it('removes an attribute unknown to the dictionary and the table when it is encoded as UN, and group lengths', () => {
    const hidden = new Uint8Array(Buffer.from('HIDDEN-IN-UN-VALUE')).buffer;
    const input = makeFile({ extra: { '0018FFF0': { vr: 'UN', Value: [hidden] }, '00280000': { vr: 'UL', Value: [1234] } } });
    expect(bytesContain(input, 'HIDDEN-IN-UN-VALUE')).toBe(true);
    expect(parse(input).elements[x('00280000')]).toBeDefined();
    const ds = parse(deid(input));
    expect(presence(ds, '0018FFF0')).toBe('absent');
    expect(presence(ds, '00280000')).toBe('absent');
  });

  it('refuses, as MALFORMED and without quoting it, a value dcmjs cannot write back', () => {
    // dcmjs reads a UN element of a known tag as the dictionary's VR (DS here), then cannot write the value.
    const input = makeFile({ extra: { '00180088': { vr: 'UN', Value: [new Uint8Array(Buffer.from('HIDDEN-IN-UN-VALUE')).buffer] } } });
    const e = caughtSync(() => deid(input));
    expect(e.code).toBe('COHORT_E_DICOM_MALFORMED');
    expect(e.message).toBe('input: an attribute cannot be written back');
  });

  it('removes overlay data and curve data in any group of their ranges', () => {
    const words = new Uint8Array(Buffer.from('OVERLAYBITS1')).buffer;
    const input = makeFile({ extra: { '60003000': { vr: 'OW', Value: [words] }, '60024000': { vr: 'LT', Value: ['OVERLAY-COMMENT-X'] }, '50100010': { vr: 'US', Value: [2] } } });
    const ds = parse(deid(input));
    for (const tag of ['60003000', '60024000', '50100010']) expect(presence(ds, tag)).toBe('absent');
  });
});

