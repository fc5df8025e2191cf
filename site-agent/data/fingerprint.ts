/**
 * The dataset fingerprint a model's provenance carries: SHA-256 over a canonical byte
 * encoding of the site's encoded training matrix and its column names. It lets anyone
 * holding the same extract and spec confirm which data a model was trained on, and
 * reveals nothing about the rows to anyone else.
 */
import { createHash } from 'node:crypto';
import type { Matrix } from '../../models/features.ts';

const DOMAIN = 'cohort/dataset-fingerprint/v1';

/** Little-endian float32 bytes, with -0 written as +0 so equal matrices hash equally. */
function float32LE(values: Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v === 0 ? 0 : v, i * 4));
  return bytes;
}

/**
 * Hex SHA-256 of: a domain tag, the JSON of {columns, rows, cols}, then x and y as
 * little-endian float32, each part separated by a NUL byte.
 */
export function datasetFingerprint(train: Matrix, columns: readonly string[]): string {
  return createHash('sha256')
    .update(`${DOMAIN}\0`)
    .update(`${JSON.stringify({ columns, rows: train.rows, cols: train.cols })}\0`)
    .update(float32LE(train.x))
    .update('\0')
    .update(float32LE(train.y))
    .digest('hex');
}
