/**
 * Real processes over real mTLS on 127.0.0.1: a coordinator and three site agents
 * started with `cohort`, driven through the admin API with the data scientist's kit.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRun, submitRun, watchRun } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { RunStatus__Output } from '../../protos/gen/cohort/v1/RunStatus.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/heart-logistic.yaml');

describe('a local consortium over mTLS', () => {
  let dir: string;
  let c: LocalConsortium;
  let address: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-it-'));
    c = await LocalConsortium.create({ workdir: dir, sites: 3, seed: 11, rowsPerSite: 160, siteGraceMs: 6_000, recruitTimeoutMs: 30_000 });
    address = `127.0.0.1:${c.port}`;
    c.startCoordinator();
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s);
    }
    await c.waitForSites(3, 90_000);
  }, 120_000);

  afterAll(async () => {
    await c?.stopAll();
    if (!process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  /** `epochs` slows local training so that a test can act in the middle of a round. */
  function specFile(rounds: number, epochs = 1): string {
    const base = loadSpecFile(SPEC);
    const p = join(dir, `spec-${rounds}-${epochs}.json`);
    writeFileSync(p, JSON.stringify({ ...base, rounds, minSites: 2, testFraction: 0.3, training: { ...base.training, epochs } }));
    return p;
  }

  async function waitFor(runId: string, predicate: (s: RunStatus__Output) => boolean, timeoutMs = 60_000): Promise<RunStatus__Output> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const s = await getRun(c.kit('alice'), runId, address);
        if (predicate(s)) return s;
      } catch {
        // coordinator restarting
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting on ${runId}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('trains a run to completion: every round closed, every site on the same weights', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(2), 'plain', address);
    const final = await watchRun(c.kit('alice'), runId, () => undefined, address);
    expect(final.state).toBe('COMPLETED');
    expect(final.sites.map((s) => s.state)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(final.roundStatus.map((r) => [r.round, r.state, r.contributors])).toEqual([
      [1, 'CLOSED', 3],
      [2, 'CLOSED', 3],
    ]);
    const hashes = new Set(final.roundStatus[1]?.sites.map((s) => s.weightsSha256));
    expect(hashes.size).toBe(1);
    expect([...hashes][0]).toBe(final.finalWeightsSha256);
    expect(final.roundStatus[1]?.metrics?.accuracy).toBeGreaterThan(0.6);
  }, 120_000);

  it('resumes the round after the coordinator is SIGKILLed, counting each delivered update once', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(3, 40), 'plain', address);
    const before = await waitFor(runId, (s) => s.roundStatus.some((r) => r.round === 2 && r.state === 'COLLECTING' && r.sites.some((x) => x.state === 'DELIVERED')));
    expect(before.state).toBe('RUNNING');
    await c.kill('coordinator', 'SIGKILL');
    c.startCoordinator();
    const final = await waitFor(runId, (s) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.state), 90_000);
    expect(final.errorCode).toBe('');
    expect(final.state).toBe('COMPLETED');
    // The weight slot of each round's sum must equal the delivered sites' example counts: nothing lost, nothing twice.
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      const examples = new Map(final.sites.map((s) => [s.site, Number(s.numExamples)]));
      for (const r of final.roundStatus) {
        const delivered = r.sites.filter((s) => s.state === 'DELIVERED').map((s) => s.site);
        const last = db.prepare('SELECT data FROM round_sums WHERE run_id = ? AND round = ? ORDER BY chunk_index DESC LIMIT 1').get(runId, r.round) as { data: Buffer };
        const values = new Float64Array(Uint8Array.from(last.data).buffer);
        expect(values[values.length - 1]).toBe(delivered.reduce((n, s) => n + (examples.get(s) ?? 0), 0));
        expect(r.contributors).toBe(delivered.length);
      }
    } finally {
      db.close();
    }
    await c.waitForSites(3, 60_000);
  }, 180_000);

  it('records a site killed mid-run as failed and closes its rounds with the other two', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(3, 40), 'plain', address);
    const victim = c.siteNames[2] as string;
    await waitFor(runId, (s) => s.state === 'RUNNING' && s.roundStatus.some((r) => r.round === 2 && r.state === 'COLLECTING'));
    await c.kill(victim, 'SIGKILL');
    const final = await waitFor(runId, (s) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(s.state), 90_000);
    expect(final.state).toBe('COMPLETED');
    const round3 = final.roundStatus.find((r) => r.round === 3);
    expect(round3?.state).toBe('CLOSED');
    expect(round3?.contributors).toBe(2);
    const failed = round3?.sites.find((s) => s.site === victim);
    expect(failed?.state).toBe('FAILED');
    expect(failed?.failureCode).toBe('COHORT_E_RUN_SITE_DISCONNECTED');
  }, 180_000);
});
