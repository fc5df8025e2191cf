/** Shared by the trainer tests: synthetic design matrices, deterministic from a seed, and error capture. */
import type { Matrix } from '../../../models/features.ts';
import { mulberry32 } from '../../../models/seeded-random.ts';

/**
 * A linearly separable problem: x uniform in [-1, 1]^width, y = 1 when
 * x . direction + 0.1 > 0, with direction = (1, -1, 0.5, -0.5, ...).
 */
export function separable(rows: number, width: number, seed: number): Matrix {
  const rng = mulberry32(seed);
  const x = new Float32Array(rows * width);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let score = 0.1;
    for (let c = 0; c < width; c++) {
      const v = 2 * rng() - 1;
      x[r * width + c] = v;
      score += v * (c % 2 === 0 ? 1 : -1) / (1 + Math.floor(c / 2));
    }
    y[r] = score > 0 ? 1 : 0;
  }
  return { x, y, rows, cols: width };
}

/** Euclidean distance between two weight vectors. */
export function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

export { caught } from '../../support/caught.ts';
