/**
 * The project's copy of the public data sets (`data/` at the repository root, see
 * `data/README.md`). Tests, benchmarks and scripts read only this folder.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository's `data/` folder. */
export const DATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

/** A path inside `data/`, e.g. `dataPath('heart-disease', 'split.csv')`. */
export function dataPath(...parts: string[]): string {
  return join(DATA_DIR, ...parts);
}
