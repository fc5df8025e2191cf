/**
 * Coordinator peak memory for `bench:he`: one child process per site count, each running
 * the coordinator's aggregation path (scripts/bench/he-coordinator-child.ts) over uploads
 * the parent encrypted and wrote to disk. The parent decrypts each child's aggregate and
 * checks it against the plaintext sum, so a figure is only reported for a correct round.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import type { CoordinatorChildConfig, CoordinatorChildResult } from './he-coordinator-child.ts';
import { maxAbsError, plainSum } from './he-fixtures.ts';
import { readUploadFile } from './he-upload-files.ts';

const CHILD = fileURLToPath(new URL('./he-coordinator-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A child's figures plus the parent's check of its aggregate. */
export interface CheckedChildResult extends CoordinatorChildResult {
  /** Summands the decrypted check slots report (must equal sites). */
  readonly decryptedSummands: number;
  /** Largest |decrypted sum - plaintext sum| over the update values. */
  readonly maxAbsErrorOfSum: number;
  /** |decrypted weight - plaintext weight| (exact: 0). */
  readonly weightError: number;
}

/** The encrypted uploads on disk and the vectors they encrypt, in the same order. */
export interface UploadsOnDisk {
  readonly descriptorPath: string;
  readonly uploadPaths: readonly string[];
  readonly vectors: readonly Float64Array[];
}

function runChild(configPath: string): Promise<CoordinatorChildResult> {
  return new Promise((resolve, reject) => {
    // --import tsx keeps the child one process (the tsx CLI would add a wrapper), so its maxRSS is the coordinator's.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0) reject(new Error(`coordinator child exited ${code ?? signal}`));
      else resolve(JSON.parse(out.trim()) as CoordinatorChildResult);
    });
  });
}

/** Runs one coordinator child for `sites` sites under `workDir` and checks its aggregate with `encoder`. */
export async function measureCoordinatorChild(uploads: UploadsOnDisk, sites: number, workDir: string, encoder: BfvUpdateEncoder): Promise<CheckedChildResult> {
  mkdirSync(workDir, { recursive: true });
  const config: CoordinatorChildConfig = {
    workDir,
    descriptorPath: uploads.descriptorPath,
    uploadPaths: uploads.uploadPaths,
    sites,
    aggregatePath: join(workDir, 'aggregate.bin'),
  };
  const configPath = join(workDir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const result = await runChild(configPath);
  const decoded = encoder.decodeAggregate([...readUploadFile(config.aggregatePath)]);
  const expected = plainSum(Array.from({ length: sites }, (_, i) => uploads.vectors[i % uploads.vectors.length] as Float64Array));
  const error = maxAbsError(decoded.sum, expected);
  if (decoded.summands !== sites) throw new Error(`the ${sites}-site aggregate decrypts to ${decoded.summands} summands`);
  return { ...result, decryptedSummands: decoded.summands, maxAbsErrorOfSum: error.values, weightError: error.weight };
}
