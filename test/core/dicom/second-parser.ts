/**
 * dicom-parser, the second parser: the tests read what Cohort wrote with a DICOM parser
 * Cohort did not write (and that is not dcmjs, which Cohort writes with).
 */
import dicomParser, { type DataSet } from 'dicom-parser';

export type { DataSet };

/** Parses a Part 10 file; the implicit VR data sets of Cohort's output parse too. */
export function parse(bytes: Uint8Array): DataSet {
  return dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** "xGGGGEEEE" from "GGGGEEEE". */
export const x = (tag: string): string => `x${tag.toLowerCase()}`;

/** The first item's data set of a sequence element. */
export function item(ds: DataSet, tag: string, index = 0): DataSet {
  const el = ds.elements[x(tag)];
  const found = el?.items?.[index]?.dataSet;
  if (found === undefined) throw new Error(`no item ${index} in ${tag}`);
  return found;
}

/** The attribute's presence and value length: "absent", or its length in bytes. */
export function presence(ds: DataSet, tag: string): 'absent' | number {
  const el = ds.elements[x(tag)];
  return el === undefined ? 'absent' : el.length;
}
