/**
 * The coordinator's restatements (core/secure-agg/masked-run.ts) of the masking protocol's
 * threshold rules and upload digest agree with the library's own, for every cohort size and
 * for uploads of several shapes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkDigest, isMaskedRun, maskingOf, maskThreshold } from '../../../core/secure-agg/masked-run.ts';
import { defaultThreshold, majorityThreshold } from '../../../core/secure-agg/masking/protocol.ts';
import { uploadDigest } from '../../../core/secure-agg/masking/receipts.ts';

describe('masked-run', () => {
  it('gives the protocol\'s thresholds for every cohort size 3..255', () => {
    for (let n = 3; n <= 255; n++) {
      expect(maskThreshold(n, { threshold: 'default' })).toBe(defaultThreshold(n));
      expect(maskThreshold(n, { threshold: 'majority' })).toBe(majorityThreshold(n));
    }
    // Published values: 4 sites need 3 shares either way; 3 sites need all 3 by default, 2 by majority.
    expect([maskThreshold(3, { threshold: 'default' }), maskThreshold(3, { threshold: 'majority' }), maskThreshold(4, { threshold: 'default' })]).toEqual([3, 2, 3]);
  });

  it('digests an upload exactly as the sites\' receipts do', () => {
    for (const sizes of [[0], [1], [5, 0, 7], [4096, 4096, 12]]) {
      const chunks = sizes.map((n) => randomBytes(n));
      const d = new ChunkDigest();
      for (const c of chunks) d.update(c);
      expect(d.digest()).toBe(uploadDigest(chunks).chunksSha256);
    }
  });

  it('masks only BFV runs whose spec asks for it', () => {
    expect(isMaskedRun({ masking: { threshold: 'majority' } }, 'bfv')).toBe(true);
    expect(isMaskedRun({ masking: { threshold: 'majority' } }, 'plain')).toBe(false);
    expect(isMaskedRun({}, 'bfv')).toBe(false);
    expect(maskingOf({ masking: {} })).toEqual({ threshold: 'default' });
  });
});
