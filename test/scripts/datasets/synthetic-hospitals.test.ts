import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { designColumns } from '../../../models/features.ts';
import { HEART_COLUMNS } from '../../../scripts/datasets/heart-features.ts';
import {
  generateHospitals,
  SYNTHETIC_IDENTIFIER_COLUMNS,
  syntheticColumnMapping,
  syntheticSpecFeatures,
  syntheticSpecLabel,
  type GeneratedHospital,
} from '../../../scripts/datasets/synthetic-hospitals.ts';
import { BASE_PROFILES, diseaseLogit, drawClinical } from '../../../scripts/datasets/synthetic-patient.ts';
import { mulberry32 } from '../../../models/seeded-random.ts';
import { prepareDataset, type PreparedDataset } from '../../../site-agent/data/prepare-dataset.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cohort-synthetic-test-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');
const spec = { features: [...syntheticSpecFeatures], label: syntheticSpecLabel, seed: 42, testFraction: 0.3 };

describe('generateHospitals', () => {
  let hospitals: GeneratedHospital[];
  let prepared: PreparedDataset[];
  beforeAll(async () => {
    hospitals = await generateHospitals({ sites: 4, seed: 7, outDir: join(dir, 'a') });
    prepared = await Promise.all(hospitals.map((h) => prepareDataset({ spec, mapping: { path: h.path, columns: syntheticColumnMapping() }, fingerprintKey: Buffer.alloc(32, 5) })));
  });

  it('writes byte-identical files for the same seed, and different ones for another seed', async () => {
    const again = await generateHospitals({ sites: 4, seed: 7, outDir: join(dir, 'b') });
    const other = await generateHospitals({ sites: 4, seed: 8, outDir: join(dir, 'c') });

    const hashes = await Promise.all(hospitals.map((h) => sha256(h.path)));
    expect(await Promise.all(again.map((h) => sha256(h.path)))).toEqual(hashes);
    expect(await Promise.all(other.map((h) => sha256(h.path)))).not.toEqual(hashes);
    expect(new Set(hashes).size).toBe(4);
  });

  it('leaves existing hospitals byte-identical when more sites are generated', async () => {
    const more = await generateHospitals({ sites: 5, seed: 7, outDir: join(dir, 'e') });

    expect(await Promise.all(more.slice(0, 4).map((h) => sha256(h.path)))).toEqual(await Promise.all(hospitals.map((h) => sha256(h.path))));
  });

  it("shows the PHI guard its identifier columns, which the heart spec never reads", () => {
    expect(prepared[0]?.phiGuard.unreadIdentifierColumns).toEqual(['MRN', 'PATIENT_NAME', 'DOB', 'ZIP', 'PHONE']);
  });

  it('names the sites and reports the rows it wrote', async () => {
    expect(hospitals.map((h) => h.site)).toEqual(['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d']);
    const lineCounts = await Promise.all(hospitals.map(async (h) => (await readFile(h.path, 'utf8')).trimEnd().split('\n').length - 1));
    expect(lineCounts).toEqual(hospitals.map((h) => h.rows));
  });

  it('writes identifier columns and local clinical names that differ from the spec names', async () => {
    const header = (await readFile(hospitals[0]?.path ?? '', 'utf8')).split('\n')[0]?.split(',') ?? [];
    const mapping = syntheticColumnMapping();

    expect(header).toEqual(expect.arrayContaining([...SYNTHETIC_IDENTIFIER_COLUMNS, ...Object.values(mapping)]));
    expect(Object.keys(mapping)).toEqual([...spec.features.map((f) => f.name), 'disease']);
    expect(Object.entries(mapping).filter(([name, local]) => name === local)).toEqual([]);
  });

  it('honours rowsPerSite', async () => {
    const fixed = await generateHospitals({ sites: 2, seed: 1, rowsPerSite: 25, outDir: join(dir, 'd') });

    expect(fixed.map((h) => h.rows)).toEqual([25, 25]);
  });

  it("is read by the site agent under the heart spec, with FLamby's 13 columns", () => {
    expect(designColumns(spec)).toEqual(HEART_COLUMNS);
    for (const [i, data] of prepared.entries()) {
      expect(data.columns).toEqual(HEART_COLUMNS);
      expect(data.train.rows + data.test.rows + data.droppedRows).toBe(hospitals[i]?.rows);
    }
  });

  it('gives each hospital a different case mix (prevalence differs by more than 0.1 between some two)', () => {
    const prevalence = prepared.map((d) => d.train.y.reduce((a, b) => a + b, 0) / d.train.rows);

    expect(Math.max(...prevalence) - Math.min(...prevalence)).toBeGreaterThan(0.1);
  });

  it('draws labels with a learnable signal: the generating logit classifies 0.75 to 0.9 of patients at every base hospital', () => {
    const accuracies = BASE_PROFILES.map((profile, i) => {
      const random = mulberry32(100 + i);
      let correct = 0;
      for (let n = 0; n < 2000; n++) {
        const patient = drawClinical(random, profile);
        correct += (diseaseLogit(patient, profile.logitShift) > 0 ? 1 : 0) === patient.disease ? 1 : 0;
      }
      return correct / 2000;
    });

    for (const accuracy of accuracies) {
      expect(accuracy).toBeGreaterThan(0.75);
      expect(accuracy).toBeLessThan(0.9);
    }
  });
});
