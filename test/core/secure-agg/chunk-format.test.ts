import { describe, expect, it } from 'vitest';
import { SecureAggErrors, UpdateErrors } from '../../../core/errors/index.ts';
import { checkChunkHeader, checkSingleUpdate, readChunk, writeChunk } from '../../../core/secure-agg/chunk-format.ts';

const paramsId = 'ab'.repeat(32);
const header = { ciphertextCount: 2, index: 5, summands: 3, paramsId };

describe('BFV chunk format', () => {
  it('round-trips the header and ciphertext bytes', () => {
    const bytes = writeChunk(header, [Uint8Array.of(1, 2, 3), Uint8Array.of(9)]);
    expect(bytes.byteLength).toBe(48 + 4 + 3 + 4 + 1);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('hex')).toBe('4342465601000200'); // "CBFV", v1, 0, count 2
    const parsed = readChunk(bytes, 'chunk 5');
    expect(parsed.header).toEqual(header);
    expect(parsed.ciphertexts.map((c) => Array.from(c))).toEqual([[1, 2, 3], [9]]);
  });

  it.each([
    ['a length prefix past the end', (b: Uint8Array) => b.subarray(0, b.byteLength - 1), 'chunk 5: ciphertext 1 claims 1 bytes, 0 remain'],
    ['trailing bytes', (b: Uint8Array) => Uint8Array.from([...b, 0]), 'chunk 5: 1 bytes follow the last ciphertext'],
    ['another codec version', (b: Uint8Array) => Uint8Array.from(b, (x, i) => (i === 4 ? 2 : x)), 'chunk 5: codec version 2, expected 1'],
    ['a short header', (b: Uint8Array) => b.subarray(0, 47), 'chunk 5: 47 bytes is shorter than the 48-byte chunk header'],
  ])('refuses %s as malformed', (_name, mangle, message) => {
    const bytes = mangle(writeChunk(header, [Uint8Array.of(1, 2, 3), Uint8Array.of(9)]));
    expect(() => readChunk(bytes, 'chunk 5')).toThrowError(expect.objectContaining({ code: UpdateErrors.CHUNK_MALFORMED.code, message }));
  });

  it('checks the header against the chunk position and run', () => {
    const expected = { index: 5, paramsId, ciphertextCount: 2, maxSummands: 3 };
    expect(() => checkChunkHeader(header, expected, 'c')).not.toThrow();
    expect(() => checkChunkHeader({ ...header, paramsId: 'cd'.repeat(32) }, expected, 'c')).toThrowError(expect.objectContaining({ code: SecureAggErrors.PARAMS_MISMATCH.code }));
    expect(() => checkChunkHeader(header, { ...expected, index: 4 }, 'c')).toThrowError(expect.objectContaining({ code: UpdateErrors.CHUNK_INDEX.code }));
    expect(() => checkChunkHeader(header, { ...expected, ciphertextCount: 1 }, 'c')).toThrowError(expect.objectContaining({ code: UpdateErrors.CHUNK_MALFORMED.code }));
    expect(() => checkChunkHeader(header, { ...expected, maxSummands: 2 }, 'c')).toThrowError(expect.objectContaining({ code: SecureAggErrors.TOO_MANY_SUMMANDS.code }));
    expect(() => checkChunkHeader({ ...header, summands: 0 }, expected, 'c')).toThrowError(expect.objectContaining({ code: UpdateErrors.CHUNK_MALFORMED.code }));
  });

  it('takes an upload only as exactly one update', () => {
    expect(() => checkSingleUpdate({ ...header, summands: 1 }, 'chunk 5')).not.toThrow();
    for (const summands of [0, 2, 3, 0xffffffff]) {
      expect(() => checkSingleUpdate({ ...header, summands }, 'chunk 5')).toThrowError(
        expect.objectContaining({ code: UpdateErrors.NOT_SINGLE.code, message: `chunk 5: says it sums ${summands} updates; an upload carries exactly one`, details: { where: 'chunk 5', summands } }),
      );
    }
  });
});
