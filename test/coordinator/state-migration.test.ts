/**
 * A coordinator state file written by the previous version (schema 2) opens under this one:
 * the migration adds the consortium-metrics and end-acknowledgement columns and the evaluation
 * sums table, and keeps every row. The version-2 file is made by removing exactly what
 * version 3 added from a fresh one.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../coordinator/state/schema.ts';
import { StateStore } from '../../coordinator/state/store.ts';

describe('coordinator state migration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('brings a version-2 state file to version 3 keeping its rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    new StateStore(path).close();
    const db = new Database(path);
    db.exec(`
      ALTER TABLE round_sites DROP COLUMN score_state;
      ALTER TABLE round_sites DROP COLUMN score_json;
      ALTER TABLE run_sites DROP COLUMN finish_acked_ms;
      DROP TABLE eval_sums;
      UPDATE meta SET value = '2' WHERE key = 'schema_version';
      INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms, submitted_by, recruit_deadline_ms, created_at_ms, updated_at_ms)
        VALUES ('run-old', 'old', 'COMPLETED', '{}', 'x', '{"kind":"plain"}', 'fedavg', 1, 2, 1000, 'alice', 0, 1, 1);
      INSERT INTO run_sites (run_id, site, state, num_examples, updated_at_ms) VALUES ('run-old', 'site-a', 'ACCEPTED', 10, 1);
      INSERT INTO round_sites (run_id, round, site, state, eval_state, updated_at_ms) VALUES ('run-old', 1, 'site-a', 'DELIVERED', 'EVALUATED', 1);
    `);
    db.close();
    expect(SCHEMA_VERSION).toBe(3);
    const store = new StateStore(path);
    try {
      expect((store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe('3');
      expect(store.getRoundSite('run-old', 1, 'site-a')).toMatchObject({ state: 'DELIVERED', eval_state: 'EVALUATED', score_state: 'WAITING', score_json: null });
      // An old ended run's end was never acknowledged: its FINISH task is sent once more, then acknowledged.
      expect(store.unacknowledgedEnds('site-a').map((r) => r.run_id)).toEqual(['run-old']);
      store.putSum('run-old', 1, 0, Uint8Array.of(1, 2), 'evaluation');
      expect([...(store.getSum('run-old', 1, 0, 'evaluation') ?? [])]).toEqual([1, 2]);
    } finally {
      store.close();
    }
  });

  it('refuses a state file from a newer version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    new StateStore(path).close();
    const db = new Database(path);
    db.exec("UPDATE meta SET value = '4' WHERE key = 'schema_version'");
    db.close();
    expect(() => new StateStore(path)).toThrow('state schema version 4 is not 3');
  });
});
