/** Test helper: finding key material in bytes, however it was encoded. */
/**
 * Whether `bytes` hold `secret` or any aligned 48-byte window of it (the whole secret when it
 * is shorter), raw, base64 or hex.
 */
export function holdsKeyBytes(bytes: Buffer, secret: Buffer): boolean {
  const text = bytes.toString('latin1');
  const size = Math.min(48, secret.byteLength);
  if (size === 0) throw new RangeError('holdsKeyBytes: empty secret');
  for (let at = 0; at + size <= secret.byteLength; at += size) {
    const w = secret.subarray(at, at + size);
    if (bytes.includes(w) || text.includes(w.toString('base64')) || text.includes(w.toString('hex'))) return true;
  }
  return false;
}
