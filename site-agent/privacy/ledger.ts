/**
 * The site's privacy ledger: what each run spent here, on the site's own disk. The
 * coordinator only ever sees what the site reports. One file, `<dir>/ledger.sealed`,
 * sealed with AES-256-GCM under the site's at-rest key (core/crypto/at-rest.ts), its
 * entries hash-chained (ledger-chain.ts). Every append rewrites the file atomically
 * (a sibling, then rename), so a crash leaves the old ledger or the new, never half.
 * One agent process per site writes it; the in-memory copy is the truth between writes.
 *
 * Not detected: replacing the whole file by an older sealed copy (a rollback). That
 * needs an anchor off this disk, such as the spend the site reported to the coordinator.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { readSealedFile, writeSealedFile } from '../../core/crypto/at-rest.ts';
import { CohortError, PrivacyErrors } from '../../core/errors/index.ts';
import { makePrivateDir } from '../../core/pki/files.ts';
import { sumSpends, type EpsilonDelta } from '../../core/privacy/run-budget.ts';
import { encodeNumber, entryHash, GENESIS_HASH, LEDGER_EVENTS, verifyChain, type LedgerEntry, type LedgerHead } from './ledger-chain.ts';
import { summarizeRuns } from './ledger-summary.ts';

/** The ledger's directory under a site's data directory: `<dataDir>/privacy`. */
export function privacyLedgerDir(dataDir: string): string {
  return join(dataDir, 'privacy');
}

/** The ledger's file name inside its directory. */
export const LEDGER_FILE = 'ledger.sealed';
/** Authenticated with the ciphertext: another sealed Cohort file cannot pass for the ledger. */
export const LEDGER_ASSOCIATED_DATA = 'cohort-privacy-ledger/v1';

/**
 * What the caller supplies for an append; seq, at and the hashes are the ledger's. The
 * reservation is given on the accept only (the run's planned spend); later entries derive it.
 */
export type LedgerAppend = Omit<LedgerEntry, 'seq' | 'at' | 'prevHash' | 'hash'>;

export interface LedgerOpenOptions {
  /** Verify the chain on open and throw when broken (default true). `cohort site privacy` opens with false to show a broken ledger. */
  readonly verify?: boolean;
  /** Clock for `at` (tests). */
  readonly now?: () => Date;
}

