/**
 * De-identification of one DICOM Part 10 file by the Basic Application Level
 * Confidentiality Profile of PS3.15 Annex E: every attribute of Table E.1-1 gets its
 * action, in the data set and in every sequence item at any depth; private attributes
 * are removed; UIDs are replaced by keyed `2.25.` UIDs; optionally dates are shifted
 * per patient and patient characteristics kept. See docs/dicom-deid.md.
 */
import dcmjs, { type DcmDataset, type DcmElement } from 'dcmjs';
import { CohortError, DicomErrors } from '../errors/index.ts';
import { defaultActionTable, type ActionRow, type ActionTable } from './action-table.ts';
import { shiftDate, shiftDateTime, uidText, type DeidKeys } from './keyed-derivation.ts';
import { storedBits } from './pixel-data.ts';
import { firstNumber, firstString, readPart10 } from './read-part10.ts';

export interface DeidOptions {
  readonly keys: DeidKeys;
  /** Retain Longitudinal Temporal Information with Modified Dates Option (113107). */
  readonly retainDates?: boolean;
  /** Retain Patient Characteristics Option (113108). */
  readonly retainPatientCharacteristics?: boolean;
  /** Defaults to the table in data/dicom/. */
  readonly table?: ActionTable;
}

export interface DeidentifiedFile {
  readonly bytes: Uint8Array;
  /** The replacement UIDs, for naming the output. */
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string | undefined;
  readonly seriesInstanceUid: string | undefined;
}

/** The concrete action an element gets once options and compound codes are resolved. */
export type ResolvedAction = 'remove' | 'empty' | 'dummy' | 'keep' | 'uid' | 'shift';

const TEMPORAL_VRS = new Set(['DA', 'DT', 'TM']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMERIC_VRS = new Set(['DS', 'IS', 'FL', 'FD', 'SL', 'SS', 'UL', 'US', 'SV', 'UV']);
const DUMMY_TEXT = 'DEIDENTIFIED';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
/** The DICOM root: UIDs under it are defined by the standard (PS3.6 Annex A: SOP classes, transfer syntaxes, coding schemes, context groups, well-known instances) and identify no one. */
export const DICOM_UID_ROOT = '1.2.840.10008.';
const FREE_TEXT_VRS = new Set(['LO', 'SH', 'ST', 'LT', 'UT', 'UC']);

/**
 * Text attributes outside Table E.1-1 that are kept: technical descriptions a model needs
 * or that name equipment types, not people or places, and the code sequence macro's
 * fields, without which no code sequence (anatomy, view, procedure) can be read. Every
 * other LO, SH, ST, LT, UT and UC attribute the table does not list is removed.
 */
export const KEPT_TEXT_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['00080070', 'Manufacturer'],
  ['00081090', "Manufacturer's Model Name"],
  ['00181020', 'Software Versions'],
  ['00181210', 'Convolution Kernel'],
  ['00080100', 'Code Value'],
  ['00080102', 'Coding Scheme Designator'],
  ['00080103', 'Coding Scheme Version'],
  ['00080104', 'Code Meaning'],
]);

/** Cohort's Implementation Class UID (0002,0012) for the files it writes: 2.25 form of a fixed UUID. */
export const IMPLEMENTATION_CLASS_UID = '2.25.203360420455466036468390848209232187470';
export const IMPLEMENTATION_VERSION_NAME = 'COHORT_DEID_1';

