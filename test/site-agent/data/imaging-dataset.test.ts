import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { open } from '../../../core/crypto/at-rest.ts';
import type { ModelSpec } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { DatasetMappingSchema } from '../../../site-agent/data/dataset-mapping.ts';
import { imagingCacheAd, imagingCacheContext, prepareImagingDataset } from '../../../site-agent/data/imaging-dataset.ts';
import { bytesContain, makeFile, pixelBytes, planted, plantedValues } from '../../core/dicom/fixture.ts';
import { caught } from './helpers.ts';

const SIZE = 8;
const LETTERS = 'ABCDEFGHIJKLMNOPQRST';

const spec: ModelSpec = parseSpec({
  name: 'imaging',
  dataset: 'imaging',
  features: [{ name: 'image', type: 'image', height: SIZE, width: SIZE, channels: 1 }],
  label: { name: 'finding', type: 'binary' },
  model: { family: 'cnn', layers: [{ type: 'conv2d', filters: 2, kernelSize: 3 }] },
  training: { epochs: 1 },
  rounds: 1,
  testFraction: 0.25,
});

/** Stored 12-bit values of study i: label 1 a bright row, label 0 a bright column, at position i mod 8. */
function pixels(i: number, label: number): Int16Array {
  const out = new Int16Array(SIZE * SIZE);
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) out[r * SIZE + c] = (label === 1 ? r : c) === i % SIZE ? 2000 : 10 * i + r;
  return out;
}

const us = (v: number) => ({ vr: 'US', Value: [v] });

interface Site {
  readonly dir: string;
  readonly labels: string;
  readonly cacheDir: string;
  readonly key: Buffer;
}

/** 16 labelled 8x8 studies, plus a burned-in one, a non-DICOM file, an unlabelled study and one of the wrong size. */
function site(): Site {
  const root = mkdtempSync(join(tmpdir(), 'cohort-imaging-'));
  const dir = join(root, 'dicom');
  mkdirSync(join(dir, 'nested'), { recursive: true });
  const rows = ['study_uid,finding'];
  for (let i = 0; i < 16; i++) {
    const p = planted(i + 1, LETTERS[i]!);
    const label = i % 2;
    const extra = { '00280010': us(SIZE), '00280011': us(SIZE), '7FE00010': { vr: 'OW', Value: [pixelBytes(pixels(i, label))] } };
    // Input names carry the patient's name, as exported folders often do.
    writeFileSync(join(dir, i < 8 ? '' : 'nested', `${p.patientName.replace('^', '_')}.dcm`), makeFile({ p, extra }));
    rows.push(`${p.studyUid},${label}`);
  }
  const burned = planted(17, LETTERS[16]!);
  writeFileSync(join(dir, 'burned.dcm'), makeFile({ p: burned, extra: { '00280010': us(SIZE), '00280011': us(SIZE), '7FE00010': { vr: 'OW', Value: [pixelBytes(pixels(1, 1))] }, '00280301': { vr: 'CS', Value: ['YES'] } } }));
  rows.push(`${burned.studyUid},1`);
  writeFileSync(join(dir, 'notes.txt'), 'not a DICOM file');
  writeFileSync(join(dir, 'unlabelled.dcm'), makeFile({ p: planted(18, LETTERS[17]!), extra: { '00280010': us(SIZE), '00280011': us(SIZE), '7FE00010': { vr: 'OW', Value: [pixelBytes(pixels(2, 0))] } } }));
  const small = planted(19, LETTERS[18]!);
  writeFileSync(join(dir, 'small.dcm'), makeFile({ p: small }));
  rows.push(`${small.studyUid},0`);
  const labels = join(root, 'labels.csv');
  writeFileSync(labels, `${rows.join('\n')}\n`);
  return { dir, labels, cacheDir: join(root, 'cache'), key: randomBytes(32) };
}

function prepare(s: Site) {
  const mapping = DatasetMappingSchema.parse({ kind: 'dicom', path: s.dir, labels: { path: s.labels, uidColumn: 'study_uid', labelColumn: 'finding' } });
  return prepareImagingDataset({ spec, mapping, atRestKey: s.key, cacheDir: s.cacheDir, fingerprintKey: Buffer.alloc(32, 7) });
}

