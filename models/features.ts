/**
 * The column layout of the design matrix every site builds from a spec. Sites and the
 * model builder both derive it from the spec alone, so every site's matrix has the same
 * columns in the same order without any site seeing another's data.
 */
import type { FeatureSpec, LabelSpec, ModelSpec } from './spec-schema.ts';

/** A dense row-major design matrix with binary labels. */
export interface Matrix {
  /** rows * cols values, row-major. */
  readonly x: Float32Array;
  /** rows labels, 0 or 1; under a survival label, the event indicator (1 = observed, 0 = censored). */
  readonly y: Float32Array;
  /** Under a survival label only: each row's follow-up time (finite, non-negative). */
  readonly time?: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** The encoded columns one feature contributes, in order. */
export function featureColumns(feature: FeatureSpec): string[] {
  if (feature.type === 'numeric') return [feature.name];
  // One column per pixel value, row-major with channels last: name[row,col,channel].
  if (feature.type === 'image') {
    const out: string[] = [];
    for (let r = 0; r < feature.height; r++) {
      for (let c = 0; c < feature.width; c++) for (let ch = 0; ch < feature.channels; ch++) out.push(`${feature.name}[${r},${c},${ch}]`);
    }
    return out;
  }
  const levels = feature.dropFirst ? feature.categories.slice(1) : feature.categories;
  return levels.map((level) => `${feature.name}=${String(level)}`);
}

/** All encoded columns of the spec, in the spec's feature order. */
export function designColumns(spec: Pick<ModelSpec, 'features'>): string[] {
  return spec.features.flatMap(featureColumns);
}

/** Width of the design matrix: the model's input dimension. */
export function inputDimOf(spec: Pick<ModelSpec, 'features'>): number {
  return designColumns(spec).length;
}

/** The spec names the label reads: the label column, or a survival label's time and event columns. */
export function labelColumns(spec: { readonly label: LabelSpec }): string[] {
  return spec.label.type === 'survival' ? [spec.label.time, spec.label.event] : [spec.label.name];
}
