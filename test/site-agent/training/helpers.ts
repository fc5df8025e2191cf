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

/**
 * Labelled images, row-major with channels last: label 1 draws a bright horizontal bar,
 * label 0 a vertical one, at a random position, over uniform noise in [0, 0.5] (scaled by
 * `maxValue`). A CNN separates them; the per-pixel means of the two classes barely differ.
 */
export function barImages(rows: number, height: number, width: number, channels: number, seed: number, maxValue = 1): Matrix {
  const rng = mulberry32(seed);
  const cols = height * width * channels;
  const x = new Float32Array(rows * cols);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = rng() < 0.5 ? 1 : 0;
    y[r] = label;
    const at = Math.floor(rng() * (label === 1 ? height : width));
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const on = label === 1 ? i === at : j === at;
        for (let c = 0; c < channels; c++) x[r * cols + (i * width + j) * channels + c] = maxValue * (on ? 1 : 0.5 * rng());
      }
    }
  }
  return { x, y, rows, cols };
}
