/**
 * A structural check of a DICOM Part 10 file, run before dcmjs reads it: dcmjs reads a
 * file cut inside its pixel data as if the pixels were shorter, so the cut would go
 * unnoticed. This walks every element, item and undefined-length sequence and fails on
 * the first one that runs past the end of the file (or of the item or sequence holding it),
 * and on an explicit VR that PS3.5 does not define: dcmjs can loop for minutes on such a
 * header (PN changed to PB). Items of defined-length sequences are walked too. It reads no
 * values except the transfer syntax.
 */

import { uidText } from './keyed-derivation.ts';

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Why a file's structure was refused: `at` is the byte offset of the element at fault. */
export class StructureProblem extends Error {
  constructor(
    readonly kind: 'not-dicom' | 'truncated' | 'malformed',
    readonly at: number,
    message: string,
  ) {
    super(message);
    this.name = 'StructureProblem';
  }
}

/** The file meta information as far as reading the rest needs it. */
export interface FileMeta {
  readonly transferSyntaxUid: string;
  /** Byte offset of the first data set element, after group 0002. */
  readonly datasetOffset: number;
  /** The bytes of group 0002 after its group length element: what (0002,0000) must say. */
  readonly groupLength: number;
}

/** The VRs of PS3.5 table 6.2-1: an explicit header with any other is refused before dcmjs reads it. */
const KNOWN_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const MAX_DEPTH = 64;

interface Header {
  readonly group: number;
  readonly element: number;
  readonly vr: string | undefined;
  readonly length: number;
  readonly size: number;
}

function readHeader(b: Uint8Array, view: DataView, pos: number, implicit: boolean): Header {
  if (pos + 8 > b.length) throw new StructureProblem('truncated', pos, `the file ends inside the element header at byte ${pos}`);
  const group = view.getUint16(pos, true);
  const element = view.getUint16(pos + 2, true);
  if (implicit || group === 0xfffe) return { group, element, vr: undefined, length: view.getUint32(pos + 4, true), size: 8 };
  const vr = String.fromCharCode(b[pos + 4]!, b[pos + 5]!);
  if (!/^[A-Z]{2}$/.test(vr)) throw new StructureProblem('malformed', pos, `element (${hex(group)},${hex(element)}) at byte ${pos} has no valid VR`);
  if (!KNOWN_VRS.has(vr)) throw new StructureProblem('malformed', pos, `element (${hex(group)},${hex(element)}) at byte ${pos} has an unknown VR`);
  if (!LONG_VRS.has(vr)) return { group, element, vr, length: view.getUint16(pos + 6, true), size: 8 };
  if (pos + 12 > b.length) throw new StructureProblem('truncated', pos, `the file ends inside the element header at byte ${pos}`);
  return { group, element, vr, length: view.getUint32(pos + 8, true), size: 12 };
}

