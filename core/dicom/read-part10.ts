/**
 * Reading one DICOM Part 10 file for de-identification or pixel decoding: only the
 * uncompressed little-endian transfer syntaxes, only files whose structure is whole.
 * Every refusal is a CohortError of the dicom family, never a dcmjs exception.
 */
import dcmjs, { type DicomDict } from 'dcmjs';
import { CohortError, DicomErrors } from '../errors/index.ts';
import { uidText } from './keyed-derivation.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, StructureProblem, checkDatasetStructure, readFileMeta } from './part10-structure.ts';

// dcmjs warns on the console about what it repairs while reading; the structural check
// above refuses those files first, and console noise would interleave with --json.
// Its validation logger also reports the implicit-VR pixel data VR ("ox") it resolves to OW.
dcmjs.log.setLevel('error');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export const SUPPORTED_TRANSFER_SYNTAXES: readonly string[] = [IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN];

export interface Part10File {
  readonly transferSyntaxUid: string;
  readonly dicom: DicomDict;
}

function refusal(p: StructureProblem, file: string): CohortError {
  const def = p.kind === 'not-dicom' ? DicomErrors.NOT_DICOM : p.kind === 'truncated' ? DicomErrors.TRUNCATED : DicomErrors.MALFORMED;
  return new CohortError(def, `${file}: ${p.message}`, { details: { file, offset: p.at } });
}

/** Checks and parses `bytes`; `file` names it in errors. */
export function readPart10(bytes: Uint8Array, file: string): Part10File {
  let transferSyntaxUid: string;
  try {
    const meta = readFileMeta(bytes);
    transferSyntaxUid = meta.transferSyntaxUid;
    if (!SUPPORTED_TRANSFER_SYNTAXES.includes(transferSyntaxUid)) {
      throw new CohortError(DicomErrors.TRANSFER_SYNTAX_UNSUPPORTED, `${file}: transfer syntax ${transferSyntaxUid} is not implicit or explicit VR little endian`, {
        details: { file, transferSyntaxUid },
      });
    }
    checkDatasetStructure(bytes, meta.datasetOffset, transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN);
  } catch (e) {
    if (e instanceof StructureProblem) throw refusal(e, file);
    throw e;
  }
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let dicom: DicomDict;
  try {
    dicom = dcmjs.data.DicomMessage.readFile(copy);
  } catch (e) {
    // dcmjs's message can quote what it read (a value, a VR); the reason is fixed text, the message stays in the cause.
    throw new CohortError(DicomErrors.MALFORMED, `${file}: the file cannot be parsed`, { details: { file }, cause: e });
  }
  // dcmjs splits meta from data set where (0002,0000) says (it keeps no copy of that
  // element); readFileMeta refused the file unless that is where group 0002 ends. Should
  // the two readers still disagree on the transfer syntax, the split is not to be trusted.
  const dcmjsTransferSyntax = dicom.meta['00020010']?.Value?.[0];
  if (typeof dcmjsTransferSyntax !== 'string' || uidText(dcmjsTransferSyntax) !== transferSyntaxUid) {
    throw new CohortError(DicomErrors.MALFORMED, `${file}: the file meta information is read differently by the two readers`, { details: { file } });
  }
  return { transferSyntaxUid, dicom };
}

/** The first value of a string element, its NUL or space padding trimmed at either end (uidText); undefined when absent or empty. */
export function firstString(ds: Readonly<Record<string, { Value?: unknown[] }>>, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  if (typeof v !== 'string') return undefined;
  const s = uidText(v);
  return s === '' ? undefined : s;
}

/** The first value of a numeric element (US, IS, DS as dcmjs gives them); undefined when absent. */
export function firstNumber(ds: Readonly<Record<string, { Value?: unknown[] }>>, tag: string): number | undefined {
  const v = ds[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined;
  return n === undefined || Number.isNaN(n) ? undefined : n;
}
