/**
 * The imaging adapter: a site dataset of kind `dicom` (a directory of DICOM files and a
 * labels CSV mapping Study or Series Instance UID to the label) turned into the matrices
 * local training uses, with every file de-identified inside the site first.
 *
 * - Each file goes through core/dicom's PS3.15 Basic Profile (deidentifyDicom), keyed by a
 *   secret derived from the site's at-rest key; a file it refuses (burned-in annotation,
 *   undeclared secondary capture, unsupported syntax, truncated, not DICOM) is skipped with
 *   its code and never trained on. Pixels are read from the de-identified bytes only.
 * - The labels CSV names the hospital's own UIDs; they are mapped through the same keyed
 *   derivation the de-identification uses, so labels meet images by their new UIDs and no
 *   original UID is kept.
 * - The de-identified files are cached sealed (AES-256-GCM under the at-rest key,
 *   core/crypto/at-rest.ts), named by an HMAC of the profile version, the de-identification
 *   options and the input's path, size and mtime (input names can carry a patient's name), and
 *   sealed with that name and context as associated data; a later run reads the cache instead
 *   of re-running the profile. A cache file that fails authentication (altered, or copied over
 *   another) is rebuilt from the source, never trusted. Entries the run did not name (removed
 *   or changed inputs, other options or profile version) are deleted at the end of the run.
 * - Images must have the spec's height, width and channels (no resampling); the values are
 *   the modality values (stored x slope + intercept), normalised later per image by the
 *   trainer as the spec says.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { readSealedFile, writeSealedFile } from '../../core/crypto/at-rest.ts';
import { IMPLEMENTATION_VERSION_NAME, deidentifyDicom } from '../../core/dicom/deidentify.ts';
import { listFiles } from '../../core/dicom/deidentify-directory.ts';
import { deidKeys, type DeidKeys } from '../../core/dicom/keyed-derivation.ts';
import { decodePixelDataset, modalityValues } from '../../core/dicom/pixel-data.ts';
import { firstString, readPart10 } from '../../core/dicom/read-part10.ts';
import { CohortError, DataErrors, GeneralErrors, SiteErrors, isCohortError } from '../../core/errors/index.ts';
import { imageFeatureOf, imageSize } from '../../models/cnn.ts';
import { designColumns, type Matrix } from '../../models/features.ts';
import type { DatasetMapping } from './dataset-mapping.ts';
import { matrixOf, type EncodedRow } from './encode-rows.ts';
import { datasetFingerprint } from './fingerprint.ts';
import type { DatasetSpec, PreparedDataset } from './prepare-dataset.ts';
import { seededTestMask } from './split.ts';

/**
 * What a cache entry depends on besides its input: the profile's version and the options it ran
 * with. Both go into the entry's HMAC name and its associated data, so a change of either reads
 * nothing cached under the old one (and the old entries are removed by the run).
 */
export function imagingCacheContext(options: { readonly retainDates: boolean; readonly retainPatientCharacteristics: boolean }): string {
  return `${IMAGING_CACHE_VERSION}\0${IMPLEMENTATION_VERSION_NAME}\0retainDates=${options.retainDates}\0retainPatientCharacteristics=${options.retainPatientCharacteristics}`;
}

/** The cache format; bump it, like the profile's IMPLEMENTATION_VERSION_NAME, when the cached bytes would differ. */
const IMAGING_CACHE_VERSION = 'cohort-dicom-deid-cache/v2';

/** A cache entry's file name pattern (an HMAC): only such files are ever removed from the cache directory. */
const CACHE_NAME = /^[0-9a-f]{64}\.dcm\.sealed$/;

/** Associated data of a sealed cache file: bound to its own name and context, so one entry copied over another fails authentication. */
export function imagingCacheAd(fileName: string, context: string): string {
  return `cohort-dicom-deid-cache\0${context}\0${fileName}`;
}

/** The de-identification secret of a site: HKDF of its at-rest key, stable across runs, known to no one outside. */
export function dicomDeidSecret(atRestKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', atRestKey, Buffer.alloc(0), 'cohort/dicom-deid-secret/v1', 32));
}

/**
 * A file left out of training, with its code. `input` (relative to the dataset directory) is for
 * the site's own display only: file names can carry patient names. `reason` names the file by its
 * place in the sorted listing (`file 3: ...`), never by its name.
 */
export interface SkippedImage {
  readonly input: string;
  readonly code: string;
  readonly reason: string;
}

export interface PrepareImagingOptions {
  readonly spec: DatasetSpec & { readonly model: { readonly family: string } };
  readonly mapping: DatasetMapping;
  /** The site's at-rest key: keys the de-identification secret, the cache names and the sealing. */
  readonly atRestKey: Buffer;
  /** Where the sealed de-identified files are kept (the site's data directory). */
  readonly cacheDir: string;
  readonly fingerprintKey: Buffer;
}

