/**
 * Sites bind what they accepted, over real processes: a coordinator and three site agents
 * started with `cohort` on 127.0.0.1. Mid-run the coordinator is killed, one agent too, and the
 * run's spec in the coordinator's state is swapped for another (what a compromised coordinator
 * would do); both are restarted. Every site, the restarted one included (it has no worker in
 * memory and the first task it sees carries the new spec), refuses the run's tasks with
 * COHORT_E_SITE_TASK_UNBOUND, so nothing is trained under the swapped spec and the run fails.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRun, TERMINAL_RUN_STATES } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';

const TEST_TIMEOUT_MS = 600_000;
const SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), privacy: undefined, rounds: 3, minSites: 2, roundTimeoutSeconds: 3600 };

describe('a site refuses a run whose spec changed after it accepted', () => {
  let dir: string;
  let c: LocalConsortium;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-binding-it-'));
    c = await LocalConsortium.create({ workdir: dir, sites: 3, seed: 13, rowsPerSite: 120, maxEpsilon: null, allowPlaintext: true });
    c.startCoordinator();
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s);
    }
    await c.waitForSites(3);
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (dir && !process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses, at every site and after an agent restart, every task naming the swapped spec', async () => {
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const { runId } = await submitRun(c.kit('alice'), specPath, 'plain', `127.0.0.1:${c.port}`);
    await c.waitForRun(runId, 'running', (s) => s.state === 'RUNNING');
    const restarted = c.siteNames[2] as string;
    await c.kill('coordinator', 'SIGKILL');
    await c.kill(restarted, 'SIGKILL');
    // The swap: the same run, a learning rate ten times larger, stored as the coordinator stores a spec.
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'));
    try {
      const row = db.prepare('SELECT spec_json FROM runs WHERE run_id = ?').get(runId) as { spec_json: string };
      const accepted = JSON.parse(row.spec_json) as ModelSpec;
      const swapped = JSON.stringify({ ...accepted, training: { ...accepted.training, learningRate: accepted.training.learningRate * 10 } });
      db.prepare('UPDATE runs SET spec_json = ?, spec_sha256 = ? WHERE run_id = ?').run(swapped, createHash('sha256').update(swapped).digest('hex'), runId);
    } finally {
      db.close();
    }
    c.startCoordinator();
    c.startSite(restarted);
    const final = await c.waitForRun(runId, 'the run to end', (s) => TERMINAL_RUN_STATES.includes(s.state));
    expect(final.state).toBe('FAILED');
    expect(final.errorCode).toBe('COHORT_E_RUN_QUORUM_LOST');
    const state = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      // Every site that was handed a task after the swap refused it with the binding's code.
      const refusals = state.prepare("SELECT actor, detail_json FROM events WHERE run_id = ? AND action = 'site.failure' AND actor != 'coordinator'").all(runId) as { actor: string; detail_json: string }[];
      const bySite = new Map(refusals.map((r) => [r.actor, (JSON.parse(r.detail_json) as { code: string }).code]));
      expect([...bySite.keys()].sort()).toEqual([...c.siteNames].sort());
      expect(new Set(bySite.values())).toEqual(new Set(['COHORT_E_SITE_TASK_UNBOUND']));
    } finally {
      state.close();
    }
  }, TEST_TIMEOUT_MS);
});
