/**
 * The UCI Heart Disease data as FLamby's Fed-Heart-Disease benchmark uses it, one client
 * per hospital: drop slope, ca and thal; drop rows with a missing value; label num > 0;
 * one-hot cp and restecg dropping the first level (13 columns); the published train/test
 * split (split.csv); standardisation with each hospital's own training statistics.
 * It reads through the site agent's own CSV source and encoder, so benchmarks exercise
 * the same code a hospital runs.
 */
import { join } from 'node:path';
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import { designColumns, labelColumns, type Matrix } from '../../models/features.ts';
import { readCsvRows, type SourceRow } from '../../site-agent/data/csv-source.ts';
import { encodeRows, type EncodingSpec } from '../../site-agent/data/encode-rows.ts';
import { standardize, standardizedColumns } from '../../site-agent/data/standardize.ts';
import { dataPath } from './data-dir.ts';
import { HEART_FEATURES } from './heart-features.ts';

/** The four hospitals, in FLamby's client order. */
const HEART_HOSPITALS = ['cleveland', 'hungarian', 'switzerland', 'va'] as const;
export type HeartHospital = (typeof HEART_HOSPITALS)[number];

/** The 14 columns of the processed.*.data files (no header line). */
const FILE_COLUMNS = ['age', 'sex', 'cp', 'trestbps', 'chol', 'fbs', 'restecg', 'thalach', 'exang', 'oldpeak', 'slope', 'ca', 'thal', 'num'];

/** The features and label of the benchmark (label: num > 0). */
const HEART_DISEASE_SPEC: EncodingSpec = {
  features: [...HEART_FEATURES],
  label: { name: 'num', type: 'binary', positive: [1, 2, 3, 4] },
};

/** One hospital's benchmark client. */
export interface HeartHospitalData {
  readonly hospital: HeartHospital;
  readonly train: Matrix;
  readonly test: Matrix;
  /** Rows dropped for a missing value in a used column. */
  readonly droppedRows: number;
}

/** The project's copy of the heart-disease files: `data/heart-disease` (see `data/README.md`). */
export function defaultHeartDiseaseDir(): string {
  return dataPath('heart-disease');
}

/** Loads the four hospitals, standardised per hospital; columns are designColumns(HEART_DISEASE_SPEC). */
export async function loadHeartDisease(dataDir: string = defaultHeartDiseaseDir()): Promise<HeartHospitalData[]> {
  const splits = await readSplits(join(dataDir, 'split.csv'));
  const identity = Object.fromEntries(FILE_COLUMNS.map((c) => [c, c]));
  const need = [...HEART_DISEASE_SPEC.features.map((f) => f.name), ...labelColumns(HEART_DISEASE_SPEC)];
  const result: HeartHospitalData[] = [];
  for (const hospital of HEART_HOSPITALS) {
    const path = join(dataDir, `processed.${hospital}.data`);
    const train: SourceRow[] = [];
    const test: SourceRow[] = [];
    const { droppedRows } = await readCsvRows({ path, need, columns: identity, headerless: FILE_COLUMNS }, (row) => {
      const set = splits.get(`${hospital}:${row.line}`);
      if (set === undefined) {
        throw new CohortError(DataErrors.SPLIT_VALUE_UNKNOWN, `${path} line ${row.line}: split.csv assigns this kept row to no set (expected "train" or "test")`, {
          details: { file: path, row: row.line },
        });
      }
      (set === 'test' ? test : train).push(row);
    });
    const context = { file: path };
    const scaled = standardize(
      encodeRows(HEART_DISEASE_SPEC, train, context),
      encodeRows(HEART_DISEASE_SPEC, test, context),
      standardizedColumns(HEART_DISEASE_SPEC),
    );
    result.push({ hospital, train: scaled.train, test: scaled.test, droppedRows });
  }
  return result;
}

/** The design columns of the loaded matrices (13, FLamby's order). */
export function heartDiseaseColumns(): string[] {
  return designColumns(HEART_DISEASE_SPEC);
}

/**
 * The pooled (centralised) baseline: every hospital's rows concatenated, each still
 * standardised with its own hospital's statistics, as FLamby's pooled dataset does.
 */
export function poolHospitals(hospitals: readonly Pick<HeartHospitalData, 'train' | 'test'>[]): { train: Matrix; test: Matrix } {
  return { train: concatRows(hospitals.map((h) => h.train)), test: concatRows(hospitals.map((h) => h.test)) };
}

/** Stacks matrices of the same width. */
export function concatRows(parts: readonly Matrix[]): Matrix {
  const cols = parts[0]?.cols ?? 0;
  if (parts.some((p) => p.cols !== cols)) throw new RangeError('concatRows: matrices differ in width');
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * cols);
    y.set(p.y, at);
    at += p.rows;
  }
  const time = parts.length > 0 && parts.every((p) => p.time !== undefined) ? Float64Array.from(parts.flatMap((p) => Array.from(p.time!))) : undefined;
  return { x, y, rows, cols, ...(time ? { time } : {}) };
}

/** split.csv as "hospital:line" -> "train" | "test". */
async function readSplits(path: string): Promise<Map<string, string>> {
  const splits = new Map<string, string>();
  const columns = { hospital: 'hospital', line: 'line', set: 'set' };
  await readCsvRows({ path, need: ['hospital', 'line', 'set'], columns }, (row) => {
    splits.set(`${row.cells['hospital'] ?? ''}:${row.cells['line'] ?? ''}`, row.cells['set'] ?? '');
  });
  return splits;
}