export interface PreparedImagingDataset extends PreparedDataset {
  readonly skipped: readonly SkippedImage[];
  /** Files read from the sealed cache rather than de-identified afresh. */
  readonly cacheHits: number;
}

function labelsError(path: string, message: string, details: Record<string, unknown> = {}): CohortError {
  return new CohortError(DataErrors.CSV_MALFORMED, `${path}: ${message}`, { details: { file: path, ...details } });
}

/** New UID -> 0/1 label, from the labels CSV's original UIDs (never kept). */
function readLabels(mapping: DatasetMapping, spec: DatasetSpec, keys: DeidKeys): Map<string, 0 | 1> {
  const labels = mapping.labels!;
  let text: string;
  try {
    text = readFileSync(labels.path, 'utf8');
  } catch (cause) {
    throw new CohortError(GeneralErrors.FILE_NOT_FOUND, `labels file ${labels.path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
      cause,
      details: { path: labels.path },
    });
  }
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (cause) {
    throw labelsError(labels.path, 'is not a valid CSV file', { cause: (cause as Error).message.split('\n')[0] });
  }
  if (spec.label.type !== 'binary') throw labelsError(labels.path, 'needs a binary label in the spec (an imaging dataset has no survival times)');
  const positives = spec.label.positive;
  const out = new Map<string, 0 | 1>();
  records.forEach((record, i) => {
    const uid = record[labels.uidColumn];
    const label = record[labels.labelColumn];
    if (uid === undefined || label === undefined) {
      throw labelsError(labels.path, `expected columns "${labels.uidColumn}" and "${labels.labelColumn}"`, { row: i + 2 });
    }
    if (uid === '') throw labelsError(labels.path, `line ${i + 2}: the "${labels.uidColumn}" cell is empty`, { row: i + 2 });
    const positive = positives.some((p) => String(p) === label || (typeof p === 'number' && Number(label) === p && label !== ''));
    out.set(keys.uid(uid), positive ? 1 : 0);
  });
  return out;
}

/** The sealed cache file of an input: named by an HMAC of its relative path, size and mtime. */
function cachePath(cacheDir: string, nameKey: Buffer, context: string, dir: string, rel: string): string {
  const st = statSync(join(dir, rel));
  const name = createHmac('sha256', nameKey).update(`${context}\0${rel}\0${st.size}\0${st.mtimeMs}`).digest('hex');
  return join(cacheDir, `${name}.dcm.sealed`);
}

/** A cache file's de-identified bytes; undefined when it fails authentication (altered): it is then rebuilt from the source. */
function readCache(path: string, key: Buffer, context: string): Uint8Array | undefined {
  try {
    return readSealedFile(path, key, imagingCacheAd(basename(path), context));
  } catch (e) {
    if (isCohortError(e) && e.code === SiteErrors.STATE_CORRUPT.code) return undefined;
    throw e;
  }
}

/** The operating system's code of an I/O failure, never its message (which names the path). */
function ioCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'unknown';
}

/** Runs per-file I/O; a failure becomes DATA_IMAGE_UNREADABLE with the errno code only, so the file is skipped. */
function fileIo<T>(label: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isCohortError(e)) throw e;
    const code = ioCode(e);
    throw new CohortError(DataErrors.IMAGE_UNREADABLE, `${label}: cannot be read or cached (${code})`, { details: { errno: code } });
  }
}

function shapeError(label: string, got: string, want: string): CohortError {
  return new CohortError(DataErrors.IMAGE_SHAPE, `${label}: the image is ${got} but the spec's image feature is ${want}`, { details: { file: label } });
}

/**
 * Removes the cache entries the current run did not name: those of removed or changed inputs,
 * other options, another profile version or another key. The cache directory is the site's
 * (shared by its dicom datasets), so a second dicom dataset's entries go too and are rebuilt on
 * its next run. A failed removal is left for the next run.
 */
function removeStaleCache(cacheDir: string, produced: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!CACHE_NAME.test(name) || produced.has(name)) continue;
    try {
      rmSync(join(cacheDir, name), { force: true });
    } catch {
      // Left for the next run; the entry is sealed under the site key and named by an HMAC.
    }
  }
}

/**
 * Prepares a `dicom` dataset for a cnn spec. Throws GENERAL_FILE_NOT_FOUND or
 * DATA_CSV_MALFORMED for the labels file and DATA_EMPTY when no labelled image is left;
 * files it cannot use are listed in `skipped` with their codes, never thrown.
 */
