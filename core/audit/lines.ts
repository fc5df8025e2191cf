/**
 * Line files: read a JSON-lines file as exact byte lines, telling a torn last line (an
 * append cut off before its newline) from the complete ones; append durably.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface LineFile {
  /** Complete lines, each without its newline. */
  readonly lines: Buffer[];
  /** Bytes after the last newline, when the file does not end with one. */
  readonly torn: { readonly offset: number; readonly bytes: Buffer } | null;
}

/** Reads `path` (absent reads as empty). */
export function readLineFile(path: string): LineFile {
  const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
    lines.push(data.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, torn: start < data.length ? { offset: start, bytes: data.subarray(start) } : null };
}

/**
 * The file calls an append makes. A seam for tests, which replace one call to make it fail
 * for real (a thrown EIO or ENOSPC, a short write); production code never changes it.
 */
export const appendIo = { writeSync, fsyncSync, ftruncateSync, fstatSync };

/** An append failed and the file could not be cut back to where it began: the writer must not go on. */
export class AppendRollbackError extends Error {}

/**
 * Writes all of `bytes` at the end of the open file (opened for append) and fsyncs it. On
 * any error (a failed or short write, a failed fsync) the file is cut back to the size it
 * had before, and fsynced, so that a retry does not leave a half or duplicate line behind;
 * the error is rethrown. When the cut itself fails, throws AppendRollbackError (the
 * caller must stop writing until the file is reopened and checked).
 */
export function appendDurably(fd: number, bytes: Buffer): void {
  const before = appendIo.fstatSync(fd).size;
  try {
    let written = 0;
    while (written < bytes.length) written += appendIo.writeSync(fd, bytes, written, bytes.length - written);
    appendIo.fsyncSync(fd);
  } catch (e) {
    try {
      appendIo.ftruncateSync(fd, before);
      appendIo.fsyncSync(fd);
    } catch (rollback) {
      throw new AppendRollbackError(`append failed (${(e as Error).message}) and the file could not be cut back to ${before} bytes (${(rollback as Error).message})`, { cause: e });
    }
    throw e;
  }
}

/** Makes a new directory entry durable (POSIX needs the directory fsynced too). */
export function fsyncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the file's own fsync still holds its bytes.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
