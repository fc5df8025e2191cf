import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Matrix } from '../../../models/features.ts';
import { HEART_COLUMNS } from '../../../scripts/datasets/heart-features.ts';
import {
  defaultHeartDiseaseDir,
  heartDiseaseColumns,
  loadHeartDisease,
  poolHospitals,
  type HeartHospitalData,
} from '../../../scripts/datasets/heart-disease.ts';

const column = (m: Matrix, c: number): number[] => Array.from({ length: m.rows }, (_, r) => m.x[r * m.cols + c] ?? NaN);
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const populationStd = (v: number[]): number => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

/** Design-matrix indexes of the standardised numeric columns: age, trestbps, chol, thalach, oldpeak. */
const STANDARDIZED = [0, 5, 6, 10, 12];

describe('loadHeartDisease (FLamby Fed-Heart-Disease preprocessing)', () => {
  let hospitals: HeartHospitalData[];
  beforeAll(async () => {
    hospitals = await loadHeartDisease();
  });

  it("reads the project's own copy in data/heart-disease, nothing beside the repository", () => {
    expect(defaultHeartDiseaseDir()).toBe(resolve(import.meta.dirname, '../../../data/heart-disease'));
  });

  it('keeps 303/261/46/130 rows split 199/104, 172/89, 30/16, 85/45 with 13 columns', () => {
    expect(hospitals.map((h) => [h.hospital, h.train.rows, h.test.rows, h.train.cols, h.test.cols])).toEqual([
      ['cleveland', 199, 104, 13, 13],
      ['hungarian', 172, 89, 13, 13],
      ['switzerland', 30, 16, 13, 13],
      ['va', 85, 45, 13, 13],
    ]);
    expect(hospitals.map((h) => h.droppedRows)).toEqual([0, 33, 77, 70]);
  });

  it("lays the columns out in FLamby's order", () => {
    expect(heartDiseaseColumns()).toEqual(HEART_COLUMNS);
  });

  it("standardises with each hospital's training statistics: train means 0, population std 1 (or 0 for a constant column)", () => {
    for (const h of hospitals) {
      for (const c of STANDARDIZED) {
        const values = column(h.train, c);
        expect(Math.abs(mean(values))).toBeLessThan(1e-6);
        const std = populationStd(values);
        // Zurich recorded every cholesterol as 0: a constant column is centred, not scaled.
        if (h.hospital === 'switzerland' && c === 6) expect(std).toBe(0);
        else expect(Math.abs(std - 1)).toBeLessThan(1e-5);
      }
    }
  });

  it("encodes Cleveland's first line (63,1,1,145,233,1,2,150,0,2.3,...,0) exactly in its unscaled columns", () => {
    const first = Array.from(hospitals[0]?.train.x.slice(0, 13) ?? []);

    expect([1, 2, 3, 4, 7, 8, 9, 11].map((c) => first[c])).toEqual([1, 0, 0, 0, 1, 0, 1, 0]);
    expect(hospitals[0]?.train.y[0]).toBe(0);
  });

  it("scales Cleveland's ages with the mean and std of its 199 training lines only", async () => {
    const dir = defaultHeartDiseaseDir();
    const lines = (await readFile(join(dir, 'processed.cleveland.data'), 'utf8')).trimEnd().split('\n');
    const trainLines = (await readFile(join(dir, 'split.csv'), 'utf8'))
      .split('\n')
      .filter((l) => l.startsWith('cleveland,') && l.endsWith(',train'))
      .map((l) => Number(l.split(',')[1]));
    const ages = trainLines.map((n) => Number(lines[n - 1]?.split(',')[0]));

    const expected = (63 - mean(ages)) / populationStd(ages);

    expect(ages.length).toBe(199);
    expect(hospitals[0]?.train.x[0]).toBeCloseTo(expected, 6);
  });

  it('labels num > 0 as disease: 139/303 in Cleveland', () => {
    const cleveland = hospitals[0];
    const positives = [...(cleveland?.train.y ?? []), ...(cleveland?.test.y ?? [])].reduce((a, b) => a + b, 0);

    expect(positives).toBe(139);
  });

  it('pools the hospitals by stacking their per-hospital matrices', () => {
    const pooled = poolHospitals(hospitals);

    expect([pooled.train.rows, pooled.test.rows, pooled.train.cols]).toEqual([486, 254, 13]);
    expect(Array.from(pooled.train.x.slice(199 * 13, 200 * 13))).toEqual(Array.from(hospitals[1]?.train.x.slice(0, 13) ?? []));
  });
});
