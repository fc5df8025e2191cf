/**
 * A row's group in each of the spec's fairness attributes (models/fairness.ts lists the
 * groups): a categorical attribute's level index, a numeric attribute's band index (band i
 * holds [bands[i], bands[i+1])). A missing cell, and a cell in none of the listed groups or bands,
 * counts in the last group, "unrecorded". The site never refuses its data over an attribute's
 * value: a refusal goes to the coordinator as the decline's code, and a spec listing all groups
 * but one (or a band edge moved by bisection) would make that code tell, per site, whether any
 * test row holds the unlisted value. Suppression then covers the group like any other.
 */
import type { FairnessAttributeSpec } from '../../models/spec-schema.ts';
import { isMissing, levelIndex, parseDecimal } from './cell-values.ts';
import type { EncodableRow } from './encode-rows.ts';

export function groupIndex(attribute: FairnessAttributeSpec, row: EncodableRow): number {
  const unrecorded = attribute.type === 'categorical' ? attribute.groups.length : attribute.bands.length - 1;
  const cell = row.cells[attribute.name] ?? '';
  if (isMissing(cell)) return unrecorded;
  let index = -1;
  if (attribute.type === 'categorical') index = levelIndex(cell, attribute.groups);
  else {
    const v = parseDecimal(cell);
    if (v !== undefined) index = attribute.bands.findIndex((lo, i) => i + 1 < attribute.bands.length && v >= lo && v < attribute.bands[i + 1]!);
  }
  return index < 0 ? unrecorded : index;
}
