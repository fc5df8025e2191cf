/**
 * The digest a receipt signs: SHA-256 over an upload's chunks. Kept apart from receipts.ts so
 * that the coordinator checks uploads with this same code without importing anything that
 * reaches the HE key's modules.
 */
import { createHash } from 'node:crypto';

const DIGEST_CONTEXT = 'cohort-secagg-upload-v1';

/** SHA-256 over an upload's chunks in order, each framed by its index and length; streams. */
export class UploadDigest {
  private readonly hash = createHash('sha256').update(`${DIGEST_CONTEXT}\0`);
  private count = 0;

  update(chunk: Uint8Array): this {
    const frame = Buffer.alloc(8);
    frame.writeUInt32BE(this.count, 0);
    frame.writeUInt32BE(chunk.byteLength, 4);
    this.hash.update(frame).update(chunk);
    this.count++;
    return this;
  }

  get chunkCount(): number {
    return this.count;
  }

  /** Hex digest; the digest cannot be updated afterwards. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** The digest of a whole upload. */
export const uploadDigest = (chunks: Iterable<Uint8Array>): { chunkCount: number; chunksSha256: string } => {
  const d = new UploadDigest();
  for (const c of chunks) d.update(c);
  return { chunkCount: d.chunkCount, chunksSha256: d.digest() };
};
