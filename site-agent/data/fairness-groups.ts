/**
 * A row's group in each of the spec's fairness attributes (models/fairness.ts lists the
 * groups): a categorical attribute's level index, a numeric attribute's band index (band i
 * holds [bands[i], bands[i+1])). A cell in no group is refused with DATA_FAIRNESS_GROUP_UNKNOWN,
 * naming the file, line and column, never the value.
 */
import { CohortError, DataErrors } from '../../core/errors/index.ts';
import type { FairnessAttributeSpec } from '../../models/spec-schema.ts';
import { isMissing, levelIndex, parseDecimal } from './cell-values.ts';
import type { EncodableRow, EncodeContext } from './encode-rows.ts';

export function groupIndex(attribute: FairnessAttributeSpec, row: EncodableRow, context: EncodeContext = {}): number {
  const cell = row.cells[attribute.name] ?? '';
  // A missing value: the attribute's last group, "unrecorded" (models/fairness.ts), after the listed groups or bands.
  if (isMissing(cell)) return attribute.type === 'categorical' ? attribute.groups.length : attribute.bands.length - 1;
  let index = -1;
  if (attribute.type === 'categorical') index = levelIndex(cell, attribute.groups);
  else {
    const v = parseDecimal(cell);
    if (v !== undefined) index = attribute.bands.findIndex((lo, i) => i + 1 < attribute.bands.length && v >= lo && v < attribute.bands[i + 1]!);
  }
  if (index < 0) {
    const column = context.columns?.[attribute.name] ?? attribute.name;
    const expected = attribute.type === 'categorical' ? `one of ${attribute.groups.map(String).join(', ')}` : `a number in [${attribute.bands[0]!}, ${attribute.bands.at(-1)!})`;
    throw new CohortError(DataErrors.FAIRNESS_GROUP_UNKNOWN, `${context.file ?? 'the extract'} line ${row.line}, column "${column}" (fairness attribute "${attribute.name}"): expected ${expected} (the value is not shown)`, {
      details: { ...(context.file ? { file: context.file } : {}), row: row.line, column, attribute: attribute.name },
    });
  }
  return index;
}
