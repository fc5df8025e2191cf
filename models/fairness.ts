/**
 * The groups of a spec's fairness attributes (docs/fairness.md), in the order the evaluation
 * vector lays them out: a categorical attribute's listed groups, a numeric attribute's bands
 * written as half-open intervals "[lo,hi)".
 */
import type { FairnessAttributeSpec, ModelSpec } from './spec-schema.ts';

/** One attribute and its group labels, in layout order. */
export interface FairnessAttributeGroups {
  readonly name: string;
  readonly groups: readonly string[];
}

export function attributeGroups(attribute: FairnessAttributeSpec): string[] {
  if (attribute.type === 'categorical') return attribute.groups.map(String);
  return attribute.bands.slice(1).map((hi, i) => `[${attribute.bands[i]!},${hi})`);
}

/** The spec's fairness attributes with their group labels; empty when the spec names none. */
export function fairnessGroups(spec: Pick<ModelSpec, 'fairness'>): FairnessAttributeGroups[] {
  return (spec.fairness?.attributes ?? []).map((a) => ({ name: a.name, groups: attributeGroups(a) }));
}

/** The attribute columns a site reads beside the features and the label (those not already features). */
export function fairnessColumns(spec: Pick<ModelSpec, 'fairness' | 'features'>): string[] {
  const features = new Set(spec.features.map((f) => f.name));
  return (spec.fairness?.attributes ?? []).map((a) => a.name).filter((n) => !features.has(n));
}
