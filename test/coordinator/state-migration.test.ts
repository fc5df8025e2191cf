/**
 * A coordinator state file written by the previous version (schema 2, its SQL kept in
 * fixtures/state-schema-v2.sql as it was released) opens under this one: the migration brings
 * (through version 3 to 4) every table to exactly the columns a fresh file has, and keeps every row.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../coordinator/state/schema.ts';
import { StateStore } from '../../coordinator/state/store.ts';

const V2_SQL = readFileSync(join(import.meta.dirname, 'fixtures/state-schema-v2.sql'), 'utf8');

/** Every table's columns (name, type, not-null, default), as SQLite describes them. */
function columns(db: Database.Database): Record<string, unknown[]> {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string; type: string; notnull: number; dflt_value: unknown }[]).map((c) => [c.name, c.type, c.notnull, c.dflt_value]).sort()]));
}

describe('coordinator state migration', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('brings a version-2 state file to version 4 keeping its rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    const db = new Database(path);
    db.exec(V2_SQL);
    db.exec(`
      INSERT INTO meta (key, value) VALUES ('schema_version', '2');
      INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms, submitted_by, recruit_deadline_ms, created_at_ms, updated_at_ms)
        VALUES ('run-old', 'old', 'COMPLETED', '{}', 'x', '{"kind":"plain"}', 'fedavg', 1, 2, 1000, 'alice', 0, 1, 1);
      INSERT INTO run_sites (run_id, site, state, num_examples, updated_at_ms) VALUES ('run-old', 'site-a', 'ACCEPTED', 10, 1);
      INSERT INTO round_sites (run_id, round, site, state, eval_state, updated_at_ms) VALUES ('run-old', 1, 'site-a', 'DELIVERED', 'EVALUATED', 1);
    `);
    db.close();
    expect(SCHEMA_VERSION).toBe(4);
    const fresh = new StateStore(join(dir, 'fresh.sqlite'));
    const store = new StateStore(path);
    try {
      // Column for column the same as a file made by this version (order of adding aside).
      expect(columns(store.db)).toEqual(columns(fresh.db));
      expect((store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe('4');
      expect(store.getRoundSite('run-old', 1, 'site-a')).toMatchObject({ state: 'DELIVERED', eval_state: 'EVALUATED', score_state: 'WAITING', score_json: null, mask_state: 'WAITING' });
      // Version 4: a masked round's messages have a table of their own.
      store.putMaskMessage('run-old', 1, 'keys', 'site-a', '', '{}');
      expect(store.maskMessages('run-old', 1, 'keys')).toEqual([{ from_site: 'site-a', to_site: '', json: '{}' }]);
      // An old ended run's end was never acknowledged: its FINISH task is sent once more, then acknowledged.
      expect(store.unacknowledgedEnds('site-a').map((r) => r.run_id)).toEqual(['run-old']);
      store.putSum('run-old', 1, 0, Uint8Array.of(1, 2), 'evaluation');
      expect([...(store.getSum('run-old', 1, 0, 'evaluation') ?? [])]).toEqual([1, 2]);
    } finally {
      store.close();
      fresh.close();
    }
  });

  it('refuses a state file from a newer version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    new StateStore(path).close();
    const db = new Database(path);
    db.exec("UPDATE meta SET value = '5' WHERE key = 'schema_version'");
    db.close();
    expect(() => new StateStore(path)).toThrow('state schema version 5 is not 4');
  });
});
