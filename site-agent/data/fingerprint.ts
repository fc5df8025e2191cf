/**
 * The dataset fingerprint a model's provenance carries: HMAC-SHA256, under a key only the
 * site holds, over a canonical byte encoding of the site's encoded training matrix and its
 * column names. The site can later show which data a model was trained on (it recomputes
 * the HMAC); nobody else can test guesses against it. An unkeyed hash could not promise
 * that: whoever knows every row but one tries each value of the missing cell until the hash
 * matches (test/site-agent/data/fingerprint.test.ts runs that attack).
 */
import { createHmac } from 'node:crypto';
import type { Matrix } from '../../models/features.ts';

const DOMAIN = 'cohort/dataset-fingerprint/v1';

/** Little-endian float32 bytes, with -0 written as +0 so equal matrices hash equally. */
function float32LE(values: Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => bytes.writeFloatLE(v === 0 ? 0 : v, i * 4));
  return bytes;
}

/**
 * Hex HMAC-SHA256 under `key` (at least 32 bytes) of: a domain tag, the JSON of
 * {columns, rows, cols}, then x and y as little-endian float32, each part separated by a NUL byte;
 * under a survival label, then a NUL byte and the times as little-endian float64.
 */
export function datasetFingerprint(train: Matrix, columns: readonly string[], key: Buffer): string {
  if (key.length < 32) throw new RangeError('datasetFingerprint: the key must have at least 32 bytes');
  const hmac = createHmac('sha256', key)
    .update(`${DOMAIN}\0`)
    .update(`${JSON.stringify({ columns, rows: train.rows, cols: train.cols })}\0`)
    .update(float32LE(train.x))
    .update('\0')
    .update(float32LE(train.y));
  if (train.time !== undefined) {
    const time = Buffer.alloc(8 * train.time.length);
    train.time.forEach((t, i) => time.writeDoubleLE(t === 0 ? 0 : t, 8 * i));
    hmac.update('\0').update(time);
  }
  return hmac.digest('hex');
}