export function prepareImagingDataset(options: PrepareImagingOptions): PreparedImagingDataset {
  const { spec, mapping } = options;
  const image = imageFeatureOf(spec as Parameters<typeof imageFeatureOf>[0]);
  if (image === undefined) {
    throw new CohortError(DataErrors.IMAGE_SHAPE, `dataset ${mapping.path} holds images, but the spec has no image feature (expected the cnn family)`, {
      details: { file: mapping.path },
    });
  }
  const secret = dicomDeidSecret(options.atRestKey);
  const keys = deidKeys(secret);
  const nameKey = Buffer.from(hkdfSync('sha256', options.atRestKey, Buffer.alloc(0), 'cohort/dicom-cache-names/v1', 32));
  const labels = readLabels(mapping, spec, keys);
  const by = mapping.labels!.key === 'series' ? '0020000E' : '0020000D';
  mkdirSync(options.cacheDir, { recursive: true, mode: 0o700 });

  const deidOptions = { retainDates: mapping.deid?.retainDates ?? false, retainPatientCharacteristics: mapping.deid?.retainPatientCharacteristics ?? false };
  const context = imagingCacheContext(deidOptions);
  /** Cache names of this run's inputs: every other entry is removed at the end (a copy must not outlive its source). */
  const produced = new Set<string>();

  const rows: EncodedRow[] = [];
  const skipped: SkippedImage[] = [];
  let cacheHits = 0;
  let files: string[];
  try {
    files = listFiles(mapping.path);
  } catch (e) {
    // The error's own message names the directory, and a subdirectory's name can carry a patient's name.
    const code = ioCode(e);
    throw new CohortError(DataErrors.IMAGE_UNREADABLE, `the imaging dataset directory cannot be listed (${code})`, { details: { errno: code } });
  }
  for (const [i, rel] of files.entries()) {
    // Messages name the file by its place in the sorted listing, never by its name (names carry patient names):
    // the reasons reach the run's report; `input` is for the site's own display only.
    const source = `file ${i + 1}`;
    try {
      const cached = fileIo(source, () => cachePath(options.cacheDir, nameKey, context, mapping.path, rel));
      produced.add(basename(cached));
      let bytes = fileIo(source, () => (existsSync(cached) ? readCache(cached, options.atRestKey, context) : undefined));
      if (bytes !== undefined) {
        cacheHits++;
      } else {
        const input = fileIo(source, () => readFileSync(join(mapping.path, rel)));
        const deid = deidentifyDicom(input, { keys, ...deidOptions }, source);
        bytes = deid.bytes;
        const sealed = bytes;
        fileIo(source, () => writeSealedFile(cached, options.atRestKey, sealed, imagingCacheAd(basename(cached), context)));
      }
      // Parsed once: the label key and the pixels come from the same dataset.
      const dataset = readPart10(bytes, source).dicom.dict;
      const uid = firstString(dataset, by);
      const label = uid === undefined ? undefined : labels.get(uid);
      if (label === undefined) {
        throw new CohortError(DataErrors.IMAGE_UNLABELED, `${source}: its ${mapping.labels!.key} has no row in the labels file`, { details: { file: source } });
      }
      const pixels = decodePixelDataset(dataset, source);
      if (pixels.frames !== 1) throw shapeError(source, `${pixels.frames} frames`, 'one frame');
      if (pixels.rows !== image.height || pixels.columns !== image.width || pixels.samplesPerPixel !== image.channels) {
        throw shapeError(source, `${pixels.rows}x${pixels.columns}x${pixels.samplesPerPixel}`, `${image.height}x${image.width}x${image.channels}`);
      }
      if (pixels.samplesPerPixel > 1 && pixels.planarConfiguration !== 0) throw shapeError(source, 'colour-by-plane', 'colour-by-pixel');
      const values = modalityValues(pixels);
      if (values.length !== imageSize(image)) throw shapeError(source, `${values.length} values`, `${imageSize(image)}`);
      rows.push({ x: Array.from(values), y: label });
    } catch (e) {
      if (!isCohortError(e)) throw e;
      skipped.push({ input: rel, code: e.code, reason: e.message });
    }
  }

  removeStaleCache(options.cacheDir, produced);

  const columns = designColumns(spec);
  const testMask = seededTestMask(rows.length, spec.testFraction, spec.seed);
  const train: Matrix = matrixOf(rows.filter((_, i) => !testMask[i]), columns.length);
  const test: Matrix = matrixOf(rows.filter((_, i) => testMask[i]), columns.length);
  if (train.rows === 0 || test.rows === 0) {
    throw new CohortError(DataErrors.EMPTY, `${mapping.path}: ${rows.length} labelled image(s) of the spec's size (${skipped.length} skipped); expected at least one in each split`, {
      details: { file: mapping.path, rows: rows.length, skipped: skipped.length },
    });
  }
  return {
    train,
    test,
    columns,
    // Fairness attributes are read from tables only (validate-spec.ts refuses them beside an image).
    testGroups: [],
    droppedRows: skipped.length,
    fingerprint: datasetFingerprint(train, columns, options.fingerprintKey),
    phiGuard: { columns: [], unreadIdentifierColumns: [] },
    skipped,
    cacheHits,
  };
}