describe('prepareImagingDataset', () => {
  it('de-identifies, labels by the keyed study UID, and keeps the pixel values as the files hold them', () => {
    const s = site();

    const data = prepare(s);

    expect(data.train.rows + data.test.rows).toBe(16);
    expect(data.test.rows).toBe(4);
    expect(data.cacheHits).toBe(0);
    expect(data.skipped.map((k) => [k.input, k.code]).sort()).toEqual([
      ['burned.dcm', 'COHORT_E_DICOM_BURNED_IN_ANNOTATION'],
      ['notes.txt', 'COHORT_E_DICOM_NOT_DICOM'],
      ['small.dcm', 'COHORT_E_DATA_IMAGE_SHAPE'],
      ['unlabelled.dcm', 'COHORT_E_DATA_IMAGE_UNLABELED'],
    ]);
    // A reason travels further than the site's console: it names no file (file names carry patient names).
    for (const k of data.skipped) {
      expect(k.reason).not.toContain(k.input.replace(/\.[a-z]+$/, ''));
      expect(k.reason).toMatch(/^file \d+: /);
    }
    // Every study's image arrives once, with its own label: modality values are stored - 1024 (slope 1).
    const expected = new Set(Array.from({ length: 16 }, (_, i) => `${i % 2}:${Array.from(pixels(i, i % 2), (v) => v - 1024).join(',')}`));
    const seen = new Set<string>();
    for (const m of [data.train, data.test]) {
      for (let r = 0; r < m.rows; r++) seen.add(`${m.y[r]}:${Array.from(m.x.subarray(r * m.cols, (r + 1) * m.cols)).join(',')}`);
    }
    expect(seen).toEqual(expected);
    expect(data.columns).toHaveLength(64);
  });

  it('keeps the de-identified files sealed: no identifier, original UID, DICOM magic or pixel run in their bytes', () => {
    const s = site();
    prepare(s);

    const files = readdirSync(s.cacheDir);
    // Every file the profile accepted is cached (the unlabelled and the small one too); names are HMACs, not input names.
    expect(files).toHaveLength(18);
    for (const f of files) expect(f).toMatch(/^[0-9a-f]{64}\.dcm\.sealed$/);
    const pixelRun = Buffer.from(pixelBytes(pixels(0, 0))).subarray(0, 16);
    for (const f of files) {
      const sealed = readFileSync(join(s.cacheDir, f));
      expect(sealed.includes(Buffer.from('DICM'))).toBe(false);
      expect(sealed.includes(pixelRun)).toBe(false);
      for (let i = 0; i < 19; i++) for (const [, value] of plantedValues(planted(i + 1, LETTERS[i]!))) expect(bytesContain(sealed, value)).toBe(false);
      // Opened with the site's key it is a de-identified DICOM file: the same search, on the plaintext.
      const plain = open(s.key, sealed, imagingCacheAd(f, imagingCacheContext({ retainDates: false, retainPatientCharacteristics: false })), f);
      expect(plain.includes(Buffer.from('DICM'))).toBe(true);
      for (let i = 0; i < 19; i++) for (const [what, value] of plantedValues(planted(i + 1, LETTERS[i]!))) expect(bytesContain(plain, value), what).toBe(false);
    }
  });

  it('reads the sealed cache on the next run and gets the same matrices', () => {
    const s = site();
    const first = prepare(s);

    const second = prepare(s);

    expect(second.cacheHits).toBe(18);
    expect(second.train).toEqual(first.train);
    expect(second.test).toEqual(first.test);
    expect(second.fingerprint).toBe(first.fingerprint);
  });

  it('rebuilds an altered cache file from its source instead of trusting it', () => {
    const s = site();
    const first = prepare(s);
    const victim = join(s.cacheDir, readdirSync(s.cacheDir)[0]!);
    const sealed = readFileSync(victim);
    sealed[sealed.length - 1]! ^= 1;
    writeFileSync(victim, sealed);

    const second = prepare(s);

    expect(second.cacheHits).toBe(17);
    expect(second.train).toEqual(first.train);
    expect(second.test).toEqual(first.test);
    expect(readFileSync(victim).equals(sealed)).toBe(false);
    expect(prepare(s).cacheHits).toBe(18);
  });

  it('binds each cache entry to its own name: a cache file copied over another is rebuilt, not read as the other study', () => {
    const s = site();
    const first = prepare(s);
    const [a, b] = readdirSync(s.cacheDir);
    writeFileSync(join(s.cacheDir, b!), readFileSync(join(s.cacheDir, a!)));

    const second = prepare(s);

    expect(second.cacheHits).toBe(17);
    expect(second.train).toEqual(first.train);
    expect(second.test).toEqual(first.test);
  });

  it('ties the cache to the de-identification options and removes the entries the current run did not produce', () => {
    const s = site();
    prepare(s);
    const before = readdirSync(s.cacheDir);

    const retained = prepareImagingDataset({
      spec,
      mapping: DatasetMappingSchema.parse({ kind: 'dicom', path: s.dir, labels: { path: s.labels, uidColumn: 'study_uid', labelColumn: 'finding' }, deid: { retainDates: true } }),
      atRestKey: s.key,
      cacheDir: s.cacheDir,
      fingerprintKey: Buffer.alloc(32, 7),
    });

    // Other options, other de-identified bytes: nothing is read from the first run's cache, and its copies are gone.
    expect(retained.cacheHits).toBe(0);
    const after = readdirSync(s.cacheDir);
    expect(after).toHaveLength(18);
    expect(after.filter((f) => before.includes(f))).toEqual([]);

    // A source removed: its de-identified copy does not outlive it.
    rmSync(join(s.dir, 'unlabelled.dcm'));
    expect(prepare(s).cacheHits).toBe(0);
    expect(prepare(s).cacheHits).toBe(17);
    expect(readdirSync(s.cacheDir)).toHaveLength(17);
  });

  it('derives its cache names from the site key: another key reads none of it', () => {
    const s = site();
    prepare(s);

    const other = prepare({ ...s, key: randomBytes(32) });

    // Another key derives other cache names, so nothing is read from the first key's cache (and its entries are removed).
    expect(other.cacheHits).toBe(0);
    expect(readdirSync(s.cacheDir)).toHaveLength(18);
  });

  it('skips a file it cannot read with a coded reason naming no path, and trains on the rest', () => {
    const s = site();
    // Over 2 GiB (sparse): Node refuses to read it, a real I/O failure that root cannot bypass.
    const big = join(s.dir, 'nested', 'Doe_Jane.dcm');
    writeFileSync(big, '');
    truncateSync(big, 2 ** 31 + 1);

    const data = prepare(s);

    expect(data.train.rows + data.test.rows).toBe(16);
    const skip = data.skipped.find((k) => k.input === join('nested', 'Doe_Jane.dcm'));
    expect(skip?.code).toBe('COHORT_E_DATA_IMAGE_UNREADABLE');
    expect(skip?.reason).toMatch(/^file \d+: cannot be read or cached \(ERR_FS_FILE_TOO_LARGE\)$/);
  });

  it('skips an input whose cache entry is a directory instead of aborting the dataset', () => {
    const s = site();
    prepare(s);
    const victim = join(s.cacheDir, readdirSync(s.cacheDir)[0]!);
    rmSync(victim);
    mkdirSync(victim);

    const data = prepare(s);

    expect(data.train.rows + data.test.rows).toBeGreaterThanOrEqual(15);
    const unreadable = data.skipped.filter((k) => k.code === 'COHORT_E_DATA_IMAGE_UNREADABLE');
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0]!.reason).toMatch(/^file \d+: cannot be read or cached \(EISDIR\)$/);
  });

  it('refuses a dataset directory it cannot list with a code and without the path', async () => {
    const s = site();
    const missing = join(s.dir, 'Doe^Jane');

    const e = await caught(() =>
      prepareImagingDataset({
        spec,
        mapping: DatasetMappingSchema.parse({ kind: 'dicom', path: missing, labels: { path: s.labels, uidColumn: 'study_uid', labelColumn: 'finding' } }),
        atRestKey: s.key,
        cacheDir: s.cacheDir,
        fingerprintKey: Buffer.alloc(32, 7),
      }),
    );

    expect(e.code).toBe('COHORT_E_DATA_IMAGE_UNREADABLE');
    expect(e.message).toBe('the imaging dataset directory cannot be listed (ENOENT)');
    expect(JSON.stringify(e.details)).not.toContain('Doe');
  });

  it('refuses a labels file without the configured columns, naming them', async () => {
    const s = site();
    writeFileSync(s.labels, 'uid,label\n1.2.3,1\n');

    const e = await caught(() => prepare(s));

    expect(e.code).toBe('COHORT_E_DATA_CSV_MALFORMED');
    expect(e.message).toBe(`${s.labels}: expected columns "study_uid" and "finding"`);
  });
});

describe('DatasetMappingSchema', () => {
  it('needs labels for a dicom dataset and refuses them on a table', () => {
    expect(DatasetMappingSchema.safeParse({ kind: 'dicom', path: 'x' }).success).toBe(false);
    expect(DatasetMappingSchema.safeParse({ path: 'x.csv', columns: {}, labels: { path: 'l.csv' } }).success).toBe(false);
    expect(DatasetMappingSchema.parse({ kind: 'dicom', path: 'x', labels: { path: 'l.csv' } })).toEqual({
      kind: 'dicom',
      path: 'x',
      columns: {},
      labels: { path: 'l.csv', key: 'study', uidColumn: 'uid', labelColumn: 'label' },
    });
  });
});
