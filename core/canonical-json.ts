/**
 * JSON with object keys sorted and undefined members left out, so that two values compare and
 * hash by content, not by key order (audit records against events, a site's sealed codec
 * descriptor against the one a task names). The privacy ledger keeps its own form, which also
 * writes non-finite numbers as strings (site-agent/privacy/ledger-chain.ts).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
