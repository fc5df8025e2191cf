import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { datasetFingerprint } from '../../../site-agent/data/fingerprint.ts';

const m = (x: number[], y: number[]) => ({ x: Float32Array.from(x), y: Float32Array.from(y), rows: y.length, cols: x.length / y.length });

describe('datasetFingerprint', () => {
  it('is SHA-256 of the domain tag, the layout JSON and the little-endian float32 values', () => {
    const expected = createHash('sha256')
      .update('cohort/dataset-fingerprint/v1\0')
      .update('{"columns":["age","sex"],"rows":1,"cols":2}\0')
      .update(Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0])) // 1.0, -2.0
      .update('\0')
      .update(Buffer.from([0x00, 0x00, 0x80, 0x3f])) // label 1.0
      .digest('hex');

    expect(datasetFingerprint(m([1, -2], [1]), ['age', 'sex'])).toBe(expected);
  });

  it('changes with one value, one label or a column name, and treats -0 as 0', () => {
    const base = datasetFingerprint(m([1, 0, 3, 4], [0, 1]), ['a', 'b']);

    expect(datasetFingerprint(m([1, 0, 3, 4.5], [0, 1]), ['a', 'b'])).not.toBe(base);
    expect(datasetFingerprint(m([1, 0, 3, 4], [1, 1]), ['a', 'b'])).not.toBe(base);
    expect(datasetFingerprint(m([1, 0, 3, 4], [0, 1]), ['a', 'c'])).not.toBe(base);
    expect(datasetFingerprint(m([1, -0, 3, 4], [0, 1]), ['a', 'b'])).toBe(base);
  });
});
