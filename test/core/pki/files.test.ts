/**
 * replaceFile (core/pki/files.ts): atomic and durable replacement of key material and sealed
 * state. What a test can show: the content is replaced whole, with the mode asked for, no
 * temporary sibling is left behind (also when the write fails), and the fsyncs it makes (the
 * file before the rename, the directory after) complete. That the content survives a power loss
 * holds by construction of those fsyncs; no test can pull the power.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OWNER_ONLY_FILE, PUBLIC_FILE, replaceFile } from '../../../core/pki/files.ts';

describe('replaceFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates, then replaces a file whole with the mode asked for, leaving no temporary sibling', () => {
    const path = join(dir, 'state.bin');
    replaceFile(path, Buffer.from([1, 2, 3]), OWNER_ONLY_FILE);
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(statSync(path).mode & 0o777).toBe(OWNER_ONLY_FILE);
    const big = Buffer.alloc(1 << 20, 7);
    replaceFile(path, big, PUBLIC_FILE);
    expect(readFileSync(path).equals(big)).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(PUBLIC_FILE);
    replaceFile(path, 'text\n', OWNER_ONLY_FILE);
    expect(readFileSync(path, 'utf8')).toBe('text\n');
    expect(readdirSync(dir)).toEqual(['state.bin']);
  });

  it('removes its temporary file when the replacement fails (the rename: the path is a directory)', () => {
    const sub = mkdtempSync(join(dir, 'fail-'));
    const path = join(sub, 'occupied');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'old');
    expect(() => replaceFile(path, 'new', OWNER_ONLY_FILE)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EISDIR|ENOTEMPTY|EEXIST)$/) }));
    expect(readdirSync(sub)).toEqual(['occupied']);
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('old');
  });
});
