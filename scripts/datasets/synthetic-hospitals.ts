/**
 * Seeded synthetic hospital extracts for the demo: one CSV per hospital, shaped like a
 * real export (local column names, identifier columns the spec never asks for, a few
 * missing values) with a different case mix per hospital. Same seed, same bytes.
 *
 *   tsx scripts/datasets/synthetic-hospitals.ts --sites 3 --seed 7 --out .cohort-demo/data
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import type { FeatureSpec, LabelSchema } from '../../models/spec-schema.ts';
import { deriveSeed, mulberry32, type Rng } from '../../models/seeded-random.ts';
import { HEART_FEATURES } from './heart-features.ts';
import { BASE_PROFILES, drawClinical, drawIdentifiers, jitterProfile, randomInt, type ClinicalValues, type HospitalProfile } from './synthetic-patient.ts';

export interface GenerateHospitalsOptions {
  /** Number of hospitals (1..100). */
  readonly sites: number;
  readonly seed: number;
  /** Rows per hospital; by default each hospital gets a seeded size between 250 and 600. */
  readonly rowsPerSite?: number;
  /** Share of rows with one missing clinical cell (default 0.01). */
  readonly missingRate?: number;
  readonly outDir: string;
}

export interface GeneratedHospital {
  /** Site name, e.g. "hospital-a". */
  readonly site: string;
  /** Path of its CSV extract. */
  readonly path: string;
  /** Data rows written (including rows with a missing cell). */
  readonly rows: number;
}

/** The spec features the synthetic extracts carry, in heart-logistic.yaml's order. */
export const syntheticSpecFeatures: readonly FeatureSpec[] = HEART_FEATURES;

/** The spec label the synthetic extracts carry. */
export const syntheticSpecLabel: z.output<typeof LabelSchema> = { name: 'disease', type: 'binary', positive: [1] };

/** Spec name -> local column, in the order written; the local names are deliberately not the spec's. */
const CLINICAL_COLUMNS: readonly (readonly [keyof ClinicalValues, string])[] = [
  ['age', 'AGE_YRS'],
  ['sex', 'SEX_CD'],
  ['cp', 'CHEST_PAIN_TYPE'],
  ['trestbps', 'RESTING_BP'],
  ['chol', 'CHOLESTEROL'],
  ['fbs', 'FASTING_BS_HIGH'],
  ['restecg', 'REST_ECG'],
  ['thalach', 'MAX_HR'],
  ['exang', 'EXERCISE_ANGINA'],
  ['oldpeak', 'ST_DEPRESSION'],
  ['disease', 'DX_HEART_DISEASE'],
];

/** Identifier columns a real export carries and no spec should read. */
export const SYNTHETIC_IDENTIFIER_COLUMNS: readonly string[] = ['MRN', 'PATIENT_NAME', 'DOB', 'ZIP', 'PHONE'];

/** Columns where a synthetic missing value may appear (never the label or an identifier). */
const MAY_BE_MISSING = ['RESTING_BP', 'CHOLESTEROL', 'MAX_HR'] as const;

/** The site-config mapping (spec name -> local column) for the synthetic extracts. */
export function syntheticColumnMapping(): Record<string, string> {
  return Object.fromEntries(CLINICAL_COLUMNS);
}

/** Site names: hospital-a .. hospital-z, then hospital-27 and on. */
function siteName(index: number): string {
  return index < 26 ? `hospital-${String.fromCharCode(97 + index)}` : `hospital-${index + 1}`;
}

/** Writes one CSV per hospital into outDir and lists them. */
export async function generateHospitals(options: GenerateHospitalsOptions): Promise<GeneratedHospital[]> {
  if (!Number.isInteger(options.sites) || options.sites < 1 || options.sites > 100) {
    throw new RangeError(`generateHospitals: sites must be an integer from 1 to 100, got ${options.sites}`);
  }
  if (options.rowsPerSite !== undefined && (!Number.isInteger(options.rowsPerSite) || options.rowsPerSite < 1)) {
    throw new RangeError(`generateHospitals: rowsPerSite must be a positive integer, got ${options.rowsPerSite}`);
  }
  await mkdir(options.outDir, { recursive: true });
  const hospitals: GeneratedHospital[] = [];
  for (let i = 0; i < options.sites; i++) {
    // One independent stream per hospital, so adding a site leaves the others' files unchanged.
    const random = mulberry32(deriveSeed(options.seed, i));
    const profile = jitterProfile(BASE_PROFILES[i % BASE_PROFILES.length]!, random, i < BASE_PROFILES.length ? 0.5 : 1);
    const rows = options.rowsPerSite ?? 250 + randomInt(random, 351);
    const site = siteName(i);
    const path = join(options.outDir, `${site}.csv`);
    await writeFile(path, hospitalCsv(random, profile, i, rows, options.missingRate ?? 0.01));
    hospitals.push({ site, path, rows });
  }
  return hospitals;
}

/** The CSV text of one hospital: header, then `rows` patients. */
function hospitalCsv(random: Rng, profile: HospitalProfile, index: number, rows: number, missingRate: number): string {
  const header = ['MRN', 'PATIENT_NAME', 'DOB', ...CLINICAL_COLUMNS.map(([, local]) => local).slice(0, 2), 'ZIP', 'PHONE', ...CLINICAL_COLUMNS.map(([, local]) => local).slice(2)];
  const siteCode = String.fromCharCode(65 + (index % 26));
  const lines = [header.join(',')];
  for (let r = 0; r < rows; r++) {
    const clinical = drawClinical(random, profile);
    const ids = drawIdentifiers(random, siteCode, r, clinical.age);
    const cells: Record<string, string> = {
      MRN: ids.mrn,
      PATIENT_NAME: ids.name,
      DOB: ids.dob,
      ZIP: ids.zip,
      PHONE: ids.phone,
      ...Object.fromEntries(CLINICAL_COLUMNS.map(([name, local]) => [local, String(clinical[name])])),
    };
    if (random() < missingRate) cells[MAY_BE_MISSING[randomInt(random, MAY_BE_MISSING.length)]!] = '';
    lines.push(header.map((column) => csvField(cells[column] ?? '')).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting: quote a field holding a comma, quote or line break; double inner quotes. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sites: { type: 'string', default: '3' },
      seed: { type: 'string', default: '42' },
      rows: { type: 'string' },
      out: { type: 'string', default: '.cohort-demo/data' },
    },
  });
  const hospitals = await generateHospitals({
    sites: Number(values.sites),
    seed: Number(values.seed),
    ...(values.rows === undefined ? {} : { rowsPerSite: Number(values.rows) }),
    outDir: resolve(values.out),
  });
  for (const h of hospitals) process.stdout.write(`${h.site}\t${h.rows} rows\t${h.path}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
