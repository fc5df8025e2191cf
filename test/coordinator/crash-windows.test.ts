/**
 * No crash windows, in process: the transitions that span several rows commit together (the
 * events table shows each pair in one transaction), and a state file left between rounds by a
 * coordinator killed between two transactions (as before issue 9) is repaired on the next tick.
 * The same over real processes, SIGKILLed at each step: test/integration/crash-recovery.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crashPointOf, parseCrashPoint } from '../../coordinator/state/crash-hook.ts';
import { startCoordinator } from '../../coordinator/coordinator.ts';
import { RunEngine, type UpdateSource } from '../../coordinator/engine/run-engine.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { createLogger } from '../../core/logging.ts';
import type { Kit } from '../../core/pki/kit.ts';
import { consortiumMetrics, EVAL_VECTOR_LENGTH, evaluationVector } from '../../core/evaluation/summed-metrics.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { PlainUpdateEncoder } from '../../core/update-codec/plain-codec.ts';
import { caught } from '../support/caught.ts';
import { tinySpec } from '../support/tiny-spec.ts';

const SITES = ['site-a', 'site-b', 'site-c'] as const;
const spec = tinySpec();

function source(values: number[]): UpdateSource {
  const chunks = [...new PlainUpdateEncoder(plainDescriptor(3)).encode(Float64Array.from(values))];
  return { chunkCount: chunks.length, bytes: 24, trainLoss: 0.5, readChunk: (i) => chunks[i] as Uint8Array };
}

const evaluation = { weightsSha256: 'c'.repeat(64), chunks: [...new PlainUpdateEncoder(plainDescriptor(EVAL_VECTOR_LENGTH)).encode(evaluationVector([0.9, 0.2], [1, 0]))] };

describe('crash windows of the round engine', () => {
  let dir: string;
  let store: StateStore;
  let engine: RunEngine;
  let runId: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-crash-'));
    store = new StateStore(join(dir, 'state.sqlite'));
    engine = new RunEngine(store, { siteGraceMs: 600_000, recruitTimeoutMs: 600_000 });
    for (const s of SITES) {
      engine.registerSite(s, '0.1.0', 'cpu');
      engine.presence.connected(s);
    }
    runId = engine.submitRun({ spec, codec: plainDescriptor(3), submittedBy: 'alice' }).run_id;
    for (const s of SITES) engine.respondToRun(s, runId, true, { reasonCode: '', reason: '', numExamples: 10, fingerprint: 'f' });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every site delivers, evaluates and reports the round's consortium metrics: the round closes. */
  function playRound(round: number): void {
    for (const s of SITES) engine.commitUpdate(s, runId, round, source([1, 2, 10]));
    for (const s of SITES) engine.reportEvaluation(s, runId, round, evaluation);
    const sum = [...engine.evaluationSumOf(runId, round).chunks()].flatMap((c) => [...new Float64Array(Uint8Array.from(c).buffer)]);
    for (const s of SITES) engine.reportConsortiumMetrics(s, runId, round, consortiumMetrics(Float64Array.from(sum)));
  }

  /** The events of the run as (action, round) pairs, with the SQLite transaction each was written in, by id order. */
  const events = (): { action: string; round: unknown }[] =>
    (store.db.prepare('SELECT action, detail_json FROM events WHERE run_id = ? ORDER BY id').all(runId) as { action: string; detail_json: string }[]).map((e) => ({
      action: e.action,
      round: (JSON.parse(e.detail_json) as { round?: unknown }).round,
    }));

  /** What an older coordinator killed between its two transactions left: no round `round`, current round `round - 1`. */
  function withoutRound(round: number): void {
    store.db.prepare('DELETE FROM round_sites WHERE run_id = ? AND round = ?').run(runId, round);
    store.db.prepare('DELETE FROM rounds WHERE run_id = ? AND round = ?').run(runId, round);
    store.db.prepare('UPDATE runs SET current_round = ? WHERE run_id = ?').run(round - 1, runId);
  }

  /** Makes SQLite abort the transaction that records the event `action` (a fault in the second half of a transition). */
  function faultAt(action: string): void {
    store.db.exec(`CREATE TRIGGER fault BEFORE INSERT ON events WHEN NEW.action = '${action}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END`);
  }

  it('starts a run and opens its round 1 in one transaction: a fault at the open leaves the run as it was before the start', () => {
    faultAt('round.open');
    const other = engine.submitRun({ spec, codec: plainDescriptor(3), submittedBy: 'alice' }).run_id;
    const before = store.getRun(other);
    for (const s of SITES) engine.respondToRun(s, other, true, { reasonCode: '', reason: '', numExamples: 10, fingerprint: 'f' });
    expect(store.getRound(other, 1)).toBeUndefined();
    const actions = (store.db.prepare('SELECT action FROM events WHERE run_id = ? ORDER BY id').all(other) as { action: string }[]).map((e) => e.action);
    expect(actions.filter((a) => a === 'run.codec' || a === 'run.start' || a === 'round.open')).toEqual([]);
    // The engine error then fails the run in its own transaction; the start itself never committed.
    expect(before).toMatchObject({ state: 'RECRUITING', current_round: 0 });
    expect(store.getRun(other)).toMatchObject({ state: 'FAILED', current_round: 0, error_code: 'COHORT_E_GENERAL_INTERNAL', error: 'engine error: injected fault' });
  });

  it('closes the last round and ends the run in one transaction: a fault at the end leaves the round unclosed', () => {
    playRound(1);
    faultAt('run.completed');
    playRound(2);
    // The engine error then fails the run and its open round; the close itself never committed.
    expect(store.getRound(runId, 2)).toMatchObject({ state: 'FAILED', closed_at_ms: null, metrics_json: null });
    expect(store.getRun(runId)).toMatchObject({ state: 'FAILED', current_round: 2, error_code: 'COHORT_E_GENERAL_INTERNAL' });
    expect(events().filter((e) => e.action === 'round.close' || e.action === 'run.completed')).toEqual([{ action: 'round.close', round: 1 }]);
  });

  it('opens each round once and closes it once, in order (the atomicity is shown by the injected faults above)', () => {
    expect(store.getRun(runId)).toMatchObject({ state: 'RUNNING', current_round: 1 });
    const opened = store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ? AND action IN ('run.codec', 'round.open')").get(runId) as { n: number };
    expect(opened.n).toBe(2);
    playRound(1);
    expect(store.getRound(runId, 1)?.state).toBe('CLOSED');
    expect(store.getRound(runId, 2)?.state).toBe('COLLECTING');
    playRound(2);
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
    expect(events().filter((e) => /^(run\.codec|round\.open|round\.close|run\.completed)$/.test(e.action))).toEqual([
      { action: 'run.codec', round: undefined },
      { action: 'round.open', round: 1 },
      { action: 'round.close', round: 1 },
      { action: 'round.open', round: 2 },
      { action: 'round.close', round: 2 },
      { action: 'run.completed', round: undefined },
    ]);
  });

  it('rolls a failed transition back whole: a close whose next round cannot open leaves the round as it was', () => {
    for (const s of SITES) engine.commitUpdate(s, runId, 1, source([1, 2, 10]));
    for (const s of SITES) engine.reportEvaluation(s, runId, 1, evaluation);
    // A stray row where round 2 would go: the open inside the close's transaction fails.
    store.db.prepare("INSERT INTO rounds (run_id, round, state, opened_at_ms, deadline_ms, closed_at_ms, contributors, metrics_json) VALUES (?, 2, 'COLLECTING', 0, 0, NULL, 0, NULL)").run(runId);
    const sum = [...engine.evaluationSumOf(runId, 1).chunks()].flatMap((c) => [...new Float64Array(Uint8Array.from(c).buffer)]);
    for (const s of SITES) engine.reportConsortiumMetrics(s, runId, 1, consortiumMetrics(Float64Array.from(sum)));
    // The engine error fails the run (its own transaction, which fails the open round); the close itself never committed.
    expect(store.getRun(runId)).toMatchObject({ state: 'FAILED', error_code: 'COHORT_E_GENERAL_INTERNAL' });
    expect(store.getRound(runId, 1)).toMatchObject({ state: 'FAILED', closed_at_ms: null, metrics_json: null });
    expect(events().filter((e) => e.action === 'round.close')).toEqual([]);
  });

  it('repairs a running run with no round: the next tick opens round 1 with every accepted site', () => {
    withoutRound(1);
    engine.tick();
    expect(store.getRun(runId)).toMatchObject({ state: 'RUNNING', current_round: 1 });
    expect(store.getRound(runId, 1)?.state).toBe('COLLECTING');
    expect(store.roundSites(runId, 1).map((s) => [s.site, s.state])).toEqual(SITES.map((s) => [s, 'PENDING']));
    expect(events().slice(-2)).toEqual([
      { action: 'run.repair', round: undefined },
      { action: 'round.open', round: 1 },
    ]);
    playRound(1);
    playRound(2);
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
  });

  it('repairs a run whose round closed without the next opening, and one whose last round closed without its end', () => {
    playRound(1);
    withoutRound(2);
    expect(store.getRound(runId, 1)?.state).toBe('CLOSED');
    engine.tick();
    expect(store.getRun(runId)).toMatchObject({ state: 'RUNNING', current_round: 2 });
    expect(store.getRound(runId, 2)?.state).toBe('COLLECTING');
    // Round 1's sums are untouched by the repair: each update counted once.
    const sum = [...engine.aggregateOf(runId, 1).chunks()].flatMap((c) => [...new Float64Array(Uint8Array.from(c).buffer)]);
    expect(sum).toEqual([3, 6, 30]);
    playRound(2);
    // The end, undone as an older coordinator killed after the close would have left it.
    store.db.prepare("UPDATE runs SET state = 'RUNNING', error_code = NULL, error = NULL WHERE run_id = ?").run(runId);
    store.db.prepare("DELETE FROM events WHERE run_id = ? AND action = 'run.completed'").run(runId);
    engine.tick();
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
    expect(events().slice(-2)).toEqual([
      { action: 'run.repair', round: undefined },
      { action: 'run.completed', round: undefined },
    ]);
  });
});

