/**
 * FLamby's Fed-TCGA-BRCA (data/tcga-brca/): one client per region, the published split
 * (train_test_split.csv, fold2 = train_k / test_k), the 39 covariates of brca.csv as FLamby
 * feeds them to its Cox model, T the time and E the event. Read through the site agent's own
 * CSV source and encoder; age (the only non-binary covariate) standardised with each
 * region's own training statistics (FLamby feeds it raw). The spec's feature names are the
 * CSV headers with every character outside [A-Za-z0-9_.-] replaced by `_`.
 */
import { join } from 'node:path';
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import { labelColumns, type Matrix } from '../../models/features.ts';
import { readCsvRows, type SourceRow } from '../../site-agent/data/csv-source.ts';
import { encodeRows, type EncodingSpec } from '../../site-agent/data/encode-rows.ts';
import { standardize, standardizedColumns } from '../../site-agent/data/standardize.ts';
import { dataPath } from './data-dir.ts';

/** FLamby's six clients (regions), in its order. */
export const TCGA_BRCA_CENTERS = 6;

/** One region's client. */
export interface TcgaBrcaCenter {
  readonly name: string;
  readonly train: Matrix;
  readonly test: Matrix;
}

/** A CSV header as a spec identifier. */
export function specNameOf(header: string): string {
  return header.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Loads the six regions for `spec` (features named as {@link specNameOf} names the headers; a survival label on T and E). */
export async function loadTcgaBrca(spec: EncodingSpec, dataDir: string = dataPath('tcga-brca')): Promise<TcgaBrcaCenter[]> {
  const folds = new Map<string, string>();
  await readCsvRows({ path: join(dataDir, 'train_test_split.csv'), need: ['pid', 'fold2'], columns: { pid: 'pid', fold2: 'fold2' } }, (row) => {
    folds.set(row.cells['pid'] ?? '', row.cells['fold2'] ?? '');
  });
  const path = join(dataDir, 'brca.csv');
  const header = (await readCsvRows({ path, need: ['pid'], columns: { pid: 'pid' }, maxRows: 1 }, () => undefined)).header;
  const columns: Record<string, string> = { pid: 'pid' };
  for (const h of header) columns[specNameOf(h)] = h;
  const need = ['pid', ...spec.features.map((f) => f.name), ...labelColumns(spec)];
  const rows = new Map<string, SourceRow[]>();
  await readCsvRows({ path, need, columns }, (row) => {
    const fold = folds.get(row.cells['pid'] ?? '');
    // 8 patients of brca.csv are in no fold; FLamby leaves them out too.
    if (fold === undefined) return;
    if (!/^(train|test)_[0-5]$/.test(fold)) {
      throw new CohortError(DataErrors.SPLIT_VALUE_UNKNOWN, `${path} line ${row.line}: train_test_split.csv gives this patient an unknown fold`, { details: { file: path, row: row.line } });
    }
    rows.set(fold, [...(rows.get(fold) ?? []), row]);
  });
  const context = { file: path };
  return Array.from({ length: TCGA_BRCA_CENTERS }, (_, k) => {
    const scaled = standardize(encodeRows(spec, rows.get(`train_${k}`) ?? [], context), encodeRows(spec, rows.get(`test_${k}`) ?? [], context), standardizedColumns(spec));
    return { name: `region-${k}`, train: scaled.train, test: scaled.test };
  });
}
