import { describe, expect, it } from 'vitest';
import { DataErrors } from '../../../core/errors/index.ts';
import { encodeRow, encodeRows, type EncodingSpec } from '../../../site-agent/data/encode-rows.ts';
import { caught } from './helpers.ts';

const spec: EncodingSpec = {
  features: [
    { name: 'age', type: 'numeric', preprocess: 'standardize' },
    { name: 'cp', type: 'categorical', categories: [1, 2, 3, 4], preprocess: 'one-hot', dropFirst: true },
    { name: 'smoker', type: 'categorical', categories: ['no', 'yes'], preprocess: 'one-hot', dropFirst: false },
  ],
  label: { name: 'disease', type: 'binary', positive: [1, 2] },
};
const context = { file: 'site.csv', columns: { age: 'AGE_YRS', cp: 'CHEST_PAIN', smoker: 'SMOKER', disease: 'DX' } };

describe('encodeRow', () => {
  it('encodes numeric, one-hot with and without the first level, and the label, in design-column order', () => {
    const row = { line: 2, cells: { age: '63', cp: '3.0', smoker: 'yes', disease: '2' } };

    expect(encodeRow(spec, row, context)).toEqual({ x: [63, 0, 1, 0, 0, 1], y: 1 });
  });

  it('encodes the first level of a dropFirst feature as all zeros and a non-positive label as 0', () => {
    const row = { line: 3, cells: { age: '41.5', cp: '1', smoker: 'no', disease: '0' } };

    expect(encodeRow(spec, row, context)).toEqual({ x: [41.5, 0, 0, 0, 1, 0], y: 0 });
  });

  it('refuses a non-numeric cell naming file, line and local column, never the value', async () => {
    const row = { line: 7, cells: { age: 'sixty-three', cp: '1', smoker: 'no', disease: '0' } };

    const error = await caught(() => encodeRow(spec, row, context));

    expect(error.code).toBe(DataErrors.NOT_NUMERIC.code);
    expect(error.details).toEqual({ file: 'site.csv', row: 7, column: 'AGE_YRS', feature: 'age' });
    expect(error.message).toContain('site.csv line 7, column "AGE_YRS" (feature "age")');
    expect(error.message).not.toContain('sixty-three');
  });

  it('refuses an unknown category naming the allowed levels, never the value', async () => {
    const row = { line: 4, cells: { age: '50', cp: 'atypical', smoker: 'no', disease: '0' } };

    const error = await caught(() => encodeRow(spec, row, context));

    expect(error.code).toBe(DataErrors.UNKNOWN_CATEGORY.code);
    expect(error.details).toEqual({ file: 'site.csv', row: 4, column: 'CHEST_PAIN', feature: 'cp', allowed: ['1', '2', '3', '4'] });
    expect(error.message).toContain('expected one of 1, 2, 3, 4');
    expect(error.message).not.toContain('atypical');
  });
});

describe('encodeRows', () => {
  it('builds a row-major Float32 matrix with labels', () => {
    const rows = [
      { line: 2, cells: { age: '63', cp: '4', smoker: 'no', disease: '1' } },
      { line: 3, cells: { age: '40', cp: '2', smoker: 'yes', disease: '3' } },
    ];

    const m = encodeRows(spec, rows);

    expect(m.rows).toBe(2);
    expect(m.cols).toBe(6);
    expect(Array.from(m.x)).toEqual([63, 0, 0, 1, 1, 0, 40, 1, 0, 0, 0, 1]);
    expect(Array.from(m.y)).toEqual([1, 0]);
  });
});

describe('encodeRow with an image feature', () => {
  it('refuses it: a CSV cell cannot hold an image', async () => {
    const imaging: EncodingSpec = {
      features: [{ name: 'image', type: 'image', height: 4, width: 4, channels: 1, normalization: 'none', maxValue: 255 }],
      label: { name: 'y', type: 'binary', positive: [1] },
    };

    const e = await caught(() => encodeRow(imaging, { line: 2, cells: { image: '0', y: '1' } }, { file: 'site.csv' }));

    expect(e.code).toBe(DataErrors.IMAGE_IN_TABLE.code);
    expect(e.message).toBe('feature "image" is an image; site.csv cannot supply it');
  });
});
