/**
 * Line files: read a JSON-lines file as exact byte lines, telling a torn last line (an
 * append cut off before its newline) from the complete ones; append durably.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
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

/** Writes all of `bytes` at the end of the open file and fsyncs it. */
export function appendDurably(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
  fsyncSync(fd);
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
