/** Test helper: finding key material in bytes, however it was encoded. */
/** Whether `bytes` hold `secret` or any aligned 48-byte window of it, raw, base64 or hex. */
export function holdsKeyBytes(bytes: Buffer, secret: Buffer): boolean {
  const text = bytes.toString('latin1');
  for (let at = 0; at + 48 <= secret.byteLength; at += 48) {
    const w = secret.subarray(at, at + 48);
    if (bytes.includes(w) || text.includes(w.toString('base64')) || text.includes(w.toString('hex'))) return true;
  }
  return false;
}