const epsilonField = z.union([z.number().nonnegative(), z.literal('Infinity')]);
const StoredEntrySchema = z
  .object({
    seq: z.number().int().nonnegative(),
    at: z.string(),
    runId: z.string(),
    round: z.number().int().nonnegative(),
    event: z.enum(LEDGER_EVENTS),
    recordEpsilon: epsilonField,
    siteEpsilon: epsilonField,
    epsilon: epsilonField,
    delta: z.number().min(0).max(1),
    steps: z.number().int().nonnegative(),
    reservedEpsilon: epsilonField.optional(),
    reservedDelta: z.number().min(0).max(1).optional(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .strict();
const StoredLedgerSchema = z
  .object({ version: z.literal(1), entries: z.array(StoredEntrySchema), head: z.object({ count: z.number().int().nonnegative(), hash: z.string() }).strict() })
  .strict();

const decodeNumber = (x: number | 'Infinity'): number => (x === 'Infinity' ? Infinity : x);

/**
 * The reservation an entry carries: the accept's as given; after a stop what was spent (the
 * rest released); otherwise the larger of the previous reservation and the spend. None for a
 * run accepted without one.
 */
function reservation(a: LedgerAppend, previous: LedgerEntry | undefined): Pick<LedgerEntry, 'reservedEpsilon' | 'reservedDelta'> {
  if (a.event === 'accept') return a.reservedEpsilon === undefined ? {} : { reservedEpsilon: a.reservedEpsilon, reservedDelta: a.reservedDelta ?? 0 };
  if (previous?.reservedEpsilon === undefined) return {};
  if (a.event === 'stop') return { reservedEpsilon: a.epsilon, reservedDelta: a.delta };
  return { reservedEpsilon: Math.max(previous.reservedEpsilon, a.epsilon), reservedDelta: Math.max(previous.reservedDelta ?? 0, a.delta) };
}

/** What a run holds against the cap as of its latest entry: its reservation, or what it spent when it has none. */
function committed(e: LedgerEntry): EpsilonDelta {
  return e.reservedEpsilon === undefined ? { epsilon: e.epsilon, delta: e.delta } : { epsilon: e.reservedEpsilon, delta: e.reservedDelta ?? e.delta };
}

function invalidAppend(runId: string, what: string): CohortError {
  return new CohortError(PrivacyErrors.LEDGER_ENTRY_INVALID, `privacy ledger append for run "${runId}": ${what}`, { details: { runId } });
}

const NUMBER_FIELDS = ['round', 'steps', 'recordEpsilon', 'siteEpsilon', 'epsilon', 'delta'] as const;

/** Checks an append against the ledger's rules and the run's previous entry. */
function checkAppend(a: LedgerAppend, previous: LedgerEntry | undefined): void {
  if (typeof a.runId !== 'string' || a.runId.length === 0) throw invalidAppend(String(a.runId), 'runId: expected a non-empty string');
  if (!LEDGER_EVENTS.includes(a.event)) throw invalidAppend(a.runId, `event: expected one of ${LEDGER_EVENTS.join(', ')}, got ${String(a.event)}`);
  for (const f of ['round', 'steps'] as const) {
    if (!Number.isSafeInteger(a[f]) || a[f] < 0) throw invalidAppend(a.runId, `${f}: expected a non-negative integer, got ${a[f]}`);
  }
  for (const f of ['recordEpsilon', 'siteEpsilon', 'epsilon'] as const) {
    if (typeof a[f] !== 'number' || !(a[f] >= 0)) throw invalidAppend(a.runId, `${f}: expected a number >= 0 or Infinity, got ${a[f]}`);
  }
  if (typeof a.delta !== 'number' || !(a.delta >= 0 && a.delta < 1)) throw invalidAppend(a.runId, `delta: expected a number in [0, 1), got ${a.delta}`);
  const reserving = a.reservedEpsilon !== undefined || a.reservedDelta !== undefined;
  if (reserving && a.event !== 'accept') throw invalidAppend(a.runId, 'a reservation is made at accept only; later entries derive it');
  if (reserving) {
    if (typeof a.reservedEpsilon !== 'number' || !(a.reservedEpsilon >= 0)) {
      throw invalidAppend(a.runId, `reservedEpsilon: expected a number >= 0 or Infinity, got ${a.reservedEpsilon}`);
    }
    if (typeof a.reservedDelta !== 'number' || !(a.reservedDelta >= 0 && a.reservedDelta < 1)) {
      throw invalidAppend(a.runId, `reservedDelta: expected a number in [0, 1), got ${a.reservedDelta}`);
    }
  }
  if (previous === undefined) {
    if (a.event !== 'accept') throw invalidAppend(a.runId, `the run's first entry must be an accept, got ${a.event}`);
    return;
  }
  if (a.event === 'accept') throw invalidAppend(a.runId, 'the run was already accepted');
  if (previous.event === 'stop') throw invalidAppend(a.runId, 'the run has stopped; nothing may follow its stop entry');
  for (const f of NUMBER_FIELDS) {
    if (a[f] < previous[f]) throw invalidAppend(a.runId, `${f}: cumulative values never decrease, got ${a[f]} after ${previous[f]}`);
  }
}

/** The site's encrypted, hash-chained privacy ledger. */
export class PrivacyLedger {
  readonly #dir: string;
  readonly #key: Buffer;
  readonly #now: () => Date;
  /** Whether the in-memory chain has been checked since it was read from disk. */
  #verified = false;
  #entries: readonly LedgerEntry[];
  #head: LedgerHead;

  private constructor(dir: string, key: Buffer, entries: readonly LedgerEntry[], head: LedgerHead, now: () => Date) {
    this.#dir = dir;
    this.#key = key;
    this.#entries = entries;
    this.#head = head;
    this.#now = now;
  }

  /**
   * Opens the ledger in `dir` (an absent file is an empty ledger; nothing is written until the first append).
   * @throws CohortError COHORT_E_PRIVACY_LEDGER_CORRUPT when the file does not decrypt or parse (altered bytes, another key).
   * @throws CohortError COHORT_E_PRIVACY_LEDGER_TAMPERED when the chain is broken (unless `verify: false`).
   */
  static open(dir: string, key: Buffer, options: LedgerOpenOptions = {}): PrivacyLedger {
    const path = join(dir, LEDGER_FILE);
    const now = options.now ?? ((): Date => new Date());
    if (!existsSync(path)) return new PrivacyLedger(dir, key, [], { count: 0, hash: GENESIS_HASH }, now);
    let parsed: z.output<typeof StoredLedgerSchema>;
    try {
      parsed = StoredLedgerSchema.parse(JSON.parse(readSealedFile(path, key, LEDGER_ASSOCIATED_DATA).toString('utf8')));
    } catch (e) {
      throw new CohortError(PrivacyErrors.LEDGER_CORRUPT, `privacy ledger ${path} cannot be read: altered, or sealed under another key than the site's`, {
        cause: e,
        details: { path },
      });
    }
    const entries = parsed.entries.map(
      ({ reservedEpsilon, ...s }): LedgerEntry => ({
        ...s,
        recordEpsilon: decodeNumber(s.recordEpsilon),
        siteEpsilon: decodeNumber(s.siteEpsilon),
        epsilon: decodeNumber(s.epsilon),
        // Kept absent when absent: the entry's hash covers exactly the fields it was written with.
        ...(reservedEpsilon === undefined ? {} : { reservedEpsilon: decodeNumber(reservedEpsilon) }),
      }),
    );
    const ledger = new PrivacyLedger(dir, key, entries, parsed.head, now);
    if (options.verify ?? true) ledger.verify();
    return ledger;
  }

  /** The ledger file's path. */
  get path(): string {
    return join(this.#dir, LEDGER_FILE);
  }

  /**
   * Checks the hash chain and the head.
   * @throws CohortError COHORT_E_PRIVACY_LEDGER_TAMPERED naming the first entry at fault.
   */
  verify(): void {
    verifyChain(this.#entries, this.#head, this.path);
    this.#verified = true;
  }

  /** Every entry, oldest first. */
  entries(): readonly LedgerEntry[] {
    return this.#entries;
  }

  /**
   * Appends one entry and writes the ledger atomically; returns the entry.
   * @throws CohortError COHORT_E_PRIVACY_LEDGER_ENTRY_INVALID when the entry breaks the rules (first entry of a run
   *   not an accept, an entry after a stop, a cumulative value that decreases, a value out of range).
   * @throws CohortError COHORT_E_PRIVACY_LEDGER_TAMPERED when the ledger's chain is already broken.
   */
  append(input: LedgerAppend): LedgerEntry {
    // Verified once (at open or on the first append); appends keep the chain, so no re-hash each time.
    if (!this.#verified) this.verify();
    const previous = [...this.#entries].reverse().find((e) => e.runId === input.runId);
    checkAppend(input, previous);
    const unhashed: Omit<LedgerEntry, 'hash'> = {
      seq: this.#entries.length,
      at: this.#now().toISOString(),
      runId: input.runId,
      round: input.round,
      event: input.event,
      recordEpsilon: input.recordEpsilon,
      siteEpsilon: input.siteEpsilon,
      epsilon: input.epsilon,
      delta: input.delta,
      steps: input.steps,
      ...reservation(input, previous),
      prevHash: this.#head.hash,
    };
    const entry: LedgerEntry = { ...unhashed, hash: entryHash(unhashed) };
    const entries = [...this.#entries, entry];
    const head: LedgerHead = { count: entries.length, hash: entry.hash };
    this.#write(entries, head);
    this.#entries = entries;
    this.#head = head;
    return entry;
  }

  /** Each run's latest cumulative (epsilon, delta). */
  spentByRun(): Map<string, EpsilonDelta> {
    return new Map(summarizeRuns(this.#entries).map((r) => [r.runId, { epsilon: r.epsilon, delta: r.delta }]));
  }

  /** The site's total over runs by basic composition (sums), optionally leaving one run out (the one being checked). */
  totalSpent(options: { readonly excludeRun?: string } = {}): EpsilonDelta {
    return sumSpends([...this.spentByRun()].filter(([runId]) => runId !== options.excludeRun).map(([, s]) => s));
  }

  /**
   * What the site's runs hold against its cap (sums): each running run's reservation (its
   * planned spend, or what it spent if more), each stopped run's spend. Optionally leaving one
   * run out. The budget check and the per-round limit compare against this, so runs accepted
   * together cannot jointly pass the cap.
   */
  totalCommitted(options: { readonly excludeRun?: string } = {}): EpsilonDelta {
    const latest = new Map<string, LedgerEntry>();
    for (const e of this.#entries) latest.set(e.runId, e);
    return sumSpends([...latest].filter(([runId]) => runId !== options.excludeRun).map(([, e]) => committed(e)));
  }

  /**
   * Ends a run at this site (finished, cancelled, failed): appends its stop entry at what it has
   * spent, releasing the rest of its reservation. Nothing when the run has no entry or has
   * already stopped. Returns the stop entry appended, if any.
   */
  release(runId: string): LedgerEntry | undefined {
    const last = [...this.#entries].reverse().find((e) => e.runId === runId);
    if (last === undefined || last.event === 'stop') return undefined;
    const { recordEpsilon, siteEpsilon, epsilon, delta, steps, round } = last;
    return this.append({ runId, round, event: 'stop', recordEpsilon, siteEpsilon, epsilon, delta, steps });
  }

  #write(entries: readonly LedgerEntry[], head: LedgerHead): void {
    const stored = entries.map((e) => ({
      ...e,
      recordEpsilon: encodeNumber(e.recordEpsilon),
      siteEpsilon: encodeNumber(e.siteEpsilon),
      epsilon: encodeNumber(e.epsilon),
      ...(e.reservedEpsilon === undefined ? {} : { reservedEpsilon: encodeNumber(e.reservedEpsilon) }),
    }));
    makePrivateDir(this.#dir);
    writeSealedFile(this.path, this.#key, Buffer.from(JSON.stringify({ version: 1, entries: stored, head })), LEDGER_ASSOCIATED_DATA);
  }
}
