/**
 * A site's update chunks, appended to a file as they arrive, so the coordinator's memory
 * holds one chunk at a time however many sites upload at once. Committed into the running
 * sums only when the whole stream arrived and validated; discarded otherwise.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { UpdateSource } from '../engine/run-engine.ts';

export class UpdateSpool {
  private readonly path: string;
  private fd: number;
  private readonly extents: Array<{ offset: number; length: number }> = [];
  private size = 0;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, `${randomUUID()}.spool`);
    this.fd = openSync(this.path, 'w+', 0o600);
  }

  get chunkCount(): number {
    return this.extents.length;
  }

  get bytes(): number {
    return this.size;
  }

  append(data: Uint8Array): void {
    writeSync(this.fd, data, 0, data.byteLength, this.size);
    this.extents.push({ offset: this.size, length: data.byteLength });
    this.size += data.byteLength;
  }

  source(trainLoss: number): UpdateSource {
    return {
      chunkCount: this.extents.length,
      bytes: this.size,
      trainLoss,
      readChunk: (index) => {
        const extent = this.extents[index];
        if (!extent) throw new RangeError(`spool has no chunk ${index}`);
        const buf = Buffer.alloc(extent.length);
        readSync(this.fd, buf, 0, extent.length, extent.offset);
        return buf;
      },
    };
  }

  discard(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
    rmSync(this.path, { force: true });
  }
}
