/**
 * How one CSV cell is read: what counts as missing, what counts as a number, and when a
 * cell matches a spec level. Shared by the CSV source, the encoder and the benchmark
 * loaders so every path reads a cell the same way.
 */

/**
 * Cell texts (after trimming) that mean "no value". A row with one of these in a column the
 * spec uses is dropped and counted, never imputed: imputation would be a modelling choice
 * the spec does not make.
 */
const MISSING: ReadonlySet<string> = new Set(['', '?', 'NA', 'N/A', 'NaN']);

/** A plain decimal: optional sign, digits with an optional fraction (".7" allowed), optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** True when the (untrimmed) cell is one of the missing-value markers. */
export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim());
}

/**
 * The cell as a finite number, or undefined when it is not a plain decimal. Stricter than
 * `Number()`, which would accept "", "0x1f", "Infinity" and " ".
 */
export function parseDecimal(cell: string): number | undefined {
  const text = cell.trim();
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Whether a cell holds a spec level. A numeric level matches any cell with the same numeric
 * value ("1", "1.0" and "+1" all match 1); a string level matches the trimmed cell exactly,
 * or numerically when both are decimals (level "1" matches cell "1.0").
 */
export function matchesLevel(cell: string, level: string | number): boolean {
  const text = cell.trim();
  if (typeof level === 'number') return parseDecimal(text) === level;
  if (text === level) return true;
  const a = parseDecimal(text);
  return a !== undefined && a === parseDecimal(level);
}

/** Index of the first level the cell matches, or -1. */
export function levelIndex(cell: string, levels: readonly (string | number)[]): number {
  return levels.findIndex((level) => matchesLevel(cell, level));
}
