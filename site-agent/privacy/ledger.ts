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

/** What the caller supplies for an append; seq, at and the hashes are the ledger's. */
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
    prevHash: z.string(),
    hash: z.string(),
  })
  .strict();
const StoredLedgerSchema = z
  .object({ version: z.literal(1), entries: z.array(StoredEntrySchema), head: z.object({ count: z.number().int().nonnegative(), hash: z.string() }).strict() })
  .strict();

const decodeNumber = (x: number | 'Infinity'): number => (x === 'Infinity' ? Infinity : x);

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
      (s): LedgerEntry => ({ ...s, recordEpsilon: decodeNumber(s.recordEpsilon), siteEpsilon: decodeNumber(s.siteEpsilon), epsilon: decodeNumber(s.epsilon) }),
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

  #write(entries: readonly LedgerEntry[], head: LedgerHead): void {
    const stored = entries.map((e) => ({ ...e, recordEpsilon: encodeNumber(e.recordEpsilon), siteEpsilon: encodeNumber(e.siteEpsilon), epsilon: encodeNumber(e.epsilon) }));
    makePrivateDir(this.#dir);
    writeSealedFile(this.path, this.#key, Buffer.from(JSON.stringify({ version: 1, entries: stored, head })), LEDGER_ASSOCIATED_DATA);
  }
}
