/**
 * No crash windows, over real processes: a coordinator started with `cohort coordinator start`
 * and three site agents on 127.0.0.1 over mTLS. The coordinator is SIGKILLed (by itself, through
 * the test-only COHORT_TEST_CRASH_AT hook, coordinator/state/crash-hook.ts) at each persisted
 * step of a round, after its transaction commits and, for some, while it is still open; each
 * time it is restarted with the next crash point armed. The run must complete, every round with
 * each site's update counted exactly once: in the round's rows, in its events, and in the sum
 * itself (the plaintext weight slot is the sum of the sites' example counts).
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRun, TERMINAL_RUN_STATES } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { waitForState } from '../../cli/demo/wait-for-state.ts';
import { parseCrashPoint } from '../../coordinator/state/crash-hook.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { filesUnder } from '../support/in-process-coordinator.ts';

const TEST_TIMEOUT_MS = 1_200_000;
/** heart-logistic without differential privacy: each site's weight is its exact example count. */
const SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), privacy: undefined, rounds: 2, minSites: 2, roundTimeoutSeconds: 3600 };

/**
 * The crash points, in the order a two-round run of three sites reaches them; each restart arms
 * the next. A committed step must be on disk after the kill, an uncommitted one must not.
 */
const CRASHES = [
  'round.open', // RUNNING and round 1, one transaction
  'update.commit', // the first update of round 1 summed and the site marked delivered
  'update.commit:uncommitted', // the next one half written
  'round.aggregated',
  'round.evaluation',
  'round.evaluated', // SCORING
  'round.metrics',
  'round.close:uncommitted', // round 1 closing with round 2 opening
  'round.close', // ... and committed
  'round.aggregated:uncommitted', // round 2
  'run.completed', // round 2's close with the run's end
] as const;

describe('a coordinator SIGKILLed at each persisted step of a round', () => {
  let dir: string;
  let c: LocalConsortium;
  let address: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-crash-'));
    c = await LocalConsortium.create({ workdir: dir, sites: 3, seed: 5, rowsPerSite: 120, maxEpsilon: null, allowPlaintext: true, release: () => ({ recordCounts: 'exact' }) });
    address = `127.0.0.1:${c.port}`;
    for (const s of c.siteNames) c.initSite(s);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (dir && !process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  /** Reads the coordinator's state file (read-only, beside the running coordinator). */
  function withState<T>(read: (db: Database.Database) => T): T {
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true, fileMustExist: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  const eventCount = (action: string): number => withState((db) => (db.prepare('SELECT COUNT(*) AS n FROM events WHERE action = ?').get(action) as { n: number }).n);
  const lastEvent = (): string => withState((db) => JSON.stringify(db.prepare('SELECT id, action, detail_json FROM events ORDER BY id DESC LIMIT 1').get() ?? null));

  /** Waits for `child` to end by itself; gives up when no event was recorded for the stall time. */
  async function crashOf(child: ChildProcess, what: string): Promise<NodeJS.Signals | number | null> {
    const ended = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    let done = false;
    void ended.then(() => (done = true));
    await waitForState({
      what: `the coordinator to kill itself at ${what}`,
      read: () => Promise.resolve(done),
      done: (d) => d,
      describe: () => {
        try {
          return `last event ${lastEvent()}`;
        } catch (e) {
          return `state not readable: ${(e as Error).message}`;
        }
      },
      stallMs: 180_000,
      intervalMs: 250,
    });
    return child.signalCode ?? child.exitCode;
  }

  it('completes the run, each update counted once, through a kill at every step', async () => {
    let coordinator = c.startCoordinator({ NODE_ENV: 'test', COHORT_TEST_CRASH_AT: CRASHES[0] });
    for (const s of c.siteNames) c.startSite(s);
    await c.waitForSites(3);
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const { runId } = await submitRun(c.kit('alice'), specPath, 'plain', address);

    for (const [i, step] of CRASHES.entries()) {
      const point = parseCrashPoint(step);
      if (!point) throw new Error(`bad crash point ${step}`);
      // Counted before this process could record any: this process's first such event is the crash.
      const before = i === 0 ? 0 : eventCount(point.action);
      expect(await crashOf(coordinator, step), `${step}: how the coordinator ended`).toBe('SIGKILL');
      // Committed: on disk. Uncommitted: rolled back whole, as if never begun.
      expect(eventCount(point.action), `${step}: ${point.action} events after the kill`).toBe(before + (point.uncommitted ? 0 : 1));
      const next = CRASHES[i + 1];
      coordinator = c.startCoordinator(next === undefined ? {} : { NODE_ENV: 'test', COHORT_TEST_CRASH_AT: next });
    }

    const final = await c.waitForRun(runId, 'completion with its model released after the last restart', (s) => s.state === 'COMPLETED' && s.modelId !== '');
    expect(TERMINAL_RUN_STATES).toContain(final.state);
    expect(final.errorCode).toBe('');
    // Uploads cut off by the kills left no spool file behind (each start clears them; none was counted).
    expect(existsSync(join(dir, 'coordinator-state', 'spool')) ? filesUnder(join(dir, 'coordinator-state', 'spool')) : []).toEqual([]);
    const weightSlot = updateLayout(loadSpecFile(specPath)).length - 1;
    withState((db) => {
      const counts = db.prepare("SELECT site, num_examples FROM run_sites WHERE run_id = ? AND state = 'ACCEPTED' ORDER BY site").all(runId) as { site: string; num_examples: number }[];
      expect(counts.map((r) => r.site)).toEqual([...c.siteNames].sort());
      expect(counts.every((r) => r.num_examples > 0)).toBe(true);
      const expectedWeight = counts.reduce((n, r) => n + r.num_examples, 0);
      for (const round of [1, 2]) {
        expect(db.prepare('SELECT state, contributors FROM rounds WHERE run_id = ? AND round = ?').get(runId, round)).toEqual({ state: 'CLOSED', contributors: 3 });
        const sites = db.prepare('SELECT site, state FROM round_sites WHERE run_id = ? AND round = ? ORDER BY site').all(runId, round) as { site: string; state: string }[];
        expect(sites.map((s) => s.state)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED']);
        // One commit per site and round, however often a site uploaded across the kills.
        const commits = (db.prepare("SELECT actor, detail_json FROM events WHERE run_id = ? AND action = 'update.commit'").all(runId) as { actor: string; detail_json: string }[]).filter(
          (e) => (JSON.parse(e.detail_json) as { round: number }).round === round,
        );
        expect(commits.map((e) => e.actor).sort()).toEqual([...c.siteNames].sort());
        for (const action of ['round.open', 'round.aggregated', 'round.evaluated', 'round.close']) {
          const n = (db.prepare('SELECT detail_json FROM events WHERE run_id = ? AND action = ?').all(runId, action) as { detail_json: string }[]).filter(
            (e) => (JSON.parse(e.detail_json) as { round: number }).round === round,
          ).length;
          expect(n, `${action} of round ${round}`).toBe(1);
        }
        // The sum itself: its last value sums each site's weight (its example count) once.
        const chunks = db.prepare('SELECT data FROM round_sums WHERE run_id = ? AND round = ? ORDER BY chunk_index').all(runId, round) as { data: Buffer }[];
        const values = chunks.flatMap((ch) => [...new Float64Array(Uint8Array.from(ch.data).buffer)]);
        expect(values.length).toBe(weightSlot + 1);
        expect(values[weightSlot], `round ${round} weight slot`).toBe(expectedWeight);
      }
    });
  }, TEST_TIMEOUT_MS);
});
