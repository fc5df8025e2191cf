/**
 * Native (uncompressed) pixel data decoded to a typed array of stored values, with the
 * image pixel module attributes needed to interpret it. Little endian only, as are the
 * transfer syntaxes Cohort reads.
 */
import type { DcmDataset } from 'dcmjs';
import { CohortError, DicomErrors } from '../errors/index.ts';
import { firstNumber, firstString, readPart10 } from './read-part10.ts';

export type StoredValues = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

export interface PixelArray {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly frames: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  /** 0 colour-by-pixel (RGBRGB...), 1 colour-by-plane; as stored, not reordered. */
  readonly planarConfiguration: 0 | 1;
  readonly photometricInterpretation: string | undefined;
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
  /** Stored values, frame after frame, masked to Bits Stored and sign-extended when signed. */
  readonly data: StoredValues;
}

function unsupported(file: string, why: string): CohortError {
  return new CohortError(DicomErrors.PIXEL_DATA_UNSUPPORTED, `${file}: ${why}`, { details: { file } });
}

function required(ds: DcmDataset, tag: string, name: string, file: string): number {
  const n = firstNumber(ds, tag);
  if (n === undefined || !Number.isInteger(n) || n < 0) throw unsupported(file, `${name} (${tag.slice(0, 4)},${tag.slice(4)}) is missing or not a non-negative integer`);
  return n;
}

/** An attribute that must be a positive integer when present (Number of Frames, Samples per Pixel), else `fallback`. */
function positive(ds: DcmDataset, tag: string, name: string, file: string, fallback: number): number {
  if (ds[tag]?.Value === undefined || ds[tag]?.Value?.length === 0) return fallback;
  const n = firstNumber(ds, tag);
  if (n === undefined || !Number.isInteger(n) || n < 1) throw unsupported(file, `${name} (${tag.slice(0, 4)},${tag.slice(4)}) is not a positive integer`);
  return n;
}

/**
 * Bits Stored (0028,0101; Bits Allocated when absent) and High Bit (0028,0102; Bits Stored
 * - 1 when absent), and whether they fit within `bitsAllocated`: whole numbers with
 * 1 <= Bits Stored <= Bits Allocated and Bits Stored - 1 <= High Bit < Bits Allocated.
 */
export function storedBits(ds: DcmDataset, bitsAllocated: number): { readonly bitsStored: number; readonly highBit: number; readonly fits: boolean } {
  const bitsStored = firstNumber(ds, '00280101') ?? bitsAllocated;
  const highBit = firstNumber(ds, '00280102') ?? bitsStored - 1;
  const fits = Number.isInteger(bitsStored) && Number.isInteger(highBit) && bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated;
  return { bitsStored, highBit, fits };
}

function pixelBytes(ds: DcmDataset, file: string): Uint8Array {
  const values = ds['7FE00010']?.Value;
  if (values === undefined || values.length === 0) throw unsupported(file, 'no Pixel Data (7FE0,0010)');
  const parts = values.map((v) => {
    if (!(v instanceof ArrayBuffer)) throw unsupported(file, 'Pixel Data (7FE0,0010) is not a native byte array');
    return new Uint8Array(v);
  });
  return parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
}

/** Decodes the pixel data of an already parsed data set (native encoding). */
export function decodePixelDataset(ds: DcmDataset, file = 'input'): PixelArray {
  const rows = required(ds, '00280010', 'Rows', file);
  const columns = required(ds, '00280011', 'Columns', file);
  const samplesPerPixel = positive(ds, '00280002', 'Samples per Pixel', file, 1);
  const bitsAllocated = required(ds, '00280100', 'Bits Allocated', file);
  const { bitsStored, highBit, fits } = storedBits(ds, bitsAllocated);
  const pixelRepresentation = firstNumber(ds, '00280103') === 1 ? 1 : 0;
  const frames = positive(ds, '00280008', 'Number of Frames', file, 1);
  if (![8, 16, 32].includes(bitsAllocated)) throw unsupported(file, `Bits Allocated ${bitsAllocated} is not 8, 16 or 32`);
  if (!fits) {
    throw unsupported(file, `Bits Stored ${bitsStored} and High Bit ${highBit} do not fit Bits Allocated ${bitsAllocated}`);
  }
  const count = rows * columns * samplesPerPixel * frames;
  const bytesPer = bitsAllocated / 8;
  const raw = pixelBytes(ds, file);
  if (raw.length < count * bytesPer) throw unsupported(file, `Pixel Data holds ${raw.length} bytes, ${count * bytesPer} expected`);
  const aligned = raw.slice(0, count * bytesPer).buffer;
  const unsigned = bitsAllocated === 8 ? new Uint8Array(aligned) : bitsAllocated === 16 ? new Uint16Array(aligned) : new Uint32Array(aligned);
  const data: StoredValues =
    pixelRepresentation === 0
      ? bitsAllocated === 8 ? new Uint8Array(count) : bitsAllocated === 16 ? new Uint16Array(count) : new Uint32Array(count)
      : bitsAllocated === 8 ? new Int8Array(count) : bitsAllocated === 16 ? new Int16Array(count) : new Int32Array(count);
  const shift = highBit + 1 - bitsStored;
  const mask = 2 ** bitsStored;
  const signBit = 2 ** (bitsStored - 1);
  for (let i = 0; i < count; i++) {
    // Arithmetic, not bitwise: 32-bit values would overflow JavaScript's signed shifts.
    let v = Math.floor(unsigned[i]! / 2 ** shift) % mask;
    if (pixelRepresentation === 1 && v >= signBit) v -= mask;
    data[i] = v;
  }
  return {
    rows,
    columns,
    samplesPerPixel,
    frames,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation,
    planarConfiguration: firstNumber(ds, '00280006') === 1 ? 1 : 0,
    photometricInterpretation: firstString(ds, '00280004'),
    rescaleSlope: firstNumber(ds, '00281053') ?? 1,
    rescaleIntercept: firstNumber(ds, '00281052') ?? 0,
    data,
  };
}

/** Reads a DICOM Part 10 file (implicit or explicit VR little endian) and decodes its pixel data. */
export function decodePixelData(bytes: Uint8Array, file = 'input'): PixelArray {
  return decodePixelDataset(readPart10(bytes, file).dicom.dict, file);
}

/** Modality values: stored value x Rescale Slope + Rescale Intercept (Hounsfield units for CT). */
export function modalityValues(p: PixelArray): Float32Array {
  const out = new Float32Array(p.data.length);
  for (let i = 0; i < out.length; i++) out[i] = p.data[i]! * p.rescaleSlope + p.rescaleIntercept;
  return out;
}
