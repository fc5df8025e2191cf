/**
 * `cohort site check`: what hospital IT sees before the site joins. For each dataset of the
 * site config, every column of the extract (type, missing cells, suspected identifiers), and
 * with a spec, what the agent would read for it: the mapped columns, the PHI guard's verdict
 * exactly as a run would reach it, and the rows a run would keep. Local only: no key, no
 * kit, no network.
 */
import { CohortError, DataErrors } from '../core/errors/index.ts';
import { labelColumns } from '../models/features.ts';
import type { ModelSpec } from '../models/spec-schema.ts';
import { listFiles } from '../core/dicom/deidentify-directory.ts';
import { readCsvRows, type CsvSourceOptions } from './data/csv-source.ts';
import { allowListCovers, guardVerdicts, SAFE_HARBOR_CATEGORIES, type GuardedColumn } from './data/phi-guard.ts';
import { scanCsvFile, type ScannedColumn } from './data/phi-scan.ts';
import { fullReadGuard } from './data/prepare-dataset.ts';
import type { SiteConfig } from './site-config.ts';

/** A coded problem that would stop a run, without any value. */
export interface CheckProblem {
  readonly code: string;
  readonly message: string;
}

/** What a spec would read from one dataset. */
export interface SpecReadCheck {
  readonly spec: string;
  /** Spec features (and the label) the site policy's allowedFeatures does not allow. */
  readonly notAllowedFeatures: string[];
  /** Each column the run would read, with the guard's verdict; empty when a problem stops the read first. */
  readonly reads: GuardedColumn[];
  /** Rows a run would keep and drop (a missing value in a read column), when the read gets that far. */
  readonly rows?: { readonly kept: number; readonly dropped: number };
  /** Why a run would be refused; empty when it would go ahead. */
  readonly problems: CheckProblem[];
}

export interface DatasetCheck {
  readonly dataset: string;
  readonly file: string;
  /** Data rows, when the file could be read. */
  readonly rows?: number;
  readonly columns: ScannedColumn[];
  /** Local columns the mapping names that the header lacks. */
  readonly unmappedColumns: string[];
  readonly problems: CheckProblem[];
  readonly specRead?: SpecReadCheck;
  /**
   * A dataset of kind dicom: how many files its directory holds. Its headers are not scanned
   * here: the agent de-identifies every file by the PS3.15 Basic Profile before reading a pixel
   * (`cohort dicom deid` shows the result on a copy).
   */
  readonly dicom?: { readonly files: number };
}

export interface SiteCheckResult {
  readonly datasets: DatasetCheck[];
}

const problemOf = (e: unknown): CheckProblem => {
  if (e instanceof CohortError) return { code: e.code, message: e.message };
  throw e;
};

/** Checks every dataset of the config, or with a spec, also what the spec would read from its dataset. */
export async function checkSite(config: SiteConfig, spec?: { readonly path: string; readonly spec: ModelSpec }): Promise<SiteCheckResult> {
  if (spec !== undefined && !Object.hasOwn(config.datasets, spec.spec.dataset)) {
    throw new CohortError(DataErrors.MAPPING_INCOMPLETE, `the site config maps no dataset "${spec.spec.dataset}" (the spec ${spec.path} reads it; expected an entry under datasets)`, {
      details: { dataset: spec.spec.dataset, datasets: Object.keys(config.datasets) },
    });
  }
  const datasets: DatasetCheck[] = [];
  for (const [dataset, mapping] of Object.entries(config.datasets)) {
    if (mapping.kind === 'dicom') {
      datasets.push(checkDicomDataset(dataset, mapping.path));
      continue;
    }
    let scanned: Awaited<ReturnType<typeof scanCsvFile>> | undefined;
    const problems: CheckProblem[] = [];
    try {
      scanned = await scanCsvFile(mapping.path);
    } catch (e) {
      problems.push(problemOf(e));
    }
    const header = new Set(scanned?.columns.map((c) => c.name) ?? []);
    const mapped = [...Object.values(mapping.columns), ...(mapping.split ? [mapping.split.column] : [])];
    const check: DatasetCheck = {
      dataset,
      file: mapping.path,
      ...(scanned === undefined ? {} : { rows: scanned.rows }),
      columns: scanned?.columns ?? [],
      unmappedColumns: scanned === undefined ? [] : [...new Set(mapped.filter((c) => !header.has(c)))],
      problems,
    };
    const specRead = spec !== undefined && spec.spec.dataset === dataset && scanned !== undefined ? await checkSpecRead(config, mapping, spec) : undefined;
    datasets.push(specRead === undefined ? check : { ...check, specRead });
  }
  return { datasets };
}

/** A DICOM dataset: its file count, or a coded problem (the errno code only: paths can carry patient names). */
function checkDicomDataset(dataset: string, dir: string): DatasetCheck {
  const base = { dataset, file: dir, columns: [], unmappedColumns: [] };
  try {
    return { ...base, problems: [], dicom: { files: listFiles(dir).length } };
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO';
    return { ...base, problems: [{ code: DataErrors.IMAGE_UNREADABLE.code, message: `the imaging dataset directory cannot be listed (${errno})` }] };
  }
}

/** The agent's own read path, stopped before training: the rows kept and the guard on every cell it reads. */
async function checkSpecRead(config: SiteConfig, mapping: SiteConfig['datasets'][string], spec: { readonly path: string; readonly spec: ModelSpec }): Promise<SpecReadCheck> {
  const { features } = spec.spec;
  const allowed = config.policy.allowedFeatures;
  const notAllowedFeatures = allowed.length === 0 ? [] : features.map((f) => f.name).filter((n) => !allowed.includes(n));
  const source: CsvSourceOptions = {
    path: mapping.path,
    need: [...features.map((f) => f.name), ...labelColumns(spec.spec)],
    columns: mapping.columns,
    ...(mapping.split ? { splitColumn: mapping.split.column } : {}),
  };
  const problems: CheckProblem[] = [];
  let reads: GuardedColumn[] = [];
  let rows: SpecReadCheck['rows'];
  try {
    // The run's own guard: every cell of every read column, judged during the one full read.
    const guard = fullReadGuard(spec.spec, mapping);
    const { header, rows: kept, droppedRows } = await readCsvRows(source, (row) => guard.add(row));
    rows = { kept, dropped: droppedRows };
    try {
      reads = [...guardVerdicts(spec.spec, mapping, header, guard.verdictOf, config.policy.phiAllowList).columns];
    } catch (e) {
      problems.push(problemOf(e));
      // The refusal lists the refused columns; rerun the verdicts with everything allowed to show every column's.
      const everything = header.map((h) => `${h}:${Object.keys(SAFE_HARBOR_CATEGORIES).join(',')}`);
      reads = guardVerdicts(spec.spec, mapping, header, guard.verdictOf, everything).columns.map((c) => ({ ...c, allowed: c.allowed && allowListCovers(config.policy.phiAllowList, c.column, c.reasons) }));
    }
  } catch (e) {
    problems.push(problemOf(e));
  }
  return { spec: spec.path, notAllowedFeatures, reads, ...(rows === undefined ? {} : { rows }), problems };
}
