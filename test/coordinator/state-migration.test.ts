/**
 * Coordinator state files written by earlier versions (schemas 2 to 5, their SQL kept in
 * fixtures/state-schema-v<n>.sql as they were released) open under this one: the migrations
 * bring every table to exactly the columns a fresh file has, and keep every row. Version 4 is
 * the model registry's (branch int); masking's round_sites.mask_state and mask_messages are
 * version 5 (MIGRATE_4_TO_5); a model version's fairness and explanations columns version 6
 * (MIGRATE_5_TO_6).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../coordinator/state/schema.ts';
import { StateStore } from '../../coordinator/state/store.ts';

const V2_SQL = readFileSync(join(import.meta.dirname, 'fixtures/state-schema-v2.sql'), 'utf8');
const V3_SQL = readFileSync(join(import.meta.dirname, 'fixtures/state-schema-v3.sql'), 'utf8');
const V4_SQL = readFileSync(join(import.meta.dirname, 'fixtures/state-schema-v4.sql'), 'utf8');
const V5_SQL = readFileSync(join(import.meta.dirname, 'fixtures/state-schema-v5.sql'), 'utf8');

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

  /**
   * A state file made from a released schema's SQL, given `rows` (and first checked by `before`,
   * so a fixture that already had what the migration adds fails the test), opened by this
   * version: column for column a fresh file's, at the current version; then `check`.
   */
  function migrated(schemaSql: string, rows: string, check: (store: StateStore) => void, before?: (db: Database.Database) => void): void {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    const db = new Database(path);
    db.exec(schemaSql);
    before?.(db);
    db.exec(rows);
    db.close();
    const fresh = new StateStore(join(dir, 'fresh.sqlite'));
    const store = new StateStore(path);
    try {
      // Column for column the same as a file made by this version (order of adding aside).
      expect(columns(store.db)).toEqual(columns(fresh.db));
      expect((store.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string }).value).toBe(String(SCHEMA_VERSION));
      check(store);
    } finally {
      store.close();
      fresh.close();
    }
  }

  it('brings a version-2 state file to the current version keeping its rows', () => {
    expect(SCHEMA_VERSION).toBe(6);
    migrated(
      V2_SQL,
      `
      INSERT INTO meta (key, value) VALUES ('schema_version', '2');
      INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms, submitted_by, recruit_deadline_ms, created_at_ms, updated_at_ms)
        VALUES ('run-old', 'old', 'COMPLETED', '{}', 'x', '{"kind":"plain"}', 'fedavg', 1, 2, 1000, 'alice', 0, 1, 1);
      INSERT INTO run_sites (run_id, site, state, num_examples, updated_at_ms) VALUES ('run-old', 'site-a', 'ACCEPTED', 10, 1);
      INSERT INTO round_sites (run_id, round, site, state, eval_state, updated_at_ms) VALUES ('run-old', 1, 'site-a', 'DELIVERED', 'EVALUATED', 1);
    `,
      (store) => {
        expect(store.getRoundSite('run-old', 1, 'site-a')).toMatchObject({ state: 'DELIVERED', eval_state: 'EVALUATED', score_state: 'WAITING', score_json: null, mask_state: 'WAITING' });
        // Version 5: a masked round's messages have a table of their own.
        store.putMaskMessage('run-old', 1, 'keys', 'site-a', '', '{}');
        expect(store.maskMessages('run-old', 1, 'keys')).toEqual([{ from_site: 'site-a', to_site: '', json: '{}' }]);
        // An old ended run's end was never acknowledged: its FINISH task is sent once more, then acknowledged.
        expect(store.unacknowledgedEnds('site-a').map((r) => r.run_id)).toEqual(['run-old']);
        store.putSum('run-old', 1, 0, Uint8Array.of(1, 2), 'evaluation');
        expect([...(store.getSum('run-old', 1, 0, 'evaluation') ?? [])]).toEqual([1, 2]);
      }
    );
  });

  it('brings a version-3 state file to version 6: released models numbered per name in release order, pending approval', () => {
    const model = (id: string, run: string, name: string, at: number): string =>
      `INSERT INTO models (model_id, run_id, name, weights_sha256, spec_sha256, released_by, released_at_ms, bytes, weights, provenance_json)
         VALUES ('${id}', '${run}', '${name}', 'w', 's', 'site-a', ${at}, 4, x'00000000', '{"approval":"PENDING"}');`;
    // Released out of id order, two names, and two at the same instant (ordered by id).
    migrated(
      V3_SQL,
      `INSERT INTO meta (key, value) VALUES ('schema_version', '3');
      ${model('model-c', 'run-1', 'heart', 100)} ${model('model-a', 'run-2', 'heart', 300)} ${model('model-b', 'run-3', 'heart', 200)}
      ${model('model-z', 'run-4', 'sepsis', 50)} ${model('model-y', 'run-5', 'sepsis', 50)}`,
      (store) => {
        expect(store.models().map((m) => [m.name, m.version, m.model_id, m.approval, m.approved_by])).toEqual([
          ['heart', 1, 'model-c', 'PENDING', null],
          ['heart', 2, 'model-b', 'PENDING', null],
          ['heart', 3, 'model-a', 'PENDING', null],
          ['sepsis', 1, 'model-y', 'PENDING', null],
          ['sepsis', 2, 'model-z', 'PENDING', null],
        ]);
        expect(store.nextModelVersion('heart')).toBe(4);
        expect([...(store.getModel('model-a')?.weights ?? [])]).toEqual([0, 0, 0, 0]);
        // The (name, version) index came with the migration: a duplicate version is refused.
        expect(() => store.db.prepare("UPDATE models SET version = 1 WHERE model_id = 'model-a'").run()).toThrow(/UNIQUE constraint failed: models.name, models.version/);
        expect(store.modelAliases()).toEqual([]);
        // And through 4 to 5: the masking columns and table.
        expect((store.db.prepare('SELECT COUNT(*) AS n FROM mask_messages').get() as { n: number }).n).toBe(0);
      }
    );
  });

  it('brings a version-4 state file (the model registry) to version 6: round sites get mask_state WAITING, registry rows kept', () => {
    migrated(
      V4_SQL,
      `
      INSERT INTO meta (key, value) VALUES ('schema_version', '4');
      INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms, submitted_by, recruit_deadline_ms, created_at_ms, updated_at_ms)
        VALUES ('run-4', 'four', 'RUNNING', '{}', 'x', '{"kind":"plain"}', 'fedavg', 2, 2, 1000, 'alice', 0, 1, 1);
      INSERT INTO round_sites (run_id, round, site, state, eval_state, updated_at_ms) VALUES ('run-4', 1, 'site-a', 'DELIVERED', 'EVALUATED', 1);
      INSERT INTO models (model_id, run_id, name, weights_sha256, spec_sha256, released_by, released_at_ms, bytes, weights, provenance_json, version, approval)
        VALUES ('model-4', 'run-4', 'heart', 'w', 's', 'site-a', 10, 4, x'01020304', '{}', 7, 'APPROVED');
    `,
      (store) => {
        expect(store.getRoundSite('run-4', 1, 'site-a')).toMatchObject({ state: 'DELIVERED', eval_state: 'EVALUATED', mask_state: 'WAITING' });
        expect(store.models().map((m) => [m.model_id, m.name, m.version, m.approval])).toEqual([['model-4', 'heart', 7, 'APPROVED']]);
        store.putMaskMessage('run-4', 1, 'signature', 'site-a', '', '{"cohort":"x"}');
        expect(store.maskMessages('run-4', 1, 'signature')).toEqual([{ from_site: 'site-a', to_site: '', json: '{"cohort":"x"}' }]);
      },
      (db) => {
        // The version-4 file has no masking yet: the test would pass vacuously if the fixture had it.
        expect((db.prepare('PRAGMA table_info(round_sites)').all() as { name: string }[]).map((c) => c.name)).not.toContain('mask_state');
        expect(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mask_messages'").get()).toBeUndefined();
      },
    );
  });

  it('refuses a state file from a newer version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-migrate-'));
    dirs.push(dir);
    const path = join(dir, 'state.sqlite');
    new StateStore(path).close();
    const db = new Database(path);
    db.exec("UPDATE meta SET value = '7' WHERE key = 'schema_version'");
    db.close();
    expect(() => new StateStore(path)).toThrow('state schema version 7 is not 6');
  });

  it('brings a version-5 state file (masking) to version 6: models get empty fairness and explanations, rows kept', () => {
    migrated(
      V5_SQL,
      `
      INSERT INTO meta (key, value) VALUES ('schema_version', '5');
      INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms, submitted_by, recruit_deadline_ms, created_at_ms, updated_at_ms)
        VALUES ('run-5', 'five', 'FINISHED', '{}', 'x', '{"kind":"plain"}', 'fedavg', 1, 2, 1000, 'alice', 0, 1, 1);
      INSERT INTO round_sites (run_id, round, site, state, eval_state, updated_at_ms, mask_state) VALUES ('run-5', 1, 'site-a', 'DELIVERED', 'EVALUATED', 1, 'UNMASKED');
      INSERT INTO models (model_id, run_id, name, weights_sha256, spec_sha256, released_by, released_at_ms, bytes, weights, provenance_json, version, approval)
        VALUES ('model-5', 'run-5', 'heart', 'w', 's', 'site-a', 10, 4, x'01020304', '{}', 2, 'PENDING');
    `,
      (store) => {
        expect(store.getRoundSite('run-5', 1, 'site-a')).toMatchObject({ state: 'DELIVERED', mask_state: 'UNMASKED' });
        expect(store.db.prepare("SELECT model_id, version, fairness_json, explanations_json FROM models").all()).toEqual([
          { model_id: 'model-5', version: 2, fairness_json: null, explanations_json: null },
        ]);
      },
      (db) => {
        // The version-5 file has neither column: the test would pass vacuously if the fixture had them.
        expect((db.prepare('PRAGMA table_info(models)').all() as { name: string }[]).map((c) => c.name)).not.toContain('fairness_json');
      },
    );
  });
});
