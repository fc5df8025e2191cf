/** Test helper: finding key material in bytes, however it was encoded. */
/**
 * Whether `bytes` hold `secret` or any aligned 48-byte window of it (the whole secret when it
 * is shorter), raw, base64, base64url or hex (either case).
 */
export function holdsKeyBytes(bytes: Buffer, secret: Buffer): boolean {
  const text = bytes.toString('latin1');
  const lower = text.toLowerCase();
  const size = Math.min(48, secret.byteLength);
  if (size === 0) throw new RangeError('holdsKeyBytes: empty secret');
  for (let at = 0; at + size <= secret.byteLength; at += size) {
    const w = secret.subarray(at, at + size);
    if (bytes.includes(w) || text.includes(w.toString('base64')) || text.includes(w.toString('base64url')) || lower.includes(w.toString('hex'))) return true;
  }
  return false;
}

/**
 * The operator's forgery: its own BFV secret key envelope (same SEAL parameters) relabelled with
 * the consortium key's public keyId and paramsId (envelope bytes 8..40 and 40..56), so that a
 * site holding it encrypts runs of the consortium key under a key the operator knows.
 */
export function relabelledKey(secretKey: Uint8Array, names: { readonly keyId: string; readonly paramsId: string }): Buffer {
  const out = Buffer.from(secretKey);
  Buffer.from(names.paramsId, 'hex').copy(out, 8);
  Buffer.from(names.keyId, 'hex').copy(out, 40);
  return out;
}