const hex = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** Reads group 0002: the 128-byte preamble, "DICM", and the transfer syntax. */
export function readFileMeta(b: Uint8Array): FileMeta {
  if (b.length < 132 || String.fromCharCode(...b.subarray(128, 132)) !== 'DICM') {
    throw new StructureProblem('not-dicom', 0, 'no 128-byte preamble followed by "DICM"');
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 132;
  let transferSyntaxUid: string | undefined;
  let declaredLength: number | undefined;
  while (pos + 8 <= b.length && view.getUint16(pos, true) === 0x0002) {
    const h = readHeader(b, view, pos, false);
    if (h.length === UNDEFINED || pos + h.size + h.length > b.length) throw new StructureProblem('truncated', pos, `file meta element (0002,${hex(h.element)}) runs past the end of the file`);
    if (h.element === 0x0000 && h.length === 4 && pos + 12 + view.getUint32(pos + 8, true) > b.length) {
      throw new StructureProblem('truncated', pos, 'the file ends inside its file meta information');
    }
    if (pos === 132 && h.element === 0x0000 && h.vr === 'UL' && h.length === 4) declaredLength = view.getUint32(pos + 8, true);
    if (h.element === 0x0010) transferSyntaxUid = uidText(String.fromCharCode(...b.subarray(pos + h.size, pos + h.size + h.length)));
    pos += h.size + h.length;
  }
  if (transferSyntaxUid === undefined) {
    if (pos + 8 > b.length) throw new StructureProblem('truncated', pos, 'the file ends inside its file meta information');
    throw new StructureProblem('malformed', pos, 'the file meta information has no Transfer Syntax UID (0002,0010)');
  }
  // dcmjs reads as much of the file meta as (0002,0000) says and the rest as the data set,
  // so a wrong group length would carry meta elements (Source AE Title, Private Information)
  // into the data set, and one that overruns would read data set elements as meta.
  const groupLength = pos - 144;
  if (declaredLength === undefined) throw new StructureProblem('malformed', 132, 'the file meta information does not start with its group length (0002,0000)');
  if (declaredLength !== groupLength) {
    throw new StructureProblem('malformed', 132, `the file meta group length (0002,0000) says ${declaredLength} bytes, group 0002 holds ${groupLength}`);
  }
  return { transferSyntaxUid, datasetOffset: pos, groupLength };
}

/** Walks the data set from `offset` to the end of the file; throws a StructureProblem on the first overrun. */
export function checkDatasetStructure(b: Uint8Array, offset: number, implicit: boolean): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);

  /** An overrun of the file is a cut (TRUNCATED); of an enclosing item or sequence, MALFORMED. */
  const overrun = (end: number, pos: number, message: string): StructureProblem =>
    new StructureProblem(end === b.length ? 'truncated' : 'malformed', pos, end === b.length ? message : `${message} (past the end of its item or sequence)`);

  /**
   * Elements from pos up to `end`; inside an undefined-length item (`inItem`), up to and past
   * its delimiter.
   */
  const elements = (pos: number, implicitHere: boolean, inItem: boolean, depth: number, end: number): number => {
    if (depth > MAX_DEPTH) throw new StructureProblem('malformed', pos, `sequences nested deeper than ${MAX_DEPTH}`);
    while (pos < end) {
      if (pos + 8 > end && end !== b.length) throw overrun(end, pos, `the element header at byte ${pos} runs on`);
      const h = readHeader(b, view, pos, implicitHere);
      if (h.group === 0xfffe) {
        if (inItem && h.element === 0xe00d) return pos + 8;
        throw new StructureProblem('malformed', pos, `unexpected delimiter (FFFE,${hex(h.element)}) at byte ${pos}`);
      }
      if (pos + h.size > end) throw overrun(end, pos, `the element header at byte ${pos} runs on`);
      if (h.length === UNDEFINED) {
        // A sequence, encapsulated pixel data, or UN holding an implicit VR sequence (PS3.5 6.2.2).
        pos = items(pos + h.size, implicitHere || h.vr === 'UN', depth + 1, undefined, h.vr === 'SQ');
        if (pos > end) throw overrun(end, pos, `a sequence runs on to byte ${pos}`);
      } else {
        if (pos + h.size + h.length > end) {
          throw overrun(end, pos, `element (${hex(h.group)},${hex(h.element)}) at byte ${pos} declares ${h.length} bytes, ${end - pos - h.size} remain`);
        }
        // A defined-length sequence of an explicit file: its items are data sets dcmjs reads, so they are walked too.
        if (h.vr === 'SQ') items(pos + h.size, implicitHere, depth + 1, pos + h.size + h.length, true);
        pos += h.size + h.length;
      }
    }
    if (inItem) throw overrun(end, pos, 'the file ends inside a sequence item');
    return pos;
  };

  /**
   * Items from pos: up to the sequence delimiter (`end` undefined) or exactly to `end` (a
   * defined-length sequence). `datasets`: the items are data sets (a sequence), not pixel
   * fragments, so defined-length ones are walked as well.
   */
  const items = (pos: number, implicitHere: boolean, depth: number, end: number | undefined, datasets: boolean): number => {
    const limit = end ?? b.length;
    for (;;) {
      if (end !== undefined && pos === end) return pos;
      if (pos + 8 > limit) throw overrun(limit, pos, 'the file ends inside a sequence');
      const group = view.getUint16(pos, true);
      const element = view.getUint16(pos + 2, true);
      const length = view.getUint32(pos + 4, true);
      if (group === 0xfffe && element === 0xe0dd && end === undefined) return pos + 8;
      if (group !== 0xfffe || element !== 0xe000) throw new StructureProblem('malformed', pos, `expected an item or a sequence delimiter at byte ${pos}`);
      if (length === UNDEFINED) {
        pos = elements(pos + 8, implicitHere, true, depth, b.length);
        if (pos > limit) throw overrun(limit, pos, `an item runs on to byte ${pos}`);
      } else if (pos + 8 + length > limit) {
        throw overrun(limit, pos, `an item at byte ${pos} declares ${length} bytes, ${limit - pos - 8} remain`);
      } else {
        if (datasets) elements(pos + 8, implicitHere, false, depth, pos + 8 + length);
        pos += 8 + length;
      }
    }
  };

  elements(offset, implicit, false, 0, b.length);
}
