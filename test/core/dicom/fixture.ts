/**
 * DICOM Part 10 files written with dcmjs for the de-identification tests: a CT image
 * whose header carries fake identifiers in every place the issue names (patient,
 * institution, physicians, operators, accession number, device serial, UIDs, dates,
 * free text, private tags) and the same again inside nested sequences.
 */
import dcmjs, { type DcmDataset } from 'dcmjs';

export const IMPLICIT = '1.2.840.10008.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';
export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
/** Cohort's test site secret (32 bytes) and another site's. */
export const SECRET = Buffer.from('cohort-test-site-secret-0123456789abcdef');
export const OTHER_SECRET = Buffer.from('another-hospital-secret-fedcba9876543210');

/** The identifying values planted in the file, by what they are; none may survive de-identification. */
export interface Planted {
  readonly patientName: string;
  readonly patientId: string;
  readonly birthDate: string;
  readonly address: string;
  readonly telephone: string;
  readonly otherPatientIds: string;
  readonly institution: string;
  readonly institutionAddress: string;
  readonly referringPhysician: string;
  readonly performingPhysician: string;
  readonly operator: string;
  readonly accession: string;
  readonly deviceSerial: string;
  readonly stationName: string;
  readonly studyDate: string;
  readonly seriesDate: string;
  readonly contentDate: string;
  readonly acquisitionDateTime: string;
  readonly patientComments: string;
  readonly imageComments: string;
  readonly studyDescription: string;
  readonly privateValue: string;
  readonly privateCreator: string;
  readonly nestedName: string;
  readonly nestedInstitution: string;
  readonly nestedOperator: string;
  readonly nestedAccession: string;
  readonly nestedDate: string;
  readonly nestedPrivate: string;
  readonly deepName: string;
  readonly studyUid: string;
  readonly seriesUid: string;
  readonly sopUid: string;
  readonly frameOfReferenceUid: string;
  readonly referencedUid: string;
  readonly deepReferencedUid: string;
}

