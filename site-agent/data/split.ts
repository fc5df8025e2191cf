/**
 * The seeded train/test split a site uses when its mapping names no split column. Every
 * site computes it from the spec's seed alone, so a run is reproducible without any site
 * sharing which rows it holds out.
 */
import { mulberry32, shuffledIndices } from '../../models/seeded-random.ts';

/** Salt mixed into the spec seed so the split stream differs from other uses of the same seed. */
const SPLIT_SALT = 0x5f3759df;

/**
 * For rows 0..n-1, whether each is a test row. round(n * testFraction) rows go to test,
 * chosen by a seeded shuffle; with two rows or more, each side keeps at least one.
 */
export function seededTestMask(n: number, testFraction: number, seed: number): boolean[] {
  let testRows = Math.round(n * testFraction);
  if (n >= 2) testRows = Math.min(Math.max(testRows, 1), n - 1);
  const order = shuffledIndices(n, mulberry32((seed ^ SPLIT_SALT) >>> 0));
  const mask = new Array<boolean>(n).fill(false);
  for (const i of order.slice(0, testRows)) mask[i] = true;
  return mask;
}
