/**
 * Rows to explain, given by spec feature name, encoded into the design columns the model
 * reads (models/features.ts), and the groups of design columns an attribution is reported
 * for. Errors name the row and the feature, never a value.
 *
 * Values are in the model's input scale: a numeric feature after the site's preprocessing
 * (a `standardize` feature as the site's standardised value; the exported model carries no
 * site statistics); a categorical feature as one of its spec levels (one-hot encoded as the
 * sites encode it) or, for a mean row, an object giving every encoded level's weight; an
 * image as a flat row-major, channels-last array of its normalised pixel values.
 */
import { CohortError, ExplainErrors } from '../../core/errors/index.ts';
import { featureColumns } from '../features.ts';
import type { FeatureSpec } from '../spec-schema.ts';

/** A row as JSON gives it: feature name to value. */
export type ExplainRow = Readonly<Record<string, unknown>>;

/** The design columns one reported attribution sums. */
export interface AttributionGroup {
  /** The feature name, or for an image region `<name>[rows a-b,cols c-d]` (inclusive, 0-based). */
  readonly feature: string;
  readonly columns: readonly number[];
}

/** Regions per image side: an image's attributions are reported on an IMAGE_GRID x IMAGE_GRID grid of regions, all channels summed. */
export const IMAGE_GRID = 4;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function badValue(field: string, feature: string, expected: string): CohortError {
  return new CohortError(ExplainErrors.BAD_VALUE, `${field}.${feature}: expected ${expected}`, { details: { field, feature } });
}

/** The kept (encoded) levels of a categorical feature, as strings. */
function encodedLevels(feature: Extract<FeatureSpec, { type: 'categorical' }>): string[] {
  return (feature.dropFirst ? feature.categories.slice(1) : feature.categories).map(String);
}

/**
 * Encodes a row given by spec feature names into the design vector (float64, design-column
 * order). Refuses a missing feature (COHORT_E_EXPLAIN_MISSING_FEATURE), a key that is not a
 * spec feature (COHORT_E_EXPLAIN_UNKNOWN_FEATURE) and a value its type cannot take
 * (COHORT_E_EXPLAIN_BAD_VALUE); `field` names the row in messages (`input`, `baseline`).
 */
export function encodeRow(features: readonly FeatureSpec[], row: unknown, field: string): Float64Array {
  if (!isRecord(row)) throw new CohortError(ExplainErrors.BAD_VALUE, `${field}: expected a JSON object keyed by spec feature names`, { details: { field } });
  const known = new Set(features.map((f) => f.name));
  const unknown = Object.keys(row).filter((k) => !known.has(k)).sort();
  if (unknown.length > 0) {
    // A key is a name the caller chose, not a patient value; it is still cut short.
    const name = unknown[0]!.slice(0, 64);
    throw new CohortError(ExplainErrors.UNKNOWN_FEATURE, `${field}.${name}: not a feature of the model's spec (its features: ${[...known].join(', ')})`, {
      details: { field, feature: name },
    });
  }
  const missing = features.filter((f) => !Object.hasOwn(row, f.name));
  if (missing.length > 0) {
    throw new CohortError(ExplainErrors.MISSING_FEATURE, `${field}.${missing[0]!.name}: missing (every spec feature needs a value${missing.length > 1 ? `; also missing: ${missing.slice(1).map((f) => f.name).join(', ')}` : ''})`, {
      details: { field, feature: missing[0]!.name, missing: missing.map((f) => f.name) },
    });
  }
  const out: number[] = [];
  for (const feature of features) {
    const value = row[feature.name];
    switch (feature.type) {
      case 'numeric':
        if (typeof value !== 'number' || !Number.isFinite(value)) throw badValue(field, feature.name, 'a finite number');
        out.push(value);
        break;
      case 'categorical': {
        const levels = encodedLevels(feature);
        if (isRecord(value)) {
          const keys = Object.keys(value);
          const ok = keys.length === levels.length && levels.every((l) => typeof value[l] === 'number' && Number.isFinite(value[l]));
          if (!ok) throw badValue(field, feature.name, `one of its levels, or an object with a finite weight for each of ${levels.map((l) => JSON.stringify(l)).join(', ')}`);
          for (const l of levels) out.push(value[l] as number);
          break;
        }
        if ((typeof value !== 'string' && typeof value !== 'number') || !feature.categories.map(String).includes(String(value))) {
          throw badValue(field, feature.name, `one of its spec levels (${feature.categories.map((c) => JSON.stringify(c)).join(', ')})`);
        }
        for (const l of levels) out.push(l === String(value) ? 1 : 0);
        break;
      }
      case 'image': {
        const size = feature.height * feature.width * feature.channels;
        if (!Array.isArray(value) || value.length !== size || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
          throw badValue(field, feature.name, `an array of ${size} finite numbers (${feature.height} x ${feature.width} x ${feature.channels}, row-major, channels last)`);
        }
        out.push(...(value as number[]));
        break;
      }
    }
  }
  return Float64Array.from(out);
}

/** [start, end) bounds of `parts` near-equal bands over `n`. */
function bands(n: number, parts: number): [number, number][] {
  const k = Math.min(parts, n);
  return Array.from({ length: k }, (_, i) => [Math.floor((i * n) / k), Math.floor(((i + 1) * n) / k)]);
}

/**
 * The groups attributions are reported for, in spec order: a numeric feature its column; a
 * categorical feature the sum over its one-hot columns; an image one group per region of an
 * IMAGE_GRID x IMAGE_GRID grid (row-major), each summing its pixels over all channels.
 */
export function attributionGroups(features: readonly FeatureSpec[]): AttributionGroup[] {
  const groups: AttributionGroup[] = [];
  let offset = 0;
  for (const feature of features) {
    const width = featureColumns(feature).length;
    if (feature.type !== 'image') {
      groups.push({ feature: feature.name, columns: Array.from({ length: width }, (_, i) => offset + i) });
    } else {
      const { height, width: w, channels } = feature;
      for (const [r0, r1] of bands(height, IMAGE_GRID)) {
        for (const [c0, c1] of bands(w, IMAGE_GRID)) {
          const columns: number[] = [];
          for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) for (let ch = 0; ch < channels; ch++) columns.push(offset + (r * w + c) * channels + ch);
          groups.push({ feature: `${feature.name}[rows ${r0}-${r1 - 1},cols ${c0}-${c1 - 1}]`, columns });
        }
      }
    }
    offset += width;
  }
  return groups;
}