export function planted(n = 1, patient = 'A'): Planted {
  return {
    patientName: `ZEBRAFISH^QUENTIN${patient}`,
    patientId: `MRN-77319${patient}`,
    birthDate: '19580317',
    address: `42 Wallaby Way ${patient} Sydney`,
    telephone: '555-0142-7781',
    otherPatientIds: `OTHERID-${patient}-31`,
    institution: 'Saint Hypothetical Hospital',
    institutionAddress: '9 Hospital Road Springfield',
    referringPhysician: 'HOUSEMD^GREGORY',
    performingPhysician: 'CUDDYMD^LISA',
    operator: 'RATCHED^MILDRED',
    accession: `ACC-99881-${n}`,
    deviceSerial: 'SN-XK-4471-Q',
    stationName: 'CTSTATION9',
    studyDate: '20230415',
    seriesDate: '20230416',
    contentDate: '20230417',
    acquisitionDateTime: '20230418103015',
    patientComments: 'Lives with her sister Philomena Brightwater',
    imageComments: 'Scanned after fall at Brightwater Farm',
    studyDescription: 'CT HEAD for Dr Brightwater',
    privateValue: 'PRIVATE-SECRET-VALUE-17',
    privateCreator: 'ACME MEDICAL 1.0',
    nestedName: 'NESTEDNAME^OPHELIA',
    nestedInstitution: 'Nested General Infirmary',
    nestedOperator: 'NESTEDOP^BARNABY',
    nestedAccession: 'NESTED-ACC-5521',
    nestedDate: '20220911',
    nestedPrivate: 'NESTED-PRIVATE-42',
    deepName: 'DEEPNAME^CORNELIUS',
    studyUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.1`,
    seriesUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.2`,
    sopUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.3.${n}`,
    frameOfReferenceUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.4`,
    referencedUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.5.${n}`,
    deepReferencedUid: `1.2.826.0.1.3680043.2.1125.9.${patient.charCodeAt(0)}.6`,
  };
}

const s = (vr: string, ...values: unknown[]): { vr: string; Value: unknown[] } => ({ vr, Value: values });
const pn = (name: string): { vr: string; Value: unknown[] } => ({ vr: 'PN', Value: [{ Alphabetic: name }] });

/** A 4x3 16-bit signed CT image: stored values -2..9, slope 1, intercept -1024. */
export const PIXELS = Int16Array.from([-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

export interface FileSpec {
  readonly p?: Planted;
  readonly transferSyntax?: string;
  readonly sopClass?: string;
  /** Attributes to add or override (undefined deletes). */
  readonly extra?: Record<string, { vr: string; Value: unknown[] } | undefined>;
}

/** The data set of the test image: identifiers at the top level and in sequences two and three deep. */
export function dataset(p: Planted, sopClass = CT_IMAGE): DcmDataset {
  return {
    '00080008': s('CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
    '00080016': s('UI', sopClass),
    '00080018': s('UI', p.sopUid),
    '00080020': s('DA', p.studyDate),
    '00080021': s('DA', p.seriesDate),
    '00080023': s('DA', p.contentDate),
    '0008002A': s('DT', p.acquisitionDateTime),
    '00080030': s('TM', '101500'),
    '00080050': s('SH', p.accession),
    '00080060': s('CS', 'CT'),
    '00080070': s('LO', 'Acme Scanners'),
    '00080080': s('LO', p.institution),
    '00080081': s('ST', p.institutionAddress),
    '00080090': pn(p.referringPhysician),
    '00081010': s('SH', p.stationName),
    '00081030': s('LO', p.studyDescription),
    '00081050': pn(p.performingPhysician),
    '00081070': pn(p.operator),
    '00081032': {
      vr: 'SQ',
      Value: [
        {
          '00080100': s('SH', 'CTHEAD'),
          '00080102': s('SH', '99LOCAL'),
          '00080104': s('LO', 'CT of the head'),
          '00080050': s('SH', p.nestedAccession),
          '00080080': s('LO', p.nestedInstitution),
          '00081070': pn(p.nestedOperator),
          '00100010': pn(p.nestedName),
          '00080020': s('DA', p.nestedDate),
          '00190010': s('LO', p.privateCreator),
          '00191001': s('LO', p.nestedPrivate),
          '00081140': {
            vr: 'SQ',
            Value: [{ '00081150': s('UI', CT_IMAGE), '00081155': s('UI', p.deepReferencedUid), '00100010': pn(p.deepName) }],
          },
        },
      ],
    },
    '00081140': { vr: 'SQ', Value: [{ '00081150': s('UI', CT_IMAGE), '00081155': s('UI', p.referencedUid) }] },
    '00090010': s('LO', p.privateCreator),
    '00091001': s('LO', p.privateValue),
    '00100010': pn(p.patientName),
    '00100020': s('LO', p.patientId),
    '00100030': s('DA', p.birthDate),
    '00100040': s('CS', 'F'),
    '00101000': s('LO', p.otherPatientIds),
    '00101010': s('AS', '064Y'),
    '00101020': s('DS', 1.68),
    '00101030': s('DS', 61.5),
    '00101040': s('LO', p.address),
    '00102154': s('SH', p.telephone),
    '00102160': s('SH', 'ETHNICX'),
    '00104000': s('LT', p.patientComments),
    '00181000': s('LO', p.deviceSerial),
    '00180050': s('DS', 2.5),
    '0020000D': s('UI', p.studyUid),
    '0020000E': s('UI', p.seriesUid),
    '00200013': s('IS', 1),
    '00200052': s('UI', p.frameOfReferenceUid),
    '00204000': s('LT', p.imageComments),
    '00280002': s('US', 1),
    '00280004': s('CS', 'MONOCHROME2'),
    '00280010': s('US', 3),
    '00280011': s('US', 4),
    '00280100': s('US', 16),
    '00280101': s('US', 12),
    '00280102': s('US', 11),
    '00280103': s('US', 1),
    '00281052': s('DS', -1024),
    '00281053': s('DS', 1),
    '00280301': s('CS', 'NO'),
    '7FE00010': { vr: 'OW', Value: [pixelBytes(PIXELS)] },
  };
}

/** Stored 12-bit two's complement values in 16-bit words (bits above High Bit zero, as scanners often write them). */
export function pixelBytes(values: Int16Array): ArrayBuffer {
  const words = new Uint16Array(values.length);
  values.forEach((v, i) => (words[i] = v & 0x0fff));
  return words.buffer;
}

/** Writes a Part 10 file with dcmjs. */
export function writePart10(ds: DcmDataset, transferSyntax = EXPLICIT, metaExtra: DcmDataset = {}): Buffer {
  const sop = ds['00080018']?.Value?.[0];
  const dict = new dcmjs.data.DicomDict({
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': s('UI', ds['00080016']?.Value?.[0] ?? CT_IMAGE),
    ...(sop === undefined ? {} : { '00020003': s('UI', sop) }),
    '00020010': s('UI', transferSyntax),
    '00020012': s('UI', '1.2.826.0.1.3680043.2.1125.9.99'),
    '00020016': s('AE', 'CTSTATION9'),
    ...metaExtra,
  });
  dict.dict = ds;
  return Buffer.from(dict.write());
}

/** The test image as a Part 10 file. */
export function makeFile(spec: FileSpec = {}): Buffer {
  const ds = dataset(spec.p ?? planted(), spec.sopClass);
  for (const [tag, el] of Object.entries(spec.extra ?? {})) {
    if (el === undefined) delete ds[tag];
    else ds[tag] = el;
  }
  return writePart10(ds, spec.transferSyntax ?? EXPLICIT);
}

/** Every planted string value (UIDs included), for the byte search. */
export function plantedValues(p: Planted): [string, string][] {
  return Object.entries(p);
}

/** Whether `needle` occurs in `bytes` as ASCII. */
export function bytesContain(bytes: Uint8Array, needle: string): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(Buffer.from(needle, 'latin1'));
}
