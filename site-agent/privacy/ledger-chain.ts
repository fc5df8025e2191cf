/**
 * The privacy ledger's hash chain, pure: each entry's hash is SHA-256 over the
 * canonical JSON of the entry without `hash` (prevHash included), so changing,
 * removing or reordering an entry breaks the chain at that point; the head (count and
 * last hash) catches a removed last entry. Against an outsider the AES-GCM seal of the
 * file already does that; the chain also catches a key holder's partial edit, and
 * names the first entry at fault.
 */
import { createHash } from 'node:crypto';
import { CohortError, PrivacyErrors } from '../../core/errors/index.ts';

/**
 * What happened: the site accepted a run (reserving its planned spend), finished a round of it,
 * or stopped it (out of budget, an early end, or the run finished, was cancelled or failed:
 * the stop releases what the reservation held beyond what was spent).
 */
export const LEDGER_EVENTS = ['accept', 'round', 'stop'] as const;
export type LedgerEvent = (typeof LEDGER_EVENTS)[number];

/**
 * One ledger entry. The numbers are the run's CUMULATIVE totals through this entry at
 * this site (an accept records zeros: nothing spent yet). Epsilons may be Infinity (no DP).
 */
export interface LedgerEntry {
  readonly seq: number;
  /** ISO 8601 time of the append. */
  readonly at: string;
  readonly runId: string;
  /** The last round completed; 0 at accept. */
  readonly round: number;
  readonly event: LedgerEvent;
  readonly recordEpsilon: number;
  readonly siteEpsilon: number;
  /** min(recordEpsilon, siteEpsilon). */
  readonly epsilon: number;
  readonly delta: number;
  /** DP-SGD steps taken in the run so far. */
  readonly steps: number;
  /**
   * What the run holds against the site's cap through this entry: at accept its planned
   * spend; on each round the larger of that and what it has spent; at stop what it spent
   * (the rest released). Absent for runs accepted before reservations (they hold their spend).
   */
  readonly reservedEpsilon?: number;
  readonly reservedDelta?: number;
  /** The previous entry's hash; GENESIS_HASH for the first. */
  readonly prevHash: string;
  readonly hash: string;
}

/** The ledger's last entry count and hash, stored beside the entries. */
export interface LedgerHead {
  readonly count: number;
  readonly hash: string;
}

/** prevHash of the first entry, and the head hash of an empty ledger. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON has no Infinity: non-finite numbers are written as strings ("Infinity"). */
export function encodeNumber(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

function canonicalJson(value: unknown): string {
  if (typeof value === 'number') return JSON.stringify(encodeNumber(value));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) over the canonical JSON of the entry without `hash`: sorted keys, no spaces, Infinity as "Infinity". */
export function entryHash(entry: Omit<LedgerEntry, 'hash'> | LedgerEntry): string {
  const rest: Record<string, unknown> = { ...entry };
  delete rest.hash;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

function tampered(index: number, what: string, source: string): CohortError {
  return new CohortError(PrivacyErrors.LEDGER_TAMPERED, `${source}: entry ${index} ${what}; the ledger was modified, or entries removed or reordered`, {
    details: { source, index, what },
  });
}

/**
 * Checks the chain and the head; returns nothing when intact.
 * @throws CohortError COHORT_E_PRIVACY_LEDGER_TAMPERED naming the first entry at fault.
 */
export function verifyChain(entries: readonly LedgerEntry[], head: LedgerHead, source: string): void {
  let prev = GENESIS_HASH;
  entries.forEach((e, i) => {
    if (e.seq !== i) throw tampered(i, `has sequence number ${e.seq}, expected ${i}`, source);
    if (e.prevHash !== prev) throw tampered(i, 'does not link to the entry before it (prevHash mismatch)', source);
    if (entryHash(e) !== e.hash) throw tampered(i, 'does not match its hash (its content changed)', source);
    prev = e.hash;
  });
  if (head.count !== entries.length) {
    throw tampered(Math.min(head.count, entries.length), `disagrees with the head: the head records ${head.count} entries, the file holds ${entries.length}`, source);
  }
  if (head.hash !== prev) throw tampered(Math.max(0, entries.length - 1), 'does not match the head hash', source);
}
