/**
 * Native pixel data decoded to typed arrays: exact stored values for 8/16/32-bit,
 * signed and unsigned, Bits Stored below Bits Allocated (at the bottom or the top of the
 * word), colour and multi-frame images, and the same pixels before and after
 * de-identification.
 */
import type { DcmDataset } from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { deidentifyDicom } from '../../../core/dicom/deidentify.ts';
import { deidKeys } from '../../../core/dicom/keyed-derivation.ts';
import { decodePixelData, modalityValues } from '../../../core/dicom/pixel-data.ts';
import { CohortError, DicomErrors } from '../../../core/errors/index.ts';
import { CT_IMAGE, IMPLICIT, PIXELS, SECRET, makeFile, writePart10 } from './fixture.ts';
import { caughtSync } from '../../support/caught.ts';

const us = (v: number): { vr: string; Value: unknown[] } => ({ vr: 'US', Value: [v] });

function image(attrs: { rows: number; cols: number; bits: number; stored?: number; high?: number; signed?: boolean; samples?: number; frames?: number; pixels: ArrayBuffer }, ts?: string): Buffer {
  const ds: DcmDataset = {
    '00080016': { vr: 'UI', Value: [CT_IMAGE] },
    '00080018': { vr: 'UI', Value: ['1.2.826.0.1.3680043.2.1125.9.8.1'] },
    '00280002': us(attrs.samples ?? 1),
    '00280004': { vr: 'CS', Value: [(attrs.samples ?? 1) === 3 ? 'RGB' : 'MONOCHROME2'] },
    '00280010': us(attrs.rows),
    '00280011': us(attrs.cols),
    '00280100': us(attrs.bits),
    '00280101': us(attrs.stored ?? attrs.bits),
    '00280102': us(attrs.high ?? (attrs.stored ?? attrs.bits) - 1),
    '00280103': us(attrs.signed === true ? 1 : 0),
    ...(attrs.frames === undefined ? {} : { '00280008': { vr: 'IS', Value: [attrs.frames] } }),
    '7FE00010': { vr: attrs.bits === 8 ? 'OB' : 'OW', Value: [attrs.pixels] },
  };
  return writePart10(ds, ts);
}

