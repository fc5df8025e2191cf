/**
 * Encoded updates on disk, for the `bench:he` child processes: a file is a sequence of
 * chunks, each `u32 LE length | bytes`, read back one chunk at a time so a reader holds no
 * more than one chunk, as the coordinator does with a stream.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/** Writes `chunks` to `path` (replacing it) and returns the total chunk bytes. */
export function writeUploadFile(path: string, chunks: Iterable<Uint8Array>): number {
  const fd = openSync(path, 'w', 0o600);
  let bytes = 0;
  try {
    const head = Buffer.alloc(4);
    for (const chunk of chunks) {
      head.writeUInt32LE(chunk.byteLength, 0);
      writeSync(fd, head);
      writeSync(fd, chunk);
      bytes += chunk.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Yields the chunks of a file written by writeUploadFile, one at a time. */
export function* readUploadFile(path: string): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    let offset = 0;
    for (;;) {
      const got = readSync(fd, head, 0, 4, offset);
      if (got === 0) return;
      if (got !== 4) throw new Error(`${path}: truncated chunk header at byte ${offset}`);
      const length = head.readUInt32LE(0);
      const chunk = Buffer.alloc(length);
      if (readSync(fd, chunk, 0, length, offset + 4) !== length) throw new Error(`${path}: truncated chunk at byte ${offset}`);
      offset += 4 + length;
      yield chunk;
    }
  } finally {
    closeSync(fd);
  }
}
