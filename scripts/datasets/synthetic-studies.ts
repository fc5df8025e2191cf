/**
 * Synthetic imaging studies for `cohort demo --imaging`: per hospital, a directory of DICOM
 * CT files whose headers are full of fake identifiers (patient name, ID, birth date,
 * address, telephone, institution, physicians, operator, accession number, device serial,
 * dates, free-text comments, a private tag, a nested sequence) and whose 12-bit pixels
 * depend on the label: a bright horizontal bar for a finding, a vertical one otherwise,
 * at a random place over noise. File names carry the patient's name, as exports often do.
 * A labels CSV maps each Study Instance UID (the hospital's own) to the label. Each hospital
 * also holds one labelled study more whose header declares burned-in annotation: the site agent
 * must skip it (and its name, in the file name, must appear nowhere).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dcmjs, { type DcmDataset } from 'dcmjs';
import { mulberry32 } from '../../models/seeded-random.ts';

const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const FIRST = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas'];
export const LAST = ['Moreau', 'Okafor', 'Lindqvist', 'Tanaka', 'Brennan', 'Haddad', 'Novak', 'Silva', 'Kowalski', 'Dubois'];

export interface GeneratedStudies {
  readonly site: string;
  /** The directory of DICOM files. */
  readonly dir: string;
  /** The labels CSV: `uid,label`. */
  readonly labels: string;
  readonly studies: number;
}

const s = (vr: string, ...values: unknown[]): { vr: string; Value: unknown[] } => ({ vr, Value: values });
const pn = (name: string): { vr: string; Value: unknown[] } => ({ vr: 'PN', Value: [{ Alphabetic: name }] });
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** One study's data set; `uid` is the hospital's UID root for it. */
function studyDataset(rng: () => number, site: string, i: number, uid: string, size: number, label: 0 | 1): DcmDataset {
  const first = FIRST[Math.floor(rng() * FIRST.length)]!;
  const last = LAST[Math.floor(rng() * LAST.length)]!;
  const date = `20${pad(20 + Math.floor(rng() * 5), 2)}${pad(1 + Math.floor(rng() * 12), 2)}${pad(1 + Math.floor(rng() * 28), 2)}`;
  const pixels = new Uint16Array(size * size);
  const at = Math.floor(rng() * size);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) pixels[r * size + c] = (label === 1 ? r : c) === at ? 3000 + Math.floor(rng() * 500) : Math.floor(rng() * 1500);
  }
  return {
    '00080008': s('CS', 'ORIGINAL', 'PRIMARY', 'AXIAL'),
    '00080016': s('UI', CT_IMAGE),
    '00080018': s('UI', `${uid}.3`),
    '00080020': s('DA', date),
    '00080030': s('TM', '101500'),
    '00080050': s('SH', `ACC${pad(i, 6)}`),
    '00080060': s('CS', 'CT'),
    '00080080': s('LO', `${site} General Hospital`),
    '00080081': s('ST', `${1 + i} Infirmary Road, ${site}`),
    '00080090': pn(`${LAST[i % LAST.length]}^Referrer`),
    '00081050': pn(`${LAST[(i + 3) % LAST.length]}^Radiologist`),
    '00081070': pn(`${LAST[(i + 5) % LAST.length]}^Tech`),
    '00081030': s('LO', `CT chest for ${first} ${last}`),
    '00081032': {
      vr: 'SQ',
      Value: [{ '00080100': s('SH', 'CTCHEST'), '00080102': s('SH', '99LOCAL'), '00080104': s('LO', 'CT of the chest'), '00100010': pn(`${last}^${first}`) }],
    },
    '00090010': s('LO', 'ACME PACS 2.0'),
    '00091001': s('LO', `pacs-key-${site}-${i}`),
    '00100010': pn(`${last}^${first}`),
    '00100020': s('LO', `MRN${pad(100000 + i, 7)}`),
    '00100030': s('DA', `19${pad(40 + Math.floor(rng() * 50), 2)}0${1 + Math.floor(rng() * 9)}1${Math.floor(rng() * 9)}`),
    '00100040': s('CS', rng() < 0.5 ? 'F' : 'M'),
    '00101040': s('LO', `${10 + i} ${last} Street, ${site}`),
    '00102154': s('SH', `555-${pad(Math.floor(rng() * 10000), 4)}`),
    '00104000': s('LT', `Patient ${first} ${last} came with her brother`),
    '00181000': s('LO', `SN-${site}-0042`),
    '0020000D': s('UI', `${uid}.1`),
    '0020000E': s('UI', `${uid}.2`),
    '00200013': s('IS', 1),
    '00204000': s('LT', `Read by Dr ${LAST[(i + 3) % LAST.length]}`),
    '00280002': s('US', 1),
    '00280004': s('CS', 'MONOCHROME2'),
    '00280010': s('US', size),
    '00280011': s('US', size),
    '00280100': s('US', 16),
    '00280101': s('US', 12),
    '00280102': s('US', 11),
    '00280103': s('US', 0),
    '00281052': s('DS', -1024),
    '00281053': s('DS', 1),
    '00280301': s('CS', 'NO'),
    '7FE00010': { vr: 'OW', Value: [pixels.buffer] },
  };
}

function part10(ds: DcmDataset): Buffer {
  const dict = new dcmjs.data.DicomDict({
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': s('UI', CT_IMAGE),
    '00020003': s('UI', ds['00080018']!.Value![0]),
    '00020010': s('UI', EXPLICIT_VR_LITTLE_ENDIAN),
    '00020012': s('UI', '1.2.826.0.1.3680043.2.1125.9.99'),
  });
  dict.dict = ds;
  return Buffer.from(dict.write());
}

/** Writes `studies` single-image studies of size x size pixels for each site under `outDir`. */
export function generateStudies(options: { sites: readonly string[]; studies: number; size: number; seed: number; outDir: string }): GeneratedStudies[] {
  return options.sites.map((site, k) => {
    const rng = mulberry32(options.seed * 1000 + k);
    const dir = join(options.outDir, site, 'dicom');
    mkdirSync(dir, { recursive: true });
    const rows = ['uid,label'];
    for (let i = 0; i < options.studies; i++) {
      const label: 0 | 1 = rng() < 0.5 ? 1 : 0;
      // A UID root per site and study, as a hospital's PACS would issue.
      const uid = `1.2.826.0.1.3680043.2.1125.7.${k + 1}.${i + 1}`;
      const ds = studyDataset(rng, site, i, uid, options.size, label);
      const name = (ds['00100010']!.Value![0] as { Alphabetic: string }).Alphabetic.replace('^', '_');
      writeFileSync(join(dir, `${name}_${pad(i, 4)}.dcm`), part10(ds));
      rows.push(`${uid}.1,${label}`);
    }
    // One study more, declaring burned-in annotation: refused by the profile, so skipped by the site agent.
    const uid = `1.2.826.0.1.3680043.2.1125.7.${k + 1}.${options.studies + 1}`;
    const burned: DcmDataset = { ...studyDataset(rng, site, options.studies, uid, options.size, 1), '00280301': s('CS', 'YES') };
    const burnedName = (burned['00100010']!.Value![0] as { Alphabetic: string }).Alphabetic.replace('^', '_');
    writeFileSync(join(dir, `${burnedName}_${pad(options.studies, 4)}.dcm`), part10(burned));
    rows.push(`${uid}.1,1`);
    const labels = join(options.outDir, site, 'labels.csv');
    writeFileSync(labels, `${rows.join('\n')}\n`);
    return { site, dir, labels, studies: options.studies };
  });
}
