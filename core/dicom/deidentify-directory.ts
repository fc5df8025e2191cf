/**
 * De-identifies every file under a directory into another: outputs are named by their
 * replacement UIDs (`<study>/<series>/<instance>.dcm`), never by the input's names, which
 * can carry a patient's name. Refused files are reported with their code and the run
 * goes on. The input directory is only read.
 */
import { mkdirSync, readFileSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CohortError, DicomErrors, isCohortError } from '../errors/index.ts';
import { deidentifyDicom, type DeidOptions } from './deidentify.ts';

export interface WrittenFile {
  /** Path relative to the input directory. */
  readonly input: string;
  /** Path of the de-identified file. */
  readonly output: string;
}

export interface SkippedFile {
  readonly input: string;
  readonly code: string;
  readonly reason: string;
}

export interface DeidRunResult {
  readonly written: WrittenFile[];
  readonly skipped: SkippedFile[];
}

export interface DeidDirectoryOptions extends DeidOptions {
  /** Called after each file with the number done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Regular files under `dir`, sorted, as paths relative to it; symbolic links are not followed. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const path = rel === '' ? e.name : join(rel, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) out.push(path);
    }
  };
  walk('');
  return out;
}

const inside = (child: string, parent: string): boolean => {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * The real path `path` has or will have: the nearest existing ancestor resolved through its
 * symbolic links, with the components not created yet appended (`link/new/out`, with
 * `link` pointing into the input, resolves into the input).
 */
function realpathOfNearest(path: string): string {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const parent = dirname(at);
      if (parent === at) return path;
      rest.push(basename(at));
      at = parent;
    }
  }
}

/** Refuses an output directory equal to, inside or around the input directory. */
export function checkDirectories(inDir: string, outDir: string): { inDir: string; outDir: string } {
  let input: string;
  try {
    input = realpathSync(inDir);
    if (!statSync(input).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new CohortError(DicomErrors.INPUT_UNREADABLE, `input directory ${inDir} does not exist or is not a directory`, { details: { path: inDir }, cause: e });
  }
  const output = resolve(outDir);
  const outputReal = realpathOfNearest(output);
  if (inside(outputReal, input) || inside(input, outputReal)) {
    throw new CohortError(DicomErrors.OUTPUT_INSIDE_INPUT, `output directory ${outDir} is, contains or lies inside the input directory ${inDir}`, {
      details: { input: inDir, output: outDir },
    });
  }
  return { inDir: input, outDir: output };
}

/** De-identifies every regular file under `inDir` into `outDir`. */
export function deidentifyDirectory(inDir: string, outDir: string, options: DeidDirectoryOptions): DeidRunResult {
  const dirs = checkDirectories(inDir, outDir);
  const files = listFiles(dirs.inDir);
  const written: WrittenFile[] = [];
  const skipped: SkippedFile[] = [];
  const seen = new Set<string>();
  files.forEach((rel, i) => {
    try {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(dirs.inDir, rel));
      } catch (e) {
        throw new CohortError(DicomErrors.INPUT_UNREADABLE, `${rel}: cannot be read`, { details: { file: rel }, cause: e });
      }
      const out = deidentifyDicom(bytes, options, rel);
      const target = join(dirs.outDir, out.studyInstanceUid ?? 'no-study', out.seriesInstanceUid ?? 'no-series', `${out.sopInstanceUid}.dcm`);
      if (seen.has(target)) throw new CohortError(DicomErrors.DUPLICATE_INSTANCE, `${rel}: another input file has the same SOP Instance UID`, { details: { file: rel } });
      seen.add(target);
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, out.bytes);
      written.push({ input: rel, output: target });
    } catch (e) {
      if (!isCohortError(e)) throw e;
      skipped.push({ input: rel, code: e.code, reason: e.message });
    }
    options.onProgress?.(i + 1, files.length);
  });
  return { written, skipped };
}