/** CID 7050 codes Cohort records in the De-identification Method Code Sequence. */
export const CID_7050 = {
  basic: { value: '113100', meaning: 'Basic Application Confidentiality Profile' },
  retainDates: { value: '113107', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
  retainPatientCharacteristics: { value: '113108', meaning: 'Retain Patient Characteristics Option' },
} as const;

/**
 * The action for an element under `row`. Options first (K keeps; C on a date or
 * datetime shifts it, on a time keeps it, since whole-day shifts leave the time of day;
 * any other C falls back to the Basic Profile, as Cohort cannot clean free text). Then a
 * compound code takes the choice that keeps the element present, so the file stays valid
 * whatever the attribute's type in its IOD: X/Z -> Z, X/D, Z/D and X/Z/D -> D, X/Z/U* -> U.
 */
export function resolveAction(row: ActionRow, vr: string, options: Pick<DeidOptions, 'retainDates' | 'retainPatientCharacteristics'>): ResolvedAction {
  if (options.retainPatientCharacteristics === true && row.retainPatientCharacteristics === 'K') return 'keep';
  if (options.retainDates === true && row.retainModifiedDates === 'C' && TEMPORAL_VRS.has(vr)) return vr === 'TM' ? 'keep' : 'shift';
  switch (row.basic) {
    case 'X':
    case 'C':
      return 'remove';
    case 'Z':
    case 'X/Z':
      return 'empty';
    case 'D':
    case 'X/D':
    case 'Z/D':
    case 'X/Z/D':
      return 'dummy';
    case 'K':
      return 'keep';
    case 'U':
    case 'X/Z/U*':
      return 'uid';
  }
}

function dummyValue(el: DcmElement, keys: DeidKeys): unknown[] {
  const values = el.Value ?? [];
  switch (el.vr) {
    case 'DA':
      return ['19000101'];
    case 'TM':
      return ['000000'];
    case 'DT':
      return ['19000101000000'];
    case 'AS':
      return ['000Y'];
    case 'PN':
      return [{ Alphabetic: DUMMY_TEXT }];
    case 'UR':
      return ['urn:x-deidentified'];
    case 'UI':
      return values.map((v) => keys.uid(String(v)));
    case 'SQ':
    case 'AT':
      return [];
    default:
      if (NUMERIC_VRS.has(el.vr)) return [0];
      // A zero-filled value of the same length: what dcmjs read as binary stays binary.
      if (BINARY_VRS.has(el.vr)) return values.map((v) => new ArrayBuffer(v instanceof ArrayBuffer ? v.byteLength : 0));
      return [DUMMY_TEXT];
  }
}

interface Walk {
  readonly options: DeidOptions;
  readonly table: ActionTable;
  readonly shiftDays: number | undefined;
}

function shifted(el: DcmElement, days: number): unknown[] | undefined {
  const out: string[] = [];
  for (const v of el.Value ?? []) {
    const s = typeof v === 'string' ? (el.vr === 'DA' ? shiftDate(v.trim(), days) : shiftDateTime(v.trim(), days)) : undefined;
    if (s === undefined) return undefined;
    out.push(s);
  }
  return out;
}

/** A UID value outside the table: kept when the standard defines it, else keyed. */
function unlistedUid(v: unknown, keys: DeidKeys): string {
  const text = uidText(String(v));
  return text.startsWith(DICOM_UID_ROOT) ? text : keys.uid(text);
}

/**
 * An attribute Table E.1-1 does not list gets a default by its VR (docs/dicom-deid.md):
 * UI -> U except UIDs under the DICOM root; PN, UR -> X; DA, DT -> shifted under the
 * dates option, else X; TM -> kept under the dates option, else X; free text -> X unless
 * in KEPT_TEXT_ATTRIBUTES; UN -> X (unreadable); sequences are walked; codes and numbers
 * are kept.
 */
function unlistedElement(tag: string, el: DcmElement, walk: Walk): DcmElement | undefined {
  switch (el.vr) {
    case 'SQ':
      return { vr: 'SQ', Value: items(el, walk) };
    case 'UI':
      return { vr: 'UI', Value: (el.Value ?? []).map((v) => unlistedUid(v, walk.options.keys)) };
    case 'PN':
    case 'UR':
    case 'UN':
      return undefined;
    case 'DA':
    case 'DT': {
      const values = walk.shiftDays === undefined ? undefined : shifted(el, walk.shiftDays);
      return values === undefined ? undefined : { vr: el.vr, Value: values };
    }
    case 'TM':
      return walk.options.retainDates === true ? el : undefined;
    default:
      if (FREE_TEXT_VRS.has(el.vr) && !KEPT_TEXT_ATTRIBUTES.has(tag.toUpperCase())) return undefined;
      return el;
  }
}

function processElement(tag: string, el: DcmElement, row: ActionRow | undefined, walk: Walk, mayShift = true): DcmElement | undefined {
  if (row === undefined) return unlistedElement(tag, el, walk);
  const action = resolveAction(row, el.vr, mayShift ? walk.options : { ...walk.options, retainDates: false });
  switch (action) {
    case 'remove':
      return undefined;
    case 'empty':
      return { vr: el.vr, Value: [] };
    case 'dummy':
      return { vr: el.vr, Value: dummyValue(el, walk.options.keys) };
    case 'keep':
      if (el.vr === 'UN') return undefined;
      return el.vr === 'SQ' ? { vr: 'SQ', Value: items(el, walk) } : el;
    case 'uid':
      // U* on a sequence: keep its items, whose UIDs get U by their own rows.
      if (el.vr === 'SQ') return { vr: 'SQ', Value: items(el, walk) };
      if (el.vr !== 'UI') return { vr: el.vr, Value: dummyValue(el, walk.options.keys) };
      return { vr: 'UI', Value: (el.Value ?? []).map((v) => walk.options.keys.uid(String(v))) };
    case 'shift': {
      const days = walk.shiftDays;
      const values = days === undefined ? undefined : shifted(el, days);
      // A partial or unreadable date cannot be shifted: the Basic Profile action applies.
      if (values === undefined) return processElement(tag, el, row, walk, false);
      return { vr: el.vr, Value: values };
    }
  }
}

function items(el: DcmElement, walk: Walk): DcmDataset[] {
  return (el.Value ?? []).map((item) => dataset(item as DcmDataset, walk));
}

/** Applies the profile to one data set (the file's, or a sequence item), returning a new one. */
function dataset(ds: DcmDataset, walk: Walk): DcmDataset {
  const out: DcmDataset = {};
  for (const [tag, el] of Object.entries(ds)) {
    const group = Number.parseInt(tag.slice(0, 4), 16);
    // Private attributes (odd groups; the table's last row says X, and Cohort does not
    // implement Retain Safe Private) go whatever table is passed; so do group lengths,
    // which the changes would falsify; so do command, file meta and directory elements
    // (groups 0000, 0002, 0004), which belong in no data set (the file meta is rebuilt),
    // and every overlay attribute (groups 6000-60FF: data, labels, descriptions, positions).
    if (group % 2 === 1 || tag.endsWith('0000') || group === 0x0000 || group === 0x0002 || group === 0x0004 || (group >= 0x6000 && group <= 0x60ff)) continue;
    const next = processElement(tag, el, walk.table.lookup(tag), walk);
    if (next !== undefined) out[tag] = next;
  }
  return out;
}

/**
 * Native pixel data with the bits outside Bits Stored (above High Bit, and below its
 * lowest stored bit) set to zero: old equipment kept overlays there (PS3.5 8.1.2, retired),
 * and they can hold burned-in text. `undefined` when there is nothing to clear.
 */
function clearedPixelData(ds: DcmDataset, file: string): DcmElement | undefined {
  const el = ds['7FE00010'];
  const allocated = firstNumber(ds, '00280100');
  if (el === undefined || allocated === undefined || ![8, 16, 32].includes(allocated)) return undefined;
  const { bitsStored: stored, highBit, fits } = storedBits(ds, allocated);
  if (!fits) {
    throw new CohortError(DicomErrors.MALFORMED, `${file}: Bits Stored (0028,0101) and High Bit (0028,0102) do not fit Bits Allocated (0028,0100)`, { details: { file } });
  }
  if (stored === allocated) return undefined;
  const low = highBit + 1 - stored;
  const mask = (2 ** stored - 1) * 2 ** low;
  const bytesPer = allocated / 8;
  const values = (el.Value ?? []).map((v) => {
    if (!(v instanceof ArrayBuffer)) return v;
    const copy = v.slice(0);
    const view = new DataView(copy);
    const n = Math.floor(copy.byteLength / bytesPer);
    for (let i = 0; i < n; i++) {
      const at = i * bytesPer;
      if (bytesPer === 1) view.setUint8(at, view.getUint8(at) & mask);
      else if (bytesPer === 2) view.setUint16(at, view.getUint16(at, true) & mask, true);
      else view.setUint32(at, (view.getUint32(at, true) & mask) >>> 0, true);
    }
    return copy;
  });
  return { ...el, Value: values };
}

const code = (c: { value: string; meaning: string }): DcmDataset => ({
  '00080100': { vr: 'SH', Value: [c.value] },
  '00080102': { vr: 'SH', Value: ['DCM'] },
  '00080104': { vr: 'LO', Value: [c.meaning] },
});

function markers(options: DeidOptions): DcmDataset {
  const codes: { value: string; meaning: string }[] = [CID_7050.basic];
  if (options.retainDates === true) codes.push(CID_7050.retainDates);
  if (options.retainPatientCharacteristics === true) codes.push(CID_7050.retainPatientCharacteristics);
  return {
    '00120062': { vr: 'CS', Value: ['YES'] },
    '00120063': { vr: 'LO', Value: codes.map((c) => c.meaning.replace(/ Option$/, '')) },
    '00120064': { vr: 'SQ', Value: codes.map(code) },
    '00280303': { vr: 'CS', Value: [options.retainDates === true ? 'MODIFIED' : 'REMOVED'] },
  };
}

function refuseImage(ds: DcmDataset, sopClassUid: string | undefined, file: string): void {
  const burnedIn = firstString(ds, '00280301')?.toUpperCase();
  if (burnedIn === 'YES') {
    throw new CohortError(DicomErrors.BURNED_IN_ANNOTATION, `${file}: Burned In Annotation (0028,0301) is YES`, { details: { file } });
  }
  if (firstString(ds, '00280302')?.toUpperCase() === 'YES') {
    throw new CohortError(DicomErrors.RECOGNIZABLE_VISUAL_FEATURES, `${file}: Recognizable Visual Features (0028,0302) is YES`, { details: { file } });
  }
  const secondaryCapture = sopClassUid === SECONDARY_CAPTURE || sopClassUid?.startsWith(`${SECONDARY_CAPTURE}.`) === true;
  if (secondaryCapture && burnedIn === undefined) {
    throw new CohortError(DicomErrors.SECONDARY_CAPTURE_UNDECLARED, `${file}: secondary capture (SOP Class ${sopClassUid}) without Burned In Annotation (0028,0301)`, {
      details: { file, sopClassUid },
    });
  }
}

/**
 * De-identifies one DICOM Part 10 file. Throws a CohortError of the dicom family for a
 * file it refuses (its code is the skip reason); `file` names it in that error.
 */
export function deidentifyDicom(bytes: Uint8Array, options: DeidOptions, file = 'input'): DeidentifiedFile {
  const { transferSyntaxUid, dicom } = readPart10(bytes, file);
  const ds = dicom.dict;
  const sopClassUid = firstString(ds, '00080016') ?? firstString(dicom.meta, '00020002');
  refuseImage(ds, sopClassUid, file);
  const sopInstanceUid = firstString(ds, '00080018');
  if (sopInstanceUid === undefined) throw new CohortError(DicomErrors.MALFORMED, `${file}: no SOP Instance UID (0008,0018)`, { details: { file } });
  let shiftDays: number | undefined;
  if (options.retainDates === true) {
    const patientId = firstString(ds, '00100020');
    if (patientId === undefined) throw new CohortError(DicomErrors.NO_PATIENT_ID, `${file}: no Patient ID (0010,0020) to derive the date shift from`, { details: { file } });
    shiftDays = options.keys.dateShiftDays(patientId);
  }
  const walk: Walk = { options, table: options.table ?? defaultActionTable(), shiftDays };
  const newSop = options.keys.uid(sopInstanceUid);
  const meta: DcmDataset = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    // The data set's SOP Class UID gets the rule of UIDs outside the table; the meta says the same.
    ...(sopClassUid === undefined ? {} : { '00020002': { vr: 'UI', Value: [unlistedUid(sopClassUid, options.keys)] } }),
    '00020003': { vr: 'UI', Value: [newSop] },
    '00020010': { vr: 'UI', Value: [transferSyntaxUid] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION_NAME] },
  };
  const out = dataset(ds, walk);
  const pixels = clearedPixelData(out, file);
  if (pixels !== undefined) out['7FE00010'] = pixels;
  let written: Uint8Array;
  try {
    const dict = new dcmjs.data.DicomDict(meta);
    dict.dict = { ...out, ...markers(options) };
    written = new Uint8Array(dict.write());
  } catch (e) {
    // A value dcmjs read but cannot write back; its message may quote the value, so it stays in the cause.
    throw new CohortError(DicomErrors.MALFORMED, `${file}: an attribute cannot be written back`, { details: { file }, cause: e });
  }
  const study = firstString(ds, '0020000D');
  const series = firstString(ds, '0020000E');
  return {
    bytes: written,
    sopInstanceUid: newSop,
    studyInstanceUid: study === undefined ? undefined : options.keys.uid(study),
    seriesInstanceUid: series === undefined ? undefined : options.keys.uid(series),
  };
}
