/**
 * What may stand in an audit record's details: sizes, counts, flags, codes, hashes and
 * consortium ids. Anything else (free text such as an error message, nested objects) is
 * replaced by its SHA-256 and byte length, so that a record never carries a value it was
 * not designed to carry, while a copy of the original can still be matched against it.
 */
import { createHash } from 'node:crypto';
import type { AuditDetailValue } from './record.ts';

/** Ids, codes, versions and hex hashes: one token, no spaces, at most 128 characters. */
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

const isToken = (v: unknown): v is string => typeof v === 'string' && TOKEN.test(v);

/** Maps arbitrary event details to audit details (see the module comment for the rule). */
export function safeDetails(detail: Readonly<Record<string, unknown>>): Record<string, AuditDetailValue> {
  const out: Record<string, AuditDetailValue> = {};
  for (const [key, value] of Object.entries(detail)) {
    if (value === undefined) continue;
    if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || isToken(value)) {
      out[key] = value;
    } else if (Array.isArray(value) && value.length <= 64 && value.every(isToken)) {
      out[key] = value;
    } else {
      const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value), 'utf8');
      out[`${key}Sha256`] = createHash('sha256').update(bytes).digest('hex');
      out[`${key}Bytes`] = bytes.length;
    }
  }
  return out;
}
