/** Test helpers for the data area: temporary CSV files and caught CohortErrors. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary directory and a function that removes it. */
export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-data-test-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes lines (joined with \n, trailing newline) to dir/name and returns the path. */
export async function writeCsv(dir: string, name: string, lines: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}

export { caught } from '../../support/caught.ts';
