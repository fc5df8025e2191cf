/**
 * The adversarial file: one attribute for every row of Table E.1-1 that can occur in a
 * data set, each filled with its own planted value (sequences carry a planted name, an
 * institution and a private attribute inside), de-identified with and without the options.
 * Each row's outcome is checked against its code in the CSV, and no planted value is left
 * anywhere in the output bytes, while the same search finds each one in the input.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { DcmDataset, DcmElement } from 'dcmjs';
import { defaultActionTable, type ActionRow } from '../../../core/dicom/action-table.ts';
import { deidentifyDicom } from '../../../core/dicom/deidentify.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { CT_IMAGE, SECRET, bytesContain, writePart10 } from './fixture.ts';
import { parse, x, type DataSet } from './second-parser.ts';

const dictionary = (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { dictionary: Record<string, { vr: string } | undefined> } } }).data
  .DicomMetaDictionary.dictionary;
const keys = deidKeys(SECRET);
const PATIENT_ID = 'EVERYROW-PATIENT-1';

interface Case {
  readonly row: ActionRow;
  readonly tag: string;
  readonly vr: string;
  readonly element: DcmElement;
  /** The planted text to search the bytes for; undefined for binary numbers, which cannot be searched. */
  readonly planted: string | undefined;
}

/** Rows of groups 0000 (commands), 0002 (file meta, checked elsewhere) and 0004 (DICOMDIR) cannot be in an image's data set. */
const inDataset = (r: ActionRow): boolean => !/^\(000[024],/.test(r.tag);
const tagOf = (r: ActionRow): string =>
  r.tag.startsWith('(GGGG') ? '00091001' : r.tag === '(50XX,XXXX)' ? '50003000' : `${r.tag.slice(1, 5)}${r.tag.slice(6, 10)}`.replaceAll('X', '2');

function vrOf(tag: string): string {
  if (tag === '00091001') return 'LO';
  const vr = dictionary[`(${tag.slice(0, 4)},${tag.slice(4)})`]?.vr ?? 'LO';
  return vr === 'ox' ? 'OW' : vr === 'xs' ? 'US' : vr;
}

const pad = (i: number, n = 3): string => String(i).padStart(n, '0');
const isoDate = (i: number): string => new Date(Date.UTC(1931, 0, 1) + i * 86_400_000 * 3).toISOString().slice(0, 10).replaceAll('-', '');

function plantedElement(i: number, vr: string): { element: DcmElement; planted: string | undefined } {
  const text = (v: string): { element: DcmElement; planted: string } => ({ element: { vr, Value: [v] }, planted: v });
  switch (vr) {
    case 'PN':
      return { element: { vr, Value: [{ Alphabetic: `PLANTPN${pad(i)}^ROW` }] }, planted: `PLANTPN${pad(i)}^ROW` };
    case 'DA':
      return text(isoDate(i));
    case 'DT':
      return text(`${isoDate(i)}1122${pad(i % 60, 2)}.${pad(i, 6)}`);
    case 'TM':
      return text(`1122${pad(i % 60, 2)}.${pad(i, 6)}`);
    case 'AS':
      return text(`${pad(i % 1000)}W`);
    case 'DS':
      return text(`9${i}.125`);
    case 'IS':
      return { element: { vr, Value: [7000 + i] }, planted: undefined };
    case 'US':
      return { element: { vr, Value: [i] }, planted: undefined };
    case 'UI':
      return text(`1.2.826.0.1.3680043.2.1125.77.${i}`);
    case 'UR':
      return text(`urn:plant${pad(i)}`);
    case 'CS':
    case 'AE':
    case 'SH':
      return text(`PLANT${pad(i)}Q`);
    case 'SQ':
      return {
        element: {
          vr,
          Value: [{ '00100010': { vr: 'PN', Value: [{ Alphabetic: `SEQNAME${pad(i)}` }] }, '00080080': { vr: 'LO', Value: [`SEQINST${pad(i)}`] }, '00190010': { vr: 'LO', Value: ['ACME'] }, '00191001': { vr: 'LO', Value: [`SEQPRIV${pad(i)}`] } }],
        },
        planted: `SEQNAME${pad(i)}`,
      };
    case 'OB':
    case 'OW':
    case 'UN':
      return { element: { vr, Value: [new Uint8Array(Buffer.from(`PLANTBIN${pad(i)}`)).buffer] }, planted: `PLANTBIN${pad(i)}` };
    default:
      return text(`PLANTTEXT${pad(i)} free text`);
  }
}

const cases: Case[] = defaultActionTable()
  .rows.filter(inDataset)
  .map((row, i) => {
    const tag = tagOf(row);
    const vr = vrOf(tag);
    return { row, tag, vr, ...plantedElement(i, vr) };
  });

function inputFile(): Buffer {
  const ds: DcmDataset = {
    '00080016': { vr: 'UI', Value: [CT_IMAGE] },
    '00090010': { vr: 'LO', Value: ['ACME PLANTED CREATOR'] },
  };
  for (const c of cases) ds[c.tag] = c.element;
  ds['00100020'] = { vr: 'LO', Value: [PATIENT_ID] }; // the row's own value, readable, for the date shift
  return writePart10(ds);
}

const DUMMY: Record<string, string> = { DA: '19000101', TM: '000000', DT: '19000101000000', AS: '000Y', UR: 'urn:x-deidentified', DS: '0', IS: '0' };
const DAY = 86_400_000;
const shiftBy = (da: string, days: number): string =>
  new Date(Date.UTC(+da.slice(0, 4), +da.slice(4, 6) - 1, +da.slice(6, 8)) + days * DAY).toISOString().slice(0, 10).replaceAll('-', '');

type Outcome = 'absent' | 'empty' | 'dummy' | 'uid' | 'walked' | 'kept' | 'shifted';
/** What the CSV code means for a row, written out independently of core/dicom's resolver. */
function expectedOutcome(c: Case, opts: { dates?: boolean; chars?: boolean }): Outcome {
  if (c.tag === '00091001') return 'absent';
  if (opts.chars === true && c.row.retainPatientCharacteristics === 'K') return 'kept';
  if (opts.dates === true && c.row.retainModifiedDates === 'C' && ['DA', 'DT', 'TM'].includes(c.vr)) return c.vr === 'TM' ? 'kept' : 'shifted';
  const code = c.row.basic;
  if (code === 'X') return 'absent';
  if (code === 'Z' || code === 'X/Z') return 'empty';
  if (code === 'U') return 'uid';
  if (code === 'X/Z/U*') return 'walked';
  return c.vr === 'SQ' ? 'empty' : c.vr === 'UI' ? 'uid' : 'dummy'; // D, X/D, Z/D, X/Z/D
}

function check(c: Case, out: DataSet, input: DataSet, outcome: Outcome, shift: number): string | undefined {
  const el = out.elements[x(c.tag)];
  const bytes = (ds: DataSet): Buffer => {
    const e = ds.elements[x(c.tag)]!;
    return Buffer.from(ds.byteArray.subarray(e.dataOffset, e.dataOffset + e.length));
  };
  const got = (): string => el?.items === undefined ? bytes(out).toString('latin1').replace(/[\0 ]+$/, '') : `${el.items.length} items`;
  const fail = `${c.row.tag} ${c.vr} ${c.row.basic}: expected ${outcome}, got ${el === undefined ? 'absent' : JSON.stringify(got())}`;
  switch (outcome) {
    case 'absent':
      return el === undefined ? undefined : fail;
    case 'empty':
      return el !== undefined && el.length === 0 || el?.items?.length === 0 ? undefined : fail;
    case 'uid':
      return el !== undefined && got() === keys.uid(c.planted!) ? undefined : fail;
    case 'walked': {
      const item = el?.items?.[0]?.dataSet;
      return item !== undefined && item.elements[x('00100010')]?.length === 0 && item.string(x('00080080')) === 'DEIDENTIFIED' && item.elements[x('00191001')] === undefined ? undefined : fail;
    }
    case 'kept':
      return el !== undefined && bytes(out).equals(bytes(input)) ? undefined : fail;
    case 'shifted': {
      const planted = c.planted!;
      return el !== undefined && got() === shiftBy(planted.slice(0, 8), shift) + (c.vr === 'DT' ? planted.slice(8) : '') ? undefined : fail;
    }
    case 'dummy': {
      if (el === undefined) return fail;
      if (['OB', 'OW', 'UN'].includes(c.vr)) return el.length === bytes(input).length && bytes(out).every((b) => b === 0) ? undefined : fail;
      if (c.vr === 'US') return out.uint16(x(c.tag)) === 0 ? undefined : fail;
      return got() === (DUMMY[c.vr] ?? 'DEIDENTIFIED') ? undefined : fail;
    }
  }
}

describe('every row of Table E.1-1 in one file', () => {
  const input = inputFile();
  const parsedInput = parse(input);

  it('plants one attribute for each of the 617 rows that can occur in a data set', () => {
    expect(cases).toHaveLength(617);
    expect(cases.filter((c) => parsedInput.elements[x(c.tag)] === undefined).map((c) => c.row.tag)).toEqual([]);
    const searchable = cases.filter((c) => c.planted !== undefined && c.tag !== '00100020');
    expect(searchable).toHaveLength(613);
    expect(searchable.filter((c) => !bytesContain(input, c.planted!)).map((c) => c.row.tag)).toEqual([]);
  });

  for (const opts of [{}, { dates: true }, { chars: true }, { dates: true, chars: true }]) {
    describe(`options ${JSON.stringify(opts)}`, () => {
      const output = deidentifyDicom(input, { keys, retainDates: opts.dates === true, retainPatientCharacteristics: opts.chars === true }).bytes;
      const out = parse(output);
      const shift = keys.dateShiftDays(PATIENT_ID);

      it('gives every row the outcome its codes say', () => {
        const failures = cases.filter((c) => c.tag !== '00100020').map((c) => check(c, out, parsedInput, expectedOutcome(c, opts), shift)).filter((f) => f !== undefined);
        expect(failures).toEqual([]);
      });

      it('leaves no planted value in the output bytes except those an option keeps', () => {
        const expectedGone = cases.filter((c) => c.planted !== undefined && !['kept', 'shifted'].includes(expectedOutcome(c, opts)));
        expect(expectedGone.length).toBeGreaterThan(400);
        expect(expectedGone.filter((c) => bytesContain(output, c.planted!)).map((c) => c.row.tag)).toEqual([]);
        for (const nested of ['SEQPRIV', 'SEQNAME', 'SEQINST', 'ACME PLANTED CREATOR', PATIENT_ID]) expect(bytesContain(output, nested)).toBe(false);
      });
    });
  }
});
