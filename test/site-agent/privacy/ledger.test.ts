import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyFile, readSealedFile, writeSealedFile } from '../../../core/crypto/at-rest.ts';
import { entryHash, GENESIS_HASH } from '../../../site-agent/privacy/ledger-chain.ts';
import { LEDGER_ASSOCIATED_DATA, LEDGER_FILE, PrivacyLedger, type LedgerAppend } from '../../../site-agent/privacy/ledger.ts';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

/** A clock that ticks one minute per call. */
function clock(): () => Date {
  let t = T0;
  return () => new Date((t += 60_000) - 60_000);
}

const spend = (runId: string, event: LedgerAppend['event'], round: number, epsilon: number, steps = round * 10): LedgerAppend => ({
  runId,
  event,
  round,
  recordEpsilon: epsilon,
  siteEpsilon: Infinity,
  epsilon,
  delta: event === 'accept' ? 0 : 1e-5,
  steps,
});

describe('PrivacyLedger', () => {
  let dir: string;
  let key: Buffer;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-ledger-'));
    key = loadKeyFile(join(dir, 'site.key'), { create: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ledgerDir = (): string => join(dir, 'privacy');

  /** Three entries: run-a accepted, one round, run-b accepted. */
  function threeEntries(): PrivacyLedger {
    const ledger = PrivacyLedger.open(ledgerDir(), key, { now: clock() });
    ledger.append(spend('run-a', 'accept', 0, 0));
    ledger.append(spend('run-a', 'round', 1, 0.5));
    ledger.append(spend('run-b', 'accept', 0, 0));
    return ledger;
  }

  /** Rewrites the ledger's sealed payload as a key holder could. */
  function rewrite(edit: (payload: { entries: Record<string, unknown>[]; head: { count: number; hash: string } }) => void): void {
    const path = join(ledgerDir(), LEDGER_FILE);
    const payload = JSON.parse(readSealedFile(path, key, LEDGER_ASSOCIATED_DATA).toString('utf8'));
    edit(payload);
    writeSealedFile(path, key, Buffer.from(JSON.stringify(payload)), LEDGER_ASSOCIATED_DATA);
  }

  it('reads back after a restart exactly what was appended, chained from the genesis hash', () => {
    const written = threeEntries().entries();
    const back = PrivacyLedger.open(ledgerDir(), key).entries();
    expect(back).toEqual(written);
    expect(back.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(back[0]!.prevHash).toBe(GENESIS_HASH);
    expect(back[1]!.prevHash).toBe(back[0]!.hash);
    expect(back[2]!.prevHash).toBe(back[1]!.hash);
    expect(back[1]!.at).toBe('2025-03-01T10:01:00.000Z');
    expect(back[1]!.siteEpsilon).toBe(Infinity);
  });

  it('hashes the canonical JSON of the entry without its hash: sorted keys, Infinity as a string', () => {
    const [first] = threeEntries().entries();
    const canonical =
      '{"at":"2025-03-01T10:00:00.000Z","delta":0,"epsilon":0,"event":"accept",' +
      `"prevHash":"${GENESIS_HASH}","recordEpsilon":0,"round":0,"runId":"run-a","seq":0,"siteEpsilon":"Infinity","steps":0}`;
    expect(first!.hash).toBe(createHash('sha256').update(canonical).digest('hex'));
    expect(entryHash(first!)).toBe(first!.hash);
  });

  it('keeps the file encrypted and owner-only, and leaves no temporary file behind', () => {
    threeEntries();
    const raw = readFileSync(join(ledgerDir(), LEDGER_FILE));
    expect(raw.subarray(0, 4).toString()).toBe('CHT1');
    expect(raw.includes(Buffer.from('run-a'))).toBe(false);
    expect(statSync(join(ledgerDir(), LEDGER_FILE)).mode & 0o777).toBe(0o600);
    expect(readdirSync(ledgerDir())).toEqual([LEDGER_FILE]);
  });

  it('writes nothing for an absent ledger until the first append', () => {
    const ledger = PrivacyLedger.open(ledgerDir(), key);
    expect(ledger.entries()).toEqual([]);
    expect(ledger.totalSpent()).toEqual({ epsilon: 0, delta: 0 });
    expect(readdirSync(dir)).toEqual(['site.key']);
  });

  it.each([
    ['a modified entry', (p: { entries: Record<string, unknown>[] }) => void (p.entries[1]!.epsilon = 0.1), 1, 'does not match its hash (its content changed)'],
    ['a removed entry', (p: { entries: Record<string, unknown>[] }) => void p.entries.splice(1, 1), 1, 'has sequence number 2, expected 1'],
    ['reordered entries', (p: { entries: Record<string, unknown>[] }) => void p.entries.reverse(), 0, 'has sequence number 2, expected 0'],
    [
      'a removed last entry',
      (p: { entries: Record<string, unknown>[] }) => void p.entries.pop(),
      2,
      'disagrees with the head: the head records 3 entries, the file holds 2',
    ],
  ])('detects %s with COHORT_E_PRIVACY_LEDGER_TAMPERED naming the entry', (_name, edit, index, what) => {
    threeEntries();
    rewrite(edit);
    const path = join(ledgerDir(), LEDGER_FILE);
    expect(() => PrivacyLedger.open(ledgerDir(), key)).toThrow(
      expect.objectContaining({
        code: 'COHORT_E_PRIVACY_LEDGER_TAMPERED',
        message: `${path}: entry ${index} ${what}; the ledger was modified, or entries removed or reordered`,
        details: { source: path, index, what },
      }),
    );
  });

  it('detects a modified entry whose own hash was recomputed: the next entry no longer links to it', () => {
    threeEntries();
    rewrite((p) => {
      const e = p.entries[1]!;
      e.epsilon = 0.1;
      e.recordEpsilon = 0.1;
      e.hash = createHash('sha256').update('forged').digest('hex');
    });
    expect(() => PrivacyLedger.open(ledgerDir(), key)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_LEDGER_TAMPERED', details: expect.objectContaining({ index: 1 }) }),
    );
  });

  it('detects a relinked suffix with recomputed hashes through the head', () => {
    threeEntries();
    rewrite((p) => {
      // Drop entry 1 and rechain entry 2 as entry 1: consistent chain, stale head.
      const e: Record<string, unknown> = { ...p.entries[2]!, seq: 1, prevHash: p.entries[0]!.hash };
      delete e.hash;
      // The stored "Infinity" string hashes as the number Infinity does.
      p.entries = [p.entries[0]!, { ...e, hash: entryHash(e as never) }];
    });
    expect(() => PrivacyLedger.open(ledgerDir(), key)).toThrow(
      expect.objectContaining({
        code: 'COHORT_E_PRIVACY_LEDGER_TAMPERED',
        details: expect.objectContaining({ what: 'disagrees with the head: the head records 3 entries, the file holds 2' }),
      }),
    );
  });

  it('refuses an altered file or another key with COHORT_E_PRIVACY_LEDGER_CORRUPT', () => {
    threeEntries();
    const path = join(ledgerDir(), LEDGER_FILE);
    const otherKey = randomBytes(32);
    expect(() => PrivacyLedger.open(ledgerDir(), otherKey)).toThrow(
      expect.objectContaining({
        code: 'COHORT_E_PRIVACY_LEDGER_CORRUPT',
        message: `privacy ledger ${path} cannot be read: altered, or sealed under another key than the site's`,
      }),
    );
    const raw = readFileSync(path);
    raw[raw.length - 1] ^= 1;
    writeFileSync(path, raw);
    expect(() => PrivacyLedger.open(ledgerDir(), key)).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_LEDGER_CORRUPT' }));
  });

  it('opens a broken ledger for display with verify: false, but refuses to extend it', () => {
    threeEntries();
    rewrite((p) => void (p.entries[1]!.epsilon = 0.1));
    const ledger = PrivacyLedger.open(ledgerDir(), key, { verify: false });
    expect(ledger.entries()).toHaveLength(3);
    expect(() => ledger.append(spend('run-a', 'round', 2, 1))).toThrow(expect.objectContaining({ code: 'COHORT_E_PRIVACY_LEDGER_TAMPERED' }));
  });

  it.each([
    ['a run that starts without an accept', [spend('run-x', 'round', 1, 0.1)], "the run's first entry must be an accept, got round"],
    ['a second accept', [spend('run-x', 'accept', 0, 0), spend('run-x', 'accept', 0, 0)], 'the run was already accepted'],
    [
      'an entry after the stop',
      [spend('run-x', 'accept', 0, 0), spend('run-x', 'stop', 1, 0.2), spend('run-x', 'round', 2, 0.3)],
      'the run has stopped; nothing may follow its stop entry',
    ],
    [
      'a cumulative epsilon that decreases',
      [spend('run-x', 'accept', 0, 0), spend('run-x', 'round', 1, 0.5), spend('run-x', 'round', 2, 0.4)],
      'recordEpsilon: cumulative values never decrease, got 0.4 after 0.5',
    ],
    ['a negative epsilon', [{ ...spend('run-x', 'accept', 0, 0), siteEpsilon: -1 }], 'siteEpsilon: expected a number >= 0 or Infinity, got -1'],
  ])('refuses %s with COHORT_E_PRIVACY_LEDGER_ENTRY_INVALID', (_name, appends, what) => {
    const ledger = PrivacyLedger.open(ledgerDir(), key);
    const last = appends.pop()!;
    for (const a of appends) ledger.append(a);
    expect(() => ledger.append(last)).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_LEDGER_ENTRY_INVALID', message: `privacy ledger append for run "run-x": ${what}` }),
    );
    // The refused entry was not written.
    expect(PrivacyLedger.open(ledgerDir(), key).entries()).toHaveLength(appends.length);
  });

  it("reports each run's latest cumulative spend and the sum over runs", () => {
    const ledger = threeEntries();
    ledger.append(spend('run-a', 'stop', 2, 1.25));
    ledger.append(spend('run-b', 'round', 1, 0.75));
    expect(ledger.spentByRun()).toEqual(
      new Map([
        ['run-a', { epsilon: 1.25, delta: 1e-5 }],
        ['run-b', { epsilon: 0.75, delta: 1e-5 }],
      ]),
    );
    expect(ledger.totalSpent()).toEqual({ epsilon: 2, delta: 2e-5 });
    expect(ledger.totalSpent({ excludeRun: 'run-b' })).toEqual({ epsilon: 1.25, delta: 1e-5 });
  });

  it('keeps an unbounded epsilon (a run without DP) across a restart', () => {
    const ledger = PrivacyLedger.open(ledgerDir(), key);
    ledger.append(spend('run-nodp', 'accept', 0, 0));
    ledger.append({ ...spend('run-nodp', 'round', 1, Infinity), recordEpsilon: Infinity });
    expect(PrivacyLedger.open(ledgerDir(), key).totalSpent()).toEqual({ epsilon: Infinity, delta: 1e-5 });
  });

  it('reserves at accept, holds the larger of plan and spend while running, and releases the rest at the stop', () => {
    const ledger = PrivacyLedger.open(ledgerDir(), key, { now: clock() });
    ledger.append({ ...spend('run-r', 'accept', 0, 0), delta: 1e-5, reservedEpsilon: 2, reservedDelta: 1e-5 });
    ledger.append(spend('run-old', 'accept', 0, 0)); // accepted before reservations: holds what it spends
    ledger.append(spend('run-old', 'round', 1, 0.25));
    expect(ledger.totalCommitted()).toEqual({ epsilon: 2.25, delta: 2e-5 });
    expect(ledger.totalCommitted({ excludeRun: 'run-r' })).toEqual({ epsilon: 0.25, delta: 1e-5 });
    expect(ledger.totalSpent()).toEqual({ epsilon: 0.25, delta: 2e-5 });
    // A retrained round may take the spend past the plan: the larger is held.
    ledger.append(spend('run-r', 'round', 1, 1.5));
    ledger.append(spend('run-r', 'round', 2, 2.5));
    expect(ledger.entries().at(-1)).toMatchObject({ reservedEpsilon: 2.5, reservedDelta: 1e-5 });
    ledger.release('run-r');
    expect(ledger.entries().at(-1)).toMatchObject({ event: 'stop', round: 2, epsilon: 2.5, reservedEpsilon: 2.5 });
    expect(ledger.release('run-r')).toBeUndefined();
    expect(ledger.release('run-unknown')).toBeUndefined();
    // Read back: the chain covers the reservations, and old-style entries have none.
    const back = PrivacyLedger.open(ledgerDir(), key);
    expect(back.entries()).toEqual(ledger.entries());
    expect(back.entries().find((e) => e.runId === 'run-old')).not.toHaveProperty('reservedEpsilon');
    expect(back.totalCommitted()).toEqual({ epsilon: 2.75, delta: 2e-5 });
  });

  it('refuses a reservation outside an accept, and an out-of-range one', () => {
    const ledger = PrivacyLedger.open(ledgerDir(), key);
    ledger.append(spend('run-x', 'accept', 0, 0));
    expect(() => ledger.append({ ...spend('run-x', 'round', 1, 1), reservedEpsilon: 3, reservedDelta: 0 })).toThrow(
      expect.objectContaining({ code: 'COHORT_E_PRIVACY_LEDGER_ENTRY_INVALID', message: 'privacy ledger append for run "run-x": a reservation is made at accept only; later entries derive it' }),
    );
    expect(() => ledger.append({ ...spend('run-y', 'accept', 0, 0), reservedEpsilon: -1, reservedDelta: 0 })).toThrow(
      expect.objectContaining({ message: 'privacy ledger append for run "run-y": reservedEpsilon: expected a number >= 0 or Infinity, got -1' }),
    );
  });
});