describe('the test-only crash point', () => {
  it('is inert unless set, and parses <action>[@<n>][:uncommitted]', () => {
    expect(parseCrashPoint(undefined)).toBeUndefined();
    expect(parseCrashPoint('')).toBeUndefined();
    expect(parseCrashPoint('round.open')).toEqual({ action: 'round.open', occurrence: 1, uncommitted: false });
    expect(parseCrashPoint('update.commit@2:uncommitted')).toEqual({ action: 'update.commit', occurrence: 2, uncommitted: true });
    expect(() => parseCrashPoint('round.open@0')).toThrow('COHORT_TEST_CRASH_AT="round.open@0" is not <action>[@<n>][:uncommitted]');
  });

  it('is live only under NODE_ENV=test, and a coordinator refuses to start with it set otherwise', async () => {
    expect(crashPointOf({ NODE_ENV: 'test', COHORT_TEST_CRASH_AT: 'round.open' })).toEqual({ action: 'round.open', occurrence: 1, uncommitted: false });
    expect(crashPointOf({ NODE_ENV: 'production', COHORT_TEST_CRASH_AT: 'round.open' })).toBeUndefined();
    expect(crashPointOf({ COHORT_TEST_CRASH_AT: 'round.open' })).toBeUndefined();
    const saved = { NODE_ENV: process.env.NODE_ENV, COHORT_TEST_CRASH_AT: process.env.COHORT_TEST_CRASH_AT };
    process.env.NODE_ENV = 'production';
    process.env.COHORT_TEST_CRASH_AT = 'round.open';
    try {
      // A kit that is no kit: before the refusal, the start would fail on it instead.
      const err = await caught(startCoordinator({ kit: {} as Kit, log: createLogger('test', { level: 'silent' }), stateDir: '/nonexistent', listen: '127.0.0.1:0' }));
      expect(err.code).toBe('COHORT_E_GENERAL_USAGE');
      expect(err.details).toEqual({ variable: 'COHORT_TEST_CRASH_AT' });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