describe('decodePixelData', () => {
  it('decodes the 12-bit signed CT of the fixture and applies its rescale', () => {
    for (const ts of [undefined, IMPLICIT]) {
      const p = decodePixelData(makeFile({ transferSyntax: ts }));
      expect([p.rows, p.columns, p.samplesPerPixel, p.frames, p.bitsAllocated, p.bitsStored, p.highBit, p.pixelRepresentation]).toEqual([3, 4, 1, 1, 16, 12, 11, 1]);
      expect([p.rescaleSlope, p.rescaleIntercept, p.photometricInterpretation]).toEqual([1, -1024, 'MONOCHROME2']);
      expect(p.data).toBeInstanceOf(Int16Array);
      expect(Array.from(p.data)).toEqual(Array.from(PIXELS));
      expect(Array.from(modalityValues(p))).toEqual(Array.from(PIXELS, (v) => v - 1024));
    }
  });

  it('gives the same pixels after de-identification', () => {
    const input = makeFile();
    const out = deidentifyDicom(input, { keys: deidKeys(SECRET), retainDates: true }).bytes;
    expect(decodePixelData(out)).toEqual(decodePixelData(input));
  });

  it('decodes 8-bit RGB, colour by pixel', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const p = decodePixelData(image({ rows: 2, cols: 2, bits: 8, samples: 3, pixels: rgb.buffer }));
    expect(p.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(p.data)).toEqual(Array.from(rgb));
    expect([p.samplesPerPixel, p.planarConfiguration, p.photometricInterpretation]).toEqual([3, 0, 'RGB']);
  });

  it('decodes full-range 16-bit unsigned and signed values', () => {
    const u = Uint16Array.from([0, 1, 32768, 65535]);
    expect(Array.from(decodePixelData(image({ rows: 2, cols: 2, bits: 16, pixels: u.buffer })).data)).toEqual([0, 1, 32768, 65535]);
    const s = Int16Array.from([-32768, -1, 0, 32767]);
    const p = decodePixelData(image({ rows: 1, cols: 4, bits: 16, signed: true, pixels: s.buffer }));
    expect(p.data).toBeInstanceOf(Int16Array);
    expect(Array.from(p.data)).toEqual([-32768, -1, 0, 32767]);
  });

  it('decodes full-range 32-bit signed values without overflowing', () => {
    const s = Int32Array.from([-2147483648, -1, 0, 2147483647]);
    const p = decodePixelData(image({ rows: 2, cols: 2, bits: 32, signed: true, pixels: s.buffer }));
    expect(p.data).toBeInstanceOf(Int32Array);
    expect(Array.from(p.data)).toEqual([-2147483648, -1, 0, 2147483647]);
  });

  it('masks bits above High Bit and reads values stored at the top of the word', () => {
    // 12 bits stored in bits 0-11, garbage (an overlay, say) in bits 12-15.
    const low = Uint16Array.from([0xf000 | 4095, 0xa000 | 7, 0, 2048]);
    expect(Array.from(decodePixelData(image({ rows: 1, cols: 4, bits: 16, stored: 12, pixels: low.buffer })).data)).toEqual([4095, 7, 0, 2048]);
    // 12 bits stored in bits 4-15 (High Bit 15), signed: -1, -2048, 2047, 5.
    const high = Uint16Array.from([0xfff0, 0x8000, 0x7ff0, 0x0050]);
    expect(Array.from(decodePixelData(image({ rows: 2, cols: 2, bits: 16, stored: 12, high: 15, signed: true, pixels: high.buffer })).data)).toEqual([-1, -2048, 2047, 5]);
  });

  it('decodes every frame of a multi-frame image', () => {
    const frames = Uint16Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const p = decodePixelData(image({ rows: 2, cols: 2, bits: 16, frames: 2, pixels: frames.buffer }));
    expect(p.frames).toBe(2);
    expect(Array.from(p.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('refuses pixel data it cannot decode with PIXEL_DATA_UNSUPPORTED', () => {
    const px = new Uint16Array(4).buffer;
    expect(caughtSync(() => decodePixelData(image({ rows: 2, cols: 2, bits: 16, pixels: new Uint16Array(3).buffer }))).code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(caughtSync(() => decodePixelData(image({ rows: 2, cols: 2, bits: 12, pixels: px }))).code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(caughtSync(() => decodePixelData(image({ rows: 2, cols: 2, bits: 16, stored: 17, pixels: px }))).code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(caughtSync(() => decodePixelData(makeFile({ extra: { '7FE00010': undefined } }))).code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(caughtSync(() => decodePixelData(makeFile({ extra: { '00280010': undefined } }))).code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(caughtSync(() => decodePixelData(makeFile({ transferSyntax: '1.2.840.10008.1.2.4.50' }))).code).toBe(DicomErrors.TRANSFER_SYNTAX_UNSUPPORTED.code);
  });

  it.each([
    ['Number of Frames', '00280008', 'IS', -1],
    ['Number of Frames', '00280008', 'IS', 0],
    ['Number of Frames', '00280008', 'IS', 1.5],
    ['Samples per Pixel', '00280002', 'US', 0],
  ])('refuses %s (%s) = %s with PIXEL_DATA_UNSUPPORTED, not a RangeError', (name, tag, vr, value) => {
    const e = caughtSync(() => decodePixelData(makeFile({ extra: { [tag]: { vr, Value: [value] } } }), 'img.dcm'));
    expect(e).toBeInstanceOf(CohortError);
    expect(e.code).toBe(DicomErrors.PIXEL_DATA_UNSUPPORTED.code);
    expect(e.message).toBe(`img.dcm: ${name} (${tag.slice(0, 4)},${tag.slice(4)}) is not a positive integer`);
  });
});
