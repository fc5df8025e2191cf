/**
 * The thresholds and the upload digest the coordinator and the sites share
 * (core/secure-agg/masking/thresholds.ts, upload-digest.ts), against definitions written out
 * here: the split-attack bound for the default threshold, and the framed SHA-256 for the digest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecureAggErrors, SpecErrors } from '../../../core/errors/index.ts';
import { isMaskedRun, maskedCohortRefusal, maskedDescriptorRefusal, maskingOf, maskThreshold, UploadDigest } from '../../../core/secure-agg/masked-run.ts';

/** Smallest T with T > n / 2 (a strict majority). */
const bruteMajority = (n: number): number => {
  let t = 1;
  while (2 * t <= n) t++;
  return t;
};
/** Smallest majority T, at most n, with 2(T - 1) > n - 1: the coordinator plus one colluder cannot collect both share kinds. */
const bruteDefault = (n: number): number => {
  let t = bruteMajority(n);
  while (t < n && 2 * (t - 1) <= n - 1) t++;
  return t;
};

describe('masked-run', () => {
  it('gives the split-attack-safe default and the strict majority for every cohort size 3..255', () => {
    for (let n = 3; n <= 255; n++) {
      expect(maskThreshold(n, { threshold: 'default' })).toBe(bruteDefault(n));
      expect(maskThreshold(n, { threshold: 'majority' })).toBe(bruteMajority(n));
    }
    // Published values: 4 sites need 3 shares either way; 3 sites need all 3 by default, 2 by majority.
    expect([maskThreshold(3, { threshold: 'default' }), maskThreshold(3, { threshold: 'majority' }), maskThreshold(4, { threshold: 'default' })]).toEqual([3, 2, 3]);
  });

  it('digests an upload as SHA-256 over the context and each chunk framed by its index and length', () => {
    for (const sizes of [[0], [1], [5, 0, 7], [4096, 4096, 12]]) {
      const chunks = sizes.map((n) => randomBytes(n));
      const d = new UploadDigest();
      for (const c of chunks) d.update(c);
      const direct = createHash('sha256').update('cohort-secagg-upload-v1\0');
      chunks.forEach((c, i) => {
        const frame = Buffer.alloc(8);
        frame.writeUInt32BE(i, 0);
        frame.writeUInt32BE(c.byteLength, 4);
        direct.update(frame).update(c);
      });
      expect(d.digest()).toBe(direct.digest('hex'));
    }
  });

  it('masks every BFV run unless its spec opts out, whatever cohort size the codec claims; never a plain run', () => {
    const bfv = (maxSummands: number) => ({ kind: 'bfv', maxSummands });
    // On by default: absent or {} masks with the default threshold.
    expect(isMaskedRun({}, bfv(3))).toBe(true);
    expect(isMaskedRun({ masking: {} }, bfv(10))).toBe(true);
    expect(isMaskedRun({ masking: { threshold: 'majority' } }, bfv(4))).toBe(true);
    // Opted out explicitly.
    expect(isMaskedRun({ masking: false }, bfv(3))).toBe(false);
    // A codec claiming two sites (the coordinator sizes it) does not unmask the run: the spec decides.
    expect(isMaskedRun({}, bfv(2))).toBe(true);
    expect(maskedDescriptorRefusal({}, bfv(2))?.code).toBe(SecureAggErrors.PARAMS_MISMATCH.code);
    expect(maskedDescriptorRefusal({}, bfv(3))).toBeUndefined();
    expect(maskedDescriptorRefusal({ masking: false }, bfv(2))).toBeUndefined();
    // Plaintext runs and a codec still pending are never masked.
    expect(isMaskedRun({ masking: { threshold: 'majority' } }, { kind: 'plain' })).toBe(false);
    expect(isMaskedRun({}, { kind: 'bfv-pending' })).toBe(false);
    expect(maskingOf({ masking: {} })).toEqual({ threshold: 'default' });
    expect(maskingOf({})).toEqual({ threshold: 'default' });
    expect(maskingOf({ masking: { threshold: 'majority' } })).toEqual({ threshold: 'majority' });
    expect(maskingOf({ masking: false })).toBeUndefined();
  });

  it('refuses a masked spec with minSites below 3, with a code naming the two ways out', () => {
    const refused = maskedCohortRefusal({ minSites: 2 });
    expect(refused?.code).toBe(SpecErrors.MASKED_MIN_SITES.code);
    expect(refused?.message).toContain('set minSites to 3 or more, or masking: false');
    expect(maskedCohortRefusal({ minSites: 1, masking: { threshold: 'default' } })?.code).toBe(SpecErrors.MASKED_MIN_SITES.code);
    expect(maskedCohortRefusal({ minSites: 3 })).toBeUndefined();
    expect(maskedCohortRefusal({ minSites: 2, masking: false })).toBeUndefined();
  });
});
