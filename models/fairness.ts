/**
 * The groups of a spec's fairness attributes (docs/fairness.md), in the order the evaluation
 * vector lays them out: a categorical attribute's listed groups, a numeric attribute's bands
 * written as half-open intervals "[lo,hi)", and last, for every attribute, the group of rows
 * whose value is missing ({@link UNRECORDED_GROUP}).
 */
import type { FairnessAttributeSpec, ModelSpec } from './spec-schema.ts';

/** One attribute and its group labels, in layout order. */
export interface FairnessAttributeGroups {
  readonly name: string;
  readonly groups: readonly string[];
}

/** The last group of every attribute: rows whose value is missing (they stay in training; docs/model-spec.md "Fairness"). */
export const UNRECORDED_GROUP = 'unrecorded';

export function attributeGroups(attribute: FairnessAttributeSpec): string[] {
  const listed = attribute.type === 'categorical' ? attribute.groups.map(String) : attribute.bands.slice(1).map((hi, i) => `[${attribute.bands[i]!},${hi})`);
  return [...listed, UNRECORDED_GROUP];
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
