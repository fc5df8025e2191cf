import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetFingerprint } from '../../../site-agent/data/fingerprint.ts';
import { HeKeyStore } from '../../../site-agent/he-keys.ts';

const m = (x: number[], y: number[]) => ({ x: Float32Array.from(x), y: Float32Array.from(y), rows: y.length, cols: x.length / y.length });
const KEY = Buffer.alloc(32, 7);

/** The canonical bytes the fingerprint covers, written out by hand. */
function canonical(update: (b: Buffer | string) => unknown): void {
  update('cohort/dataset-fingerprint/v1\0');
  update('{"columns":["age","sex"],"rows":1,"cols":2}\0');
  update(Buffer.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0])); // 1.0, -2.0
  update('\0');
  update(Buffer.from([0x00, 0x00, 0x80, 0x3f])); // label 1.0
}

describe('datasetFingerprint', () => {
  it('is HMAC-SHA256 under the site key of the domain tag, the layout JSON and the little-endian float32 values', () => {
    const hmac = createHmac('sha256', KEY);
    canonical((b) => hmac.update(b));
    expect(datasetFingerprint(m([1, -2], [1]), ['age', 'sex'], KEY)).toBe(hmac.digest('hex'));
    expect(() => datasetFingerprint(m([1, -2], [1]), ['age', 'sex'], Buffer.alloc(16))).toThrow(RangeError);
  });

  it('changes with one value, one label, a column name or the key, and treats -0 as 0', () => {
    const base = datasetFingerprint(m([1, 0, 3, 4], [0, 1]), ['a', 'b'], KEY);

    expect(datasetFingerprint(m([1, 0, 3, 4.5], [0, 1]), ['a', 'b'], KEY)).not.toBe(base);
    expect(datasetFingerprint(m([1, 0, 3, 4], [1, 1]), ['a', 'b'], KEY)).not.toBe(base);
    expect(datasetFingerprint(m([1, 0, 3, 4], [0, 1]), ['a', 'c'], KEY)).not.toBe(base);
    expect(datasetFingerprint(m([1, 0, 3, 4], [0, 1]), ['a', 'b'], Buffer.alloc(32, 8))).not.toBe(base);
    expect(datasetFingerprint(m([1, -0, 3, 4], [0, 1]), ['a', 'b'], KEY)).toBe(base);
  });

  it('covers a survival matrix\'s times, as little-endian float64 after a NUL byte', () => {
    const survival = { ...m([1, -2], [1]), time: Float64Array.from([2.5]) };
    const hmac = createHmac('sha256', KEY);
    canonical((b) => hmac.update(b));
    hmac.update('\0').update(Buffer.from([0, 0, 0, 0, 0, 0, 0x04, 0x40])); // 2.5

    expect(datasetFingerprint(survival, ['age', 'sex'], KEY)).toBe(hmac.digest('hex'));
    expect(datasetFingerprint({ ...survival, time: Float64Array.from([2.6]) }, ['age', 'sex'], KEY)).not.toBe(datasetFingerprint(survival, ['age', 'sex'], KEY));
  });

  it('stops the guessing attack an unkeyed hash allows: knowing every row but one cell, try each value', () => {
    // Three patients; the attacker knows everything but patient 3's age (one of 18..100).
    const rows = (age: number): number[] => [54, 1, 61, 0, age, 1];
    const labels = [1, 0, 1];
    const trueAge = 73;
    const cols = ['age', 'sex'];
    // The fingerprint as it was before it was keyed: plain SHA-256 over the same canonical bytes.
    const unkeyed = (x: number[]): string => {
      const f32 = (v: number[]): Buffer => Buffer.from(Float32Array.from(v).buffer);
      return createHash('sha256')
        .update('cohort/dataset-fingerprint/v1\0')
        .update(`${JSON.stringify({ columns: cols, rows: 3, cols: 2 })}\0`)
        .update(f32(x))
        .update('\0')
        .update(f32(labels))
        .digest('hex');
    };
    const ages = Array.from({ length: 83 }, (_, i) => 18 + i);

    // Without a key the published hash gives the age away.
    const published = unkeyed(rows(trueAge));
    expect(ages.filter((a) => unkeyed(rows(a)) === published)).toEqual([trueAge]);

    // Keyed with a secret only the site holds, no guess matches: the attacker can only hash with keys it has.
    const siteKey = randomBytes(32);
    const keyed = datasetFingerprint(m(rows(trueAge), labels), cols, siteKey);
    const attackerKey = randomBytes(32);
    expect(ages.filter((a) => datasetFingerprint(m(rows(a), labels), cols, attackerKey) === keyed)).toEqual([]);
    // The site itself still reproduces it, which is what provenance needs.
    expect(datasetFingerprint(m(rows(trueAge), labels), cols, siteKey)).toBe(keyed);
  });

  it("derives the site's fingerprint key from its at-rest key: stable for the site, different for another", () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-fp-'));
    try {
      const atRest = randomBytes(32);
      const a = new HeKeyStore(join(dir, 'a'), atRest).datasetFingerprintKey();
      expect(a.length).toBe(32);
      expect(new HeKeyStore(join(dir, 'a'), atRest).datasetFingerprintKey().equals(a)).toBe(true);
      expect(new HeKeyStore(join(dir, 'b'), randomBytes(32)).datasetFingerprintKey().equals(a)).toBe(false);
      expect(a.equals(atRest)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
