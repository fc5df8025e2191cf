/**
 * The coordinator's durable state: SQLite (WAL) through better-sqlite3. Every method is
 * synchronous and every multi-row change runs in one transaction, so a coordinator killed
 * at any instant restarts from a consistent state.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StoredEvent } from '../../core/audit/events.ts';
import { CrashHook } from './crash-hook.ts';
import { MIGRATE_1_TO_2, MIGRATE_2_TO_3, MIGRATE_3_TO_4, MIGRATE_4_TO_5, MIGRATE_5_TO_6, SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import type { RoundState, RunSiteState, RunState, SiteEvalState, SiteRoundState, SiteScoreState, SiteMaskState } from './states.ts';

export interface RunRow {
  run_id: string;
  name: string;
  state: RunState;
  spec_json: string;
  spec_sha256: string;
  codec_json: string;
  strategy: string;
  rounds: number;
  min_sites: number;
  round_timeout_ms: number;
  current_round: number;
  submitted_by: string;
  recruit_deadline_ms: number;
  error_code: string | null;
  error: string | null;
  final_weights_sha256: string | null;
  /** Registry id of the released final model. */
  model_id?: string | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface RunSiteRow {
  run_id: string;
  site: string;
  state: RunSiteState;
  reason_code: string | null;
  reason: string | null;
  num_examples: number;
  dataset_fingerprint: string | null;
  /** JSON PrivacySpend the site planned when accepting. */
  planned_json?: string | null;
  /** JSON PrivacySpend the site last reported. */
  privacy_json?: string | null;
  /** When the site acknowledged the run's end; null while its FINISH task is pending. */
  finish_acked_ms?: number | null;
  updated_at_ms: number;
}

export interface RoundRow {
  run_id: string;
  round: number;
  state: RoundState;
  opened_at_ms: number;
  deadline_ms: number;
  closed_at_ms: number | null;
  contributors: number;
  metrics_json: string | null;
}

export interface RoundSiteRow {
  run_id: string;
  round: number;
  site: string;
  state: SiteRoundState;
  eval_state: SiteEvalState;
  failure_code: string | null;
  failure: string | null;
  chunks: number;
  bytes: number;
  train_loss: number | null;
  weights_sha256: string | null;
  /** The site's own metrics, only when its release policy lets them go. */
  eval_json: string | null;
  score_state: SiteScoreState;
  /** The consortium metrics this site decrypted and reported (ConsortiumMetrics JSON). */
  score_json: string | null;
  /** The site's part in the current masking stage of a masked round. */
  mask_state: SiteMaskState;
  updated_at_ms: number;
}

/** What a masked round's mask_messages hold (schema.ts). */
export type MaskMessageKind = 'keys' | 'share' | 'signature' | 'receipt' | 'release' | 'unmask';

/** Which running sums: a round's updates, or its evaluation vectors. */
export type SumKind = 'update' | 'evaluation';

const SUM_TABLES: Readonly<Record<SumKind, string>> = { update: 'round_sums', evaluation: 'eval_sums' };

/** Where committed events go (the audit log), and what to do when delivery fails. */
export interface EventSink {
  deliver(event: StoredEvent): void;
  onError(error: unknown, event: StoredEvent): void;
}

export interface SiteRow {
  site: string;
  agent_version: string;
  backend: string;
  registered_at_ms: number;
  last_seen_ms: number;
}

export class StateStore {
  readonly db: Database.Database;
  private sink: { target: EventSink; after: number } | undefined;
  /** Set by appendEvent, at attach and by a failed delivery: only then has deliverEvents anything to read. */
  private eventsPending = false;
  private eventsAfter: Database.Statement | undefined;
  private readonly crash = new CrashHook();

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    const existing = this.schemaVersion();
    const migrations: readonly (readonly string[])[] = [MIGRATE_1_TO_2, MIGRATE_2_TO_3, MIGRATE_3_TO_4, MIGRATE_4_TO_5, MIGRATE_5_TO_6];
    for (let from = existing ?? SCHEMA_VERSION; from < SCHEMA_VERSION; from++) {
      const steps = migrations[from - 1];
      if (!steps) break;
      this.tx(() => {
        for (const sql of steps) this.db.exec(sql);
        this.db.prepare('UPDATE meta SET value = ? WHERE key = ?').run(String(from + 1), 'schema_version');
      });
    }
    this.db.exec(SCHEMA_SQL);
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
    if (!row) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    else if (Number(row.value) !== SCHEMA_VERSION) throw new Error(`state schema version ${row.value} is not ${SCHEMA_VERSION}`);
  }

  private schemaVersion(): number | undefined {
    const hasMeta = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
    if (!hasMeta) return undefined;
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
    return row ? Number(row.value) : undefined;
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one transaction; nested calls join the outer one. Committed events then go to the event sink. */
  tx<T>(fn: () => T): T {
    const outermost = !this.db.inTransaction;
    let committed = false;
    try {
      const result = this.db.transaction(fn)();
      committed = true;
      return result;
    } finally {
      if (outermost) {
        // Test-only fault injection (crash-hook.ts); a no-op unless COHORT_TEST_CRASH_AT is set.
        if (committed) this.crash.committed();
        else this.crash.rolledBack();
        this.deliverEvents();
      }
    }
  }

  /**
   * Sends every committed event with an id above `afterId` to `sink`, now (the start-up
   * reconciliation) and after each later commit. The events table is the source of truth:
   * an event reaches the sink only once its transaction has committed, and one the sink
   * failed to take, or that a crash kept from it, is sent again at the next delivery.
   */
  attachEventSink(afterId: number, sink: EventSink): void {
    this.sink = { target: sink, after: afterId };
    this.eventsPending = true;
    this.deliverEvents();
  }

  /**
   * Delivers committed events the sink has not taken yet; a no-op inside a transaction, and
   * when no event was appended since the last delivery (a failed one is tried again).
   */
  deliverEvents(): void {
    const sink = this.sink;
    if (sink === undefined || !this.eventsPending || this.db.inTransaction || !this.db.open) return;
    this.eventsPending = false;
    this.eventsAfter ??= this.db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id');
    const rows = this.eventsAfter.all(sink.after) as StoredEvent[];
    for (const row of rows) {
      try {
        sink.target.deliver(row);
      } catch (e) {
        this.eventsPending = true;
        sink.target.onError(e, row);
        return;
      }
      sink.after = row.id;
    }
  }

  insertRun(row: RunRow): void {
    this.db
      .prepare(
        `INSERT INTO runs (run_id, name, state, spec_json, spec_sha256, codec_json, strategy, rounds, min_sites, round_timeout_ms,
          current_round, submitted_by, recruit_deadline_ms, error_code, error, final_weights_sha256, created_at_ms, updated_at_ms)
         VALUES (@run_id, @name, @state, @spec_json, @spec_sha256, @codec_json, @strategy, @rounds, @min_sites, @round_timeout_ms,
          @current_round, @submitted_by, @recruit_deadline_ms, @error_code, @error, @final_weights_sha256, @created_at_ms, @updated_at_ms)`,
      )
      .run(row);
  }

  getRun(runId: string): RunRow | undefined {
    return this.db.prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as RunRow | undefined;
  }

  listRuns(): RunRow[] {
    return this.db.prepare('SELECT * FROM runs ORDER BY created_at_ms DESC, run_id').all() as RunRow[];
  }

  runsInState(...states: RunState[]): RunRow[] {
    const marks = states.map(() => '?').join(',');
    return this.db.prepare(`SELECT * FROM runs WHERE state IN (${marks}) ORDER BY created_at_ms`).all(...states) as RunRow[];
  }

  updateRun(runId: string, fields: Partial<Omit<RunRow, 'run_id'>>, now: number): void {
    const keys = Object.keys(fields);
    const sets = [...keys.map((k) => `${k} = @${k}`), 'updated_at_ms = @updated_at_ms'].join(', ');
    this.db.prepare(`UPDATE runs SET ${sets} WHERE run_id = @run_id`).run({ ...fields, updated_at_ms: now, run_id: runId });
  }

  upsertRunSite(row: RunSiteRow): void {
    this.db
      .prepare(
        `INSERT INTO run_sites (run_id, site, state, reason_code, reason, num_examples, dataset_fingerprint, updated_at_ms)
         VALUES (@run_id, @site, @state, @reason_code, @reason, @num_examples, @dataset_fingerprint, @updated_at_ms)
         ON CONFLICT (run_id, site) DO UPDATE SET state = excluded.state, reason_code = excluded.reason_code, reason = excluded.reason,
           num_examples = excluded.num_examples, dataset_fingerprint = excluded.dataset_fingerprint, updated_at_ms = excluded.updated_at_ms`,
      )
      .run(row);
  }

  /** Records what a site planned (on accepting) or has spent (after a round). */
  setRunSitePrivacy(runId: string, site: string, fields: { planned_json?: string; privacy_json?: string }): void {
    for (const [column, value] of Object.entries(fields)) {
      this.db.prepare(`UPDATE run_sites SET ${column === 'planned_json' ? 'planned_json' : 'privacy_json'} = ? WHERE run_id = ? AND site = ?`).run(value, runId, site);
    }
  }

  getRunSite(runId: string, site: string): RunSiteRow | undefined {
    return this.db.prepare('SELECT * FROM run_sites WHERE run_id = ? AND site = ?').get(runId, site) as RunSiteRow | undefined;
  }

  /** Ended runs this site was invited to and has not acknowledged the end of, oldest first. */
  unacknowledgedEnds(site: string): RunRow[] {
    return this.db
      .prepare(
        `SELECT r.* FROM runs r JOIN run_sites s ON s.run_id = r.run_id
         WHERE s.site = ? AND s.finish_acked_ms IS NULL AND r.state IN ('COMPLETED', 'FAILED', 'CANCELLED')
         ORDER BY r.updated_at_ms, r.run_id`,
      )
      .all(site) as RunRow[];
  }

  /** Records the site's acknowledgement of the run's end; false when it was already recorded. */
  acknowledgeEnd(runId: string, site: string, now: number): boolean {
    return this.db.prepare('UPDATE run_sites SET finish_acked_ms = ? WHERE run_id = ? AND site = ? AND finish_acked_ms IS NULL').run(now, runId, site).changes > 0;
  }

  runSites(runId: string): RunSiteRow[] {
    return this.db.prepare('SELECT * FROM run_sites WHERE run_id = ? ORDER BY site').all(runId) as RunSiteRow[];
  }

  insertRound(row: RoundRow): void {
    this.db
      .prepare(
        `INSERT INTO rounds (run_id, round, state, opened_at_ms, deadline_ms, closed_at_ms, contributors, metrics_json)
         VALUES (@run_id, @round, @state, @opened_at_ms, @deadline_ms, @closed_at_ms, @contributors, @metrics_json)`,
      )
      .run(row);
  }

  getRound(runId: string, round: number): RoundRow | undefined {
    return this.db.prepare('SELECT * FROM rounds WHERE run_id = ? AND round = ?').get(runId, round) as RoundRow | undefined;
  }

  rounds(runId: string): RoundRow[] {
    return this.db.prepare('SELECT * FROM rounds WHERE run_id = ? ORDER BY round').all(runId) as RoundRow[];
  }

  updateRound(runId: string, round: number, fields: Partial<Omit<RoundRow, 'run_id' | 'round'>>): void {
    const sets = Object.keys(fields).map((k) => `${k} = @${k}`).join(', ');
    this.db.prepare(`UPDATE rounds SET ${sets} WHERE run_id = @run_id AND round = @round`).run({ ...fields, run_id: runId, round });
  }

  insertRoundSite(row: Pick<RoundSiteRow, 'run_id' | 'round' | 'site' | 'state' | 'updated_at_ms'>): void {
    this.db
      .prepare('INSERT INTO round_sites (run_id, round, site, state, updated_at_ms) VALUES (@run_id, @round, @site, @state, @updated_at_ms)')
      .run(row);
  }

  getRoundSite(runId: string, round: number, site: string): RoundSiteRow | undefined {
    return this.db.prepare('SELECT * FROM round_sites WHERE run_id = ? AND round = ? AND site = ?').get(runId, round, site) as
      | RoundSiteRow
      | undefined;
  }

  roundSites(runId: string, round: number): RoundSiteRow[] {
    return this.db.prepare('SELECT * FROM round_sites WHERE run_id = ? AND round = ? ORDER BY site').all(runId, round) as RoundSiteRow[];
  }

  updateRoundSite(runId: string, round: number, site: string, fields: Partial<Omit<RoundSiteRow, 'run_id' | 'round' | 'site'>>): void {
    const sets = Object.keys(fields).map((k) => `${k} = @${k}`).join(', ');
    this.db
      .prepare(`UPDATE round_sites SET ${sets} WHERE run_id = @run_id AND round = @round AND site = @site`)
      .run({ ...fields, run_id: runId, round, site });
  }

  putMaskMessage(runId: string, round: number, kind: MaskMessageKind, from: string, to: string, json: string): void {
    this.db
      .prepare(
        `INSERT INTO mask_messages (run_id, round, kind, from_site, to_site, json) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, round, kind, from_site, to_site) DO UPDATE SET json = excluded.json`,
      )
      .run(runId, round, kind, from, to, json);
  }

  /** A masked round's messages of one kind, in site order; `to` narrows to those for one site. */
  maskMessages(runId: string, round: number, kind: MaskMessageKind, to?: string): { from_site: string; to_site: string; json: string }[] {
    const sql = `SELECT from_site, to_site, json FROM mask_messages WHERE run_id = ? AND round = ? AND kind = ?${to === undefined ? '' : ' AND to_site = ?'} ORDER BY from_site, to_site`;
    return this.db.prepare(sql).all(...(to === undefined ? [runId, round, kind] : [runId, round, kind, to])) as { from_site: string; to_site: string; json: string }[];
  }

  getSum(runId: string, round: number, chunkIndex: number, kind: SumKind = 'update'): Buffer | undefined {
    const row = this.db.prepare(`SELECT data FROM ${SUM_TABLES[kind]} WHERE run_id = ? AND round = ? AND chunk_index = ?`).get(runId, round, chunkIndex) as
      | { data: Buffer }
      | undefined;
    return row?.data;
  }

  putSum(runId: string, round: number, chunkIndex: number, data: Uint8Array, kind: SumKind = 'update'): void {
    this.db
      .prepare(
        `INSERT INTO ${SUM_TABLES[kind]} (run_id, round, chunk_index, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (run_id, round, chunk_index) DO UPDATE SET data = excluded.data`,
      )
      .run(runId, round, chunkIndex, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  sumChunkCount(runId: string, round: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM round_sums WHERE run_id = ? AND round = ?').get(runId, round) as { n: number }).n;
  }

  upsertSite(site: string, agentVersion: string, backend: string, now: number): void {
    this.db
      .prepare(
        `INSERT INTO sites (site, agent_version, backend, registered_at_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (site) DO UPDATE SET agent_version = excluded.agent_version, backend = excluded.backend, last_seen_ms = excluded.last_seen_ms`,
      )
      .run(site, agentVersion, backend, now, now);
  }

  touchSite(site: string, now: number): void {
    this.db.prepare('UPDATE sites SET last_seen_ms = ? WHERE site = ?').run(now, site);
  }

  sites(): SiteRow[] {
    return this.db.prepare('SELECT * FROM sites ORDER BY site').all() as SiteRow[];
  }

  appendEvent(actor: string, action: string, runId: string | null, detail: Record<string, unknown>, now: number): void {
    this.db
      .prepare('INSERT INTO events (at_ms, actor, action, run_id, detail_json) VALUES (?, ?, ?, ?, ?)')
      .run(now, actor, action, runId, JSON.stringify(detail));
    this.eventsPending = true;
    this.crash.eventRecorded(action, this.db.inTransaction);
    // Outside a transaction the insert has committed already; inside one, tx() delivers after COMMIT.
    if (!this.db.inTransaction) this.deliverEvents();
  }

  // ---- key ceremony -------------------------------------------------------------------

  putExchangeKey(site: string, announcementJson: string, now: number): void {
    this.db
      .prepare('INSERT INTO exchange_keys (site, announcement_json, updated_at_ms) VALUES (?, ?, ?) ON CONFLICT (site) DO UPDATE SET announcement_json = excluded.announcement_json, updated_at_ms = excluded.updated_at_ms')
      .run(site, announcementJson, now);
  }

  exchangeKeys(): { site: string; announcement_json: string }[] {
    return this.db.prepare('SELECT site, announcement_json FROM exchange_keys ORDER BY site').all() as { site: string; announcement_json: string }[];
  }

  /** The consortium HE key's public parameters; one key per consortium. */
  heKey(): { key_id: string; params_json: string; published_by: string } | undefined {
    return this.db.prepare('SELECT key_id, params_json, published_by FROM he_keys ORDER BY created_at_ms LIMIT 1').get() as
      | { key_id: string; params_json: string; published_by: string }
      | undefined;
  }

  /** Stores the key's public parameters and the signing-key fingerprint of the certificate that published it. */
  insertHeKey(keyId: string, paramsJson: string, publishedBy: string, publisherKey: string, now: number): void {
    this.tx(() => {
      this.db.prepare('INSERT INTO he_keys (key_id, params_json, published_by, created_at_ms) VALUES (?, ?, ?, ?)').run(keyId, paramsJson, publishedBy, now);
      this.recordHeKeyPublisher(keyId, publisherKey, now);
    });
  }

  /** The signing-key fingerprint recorded for `keyId`'s publisher; undefined for a key stored before it was recorded. */
  heKeyPublisher(keyId: string): string | undefined {
    return (this.db.prepare('SELECT signing_key_fingerprint FROM he_key_publishers WHERE key_id = ?').get(keyId) as { signing_key_fingerprint: string } | undefined)?.signing_key_fingerprint;
  }

  /** Records the publisher's signing key once; never replaces one (a second record throws). */
  recordHeKeyPublisher(keyId: string, publisherKey: string, now: number): void {
    this.db.prepare('INSERT INTO he_key_publishers (key_id, signing_key_fingerprint, recorded_at_ms) VALUES (?, ?, ?)').run(keyId, publisherKey, now);
  }

  /**
   * Stores a sealed copy for `site`, replacing one sealed to an earlier exchange key of that
   * site; the caller (coordinator/server/site-service.ts) refuses to replace a copy sealed to
   * the same exchange key.
   */
  putSealedKey(keyId: string, site: string, sealedJson: string, now: number): void {
    this.db
      .prepare('INSERT INTO sealed_keys (key_id, site, sealed_json, created_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (key_id, site) DO UPDATE SET sealed_json = excluded.sealed_json, created_at_ms = excluded.created_at_ms')
      .run(keyId, site, sealedJson, now);
  }

  sealedKey(keyId: string, site: string): string | undefined {
    return (this.db.prepare('SELECT sealed_json FROM sealed_keys WHERE key_id = ? AND site = ?').get(keyId, site) as { sealed_json: string } | undefined)?.sealed_json;
  }


  // ---- model registry -----------------------------------------------------------------

  insertModel(row: ModelRow): void {
    this.db
      .prepare(
        `INSERT INTO models (model_id, run_id, name, weights_sha256, spec_sha256, released_by, released_at_ms, bytes, weights, provenance_json,
          version, software_version, intended_use, approval, approved_by, approved_at_ms, approval_note, fairness_json, explanations_json)
         VALUES (@model_id, @run_id, @name, @weights_sha256, @spec_sha256, @released_by, @released_at_ms, @bytes, @weights, @provenance_json,
          @version, @software_version, @intended_use, @approval, @approved_by, @approved_at_ms, @approval_note, @fairness_json, @explanations_json)`,
      )
      .run({ fairness_json: null, explanations_json: null, ...row });
  }

  /** Every version, or those of one registered model, in (name, version) order; without weights. */
  models(name?: string): ModelInfo[] {
    return (
      name === undefined
        ? this.db.prepare(`SELECT ${MODEL_INFO_COLUMNS} FROM models ORDER BY name, version`).all()
        : this.db.prepare(`SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE name = ? ORDER BY version`).all(name)
    ) as ModelInfo[];
  }

  getModel(modelId: string): ModelRow | undefined {
    return this.db.prepare('SELECT * FROM models WHERE model_id = ?').get(modelId) as ModelRow | undefined;
  }

  modelOfRun(runId: string): ModelInfo | undefined {
    return this.db.prepare(`SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE run_id = ?`).get(runId) as ModelInfo | undefined;
  }

  modelInfo(modelId: string): ModelInfo | undefined {
    return this.db.prepare(`SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE model_id = ?`).get(modelId) as ModelInfo | undefined;
  }

  modelVersion(name: string, version: number): ModelInfo | undefined {
    return this.db.prepare(`SELECT ${MODEL_INFO_COLUMNS} FROM models WHERE name = ? AND version = ?`).get(name, version) as ModelInfo | undefined;
  }

  /** The next version number of registered model `name` (1 for a new name). */
  nextModelVersion(name: string): number {
    return (this.db.prepare('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM models WHERE name = ?').get(name) as { v: number }).v;
  }

  /** Rewrites a version's fairness record (its review, once an approver records one). */
  setModelFairness(modelId: string, fairnessJson: string): void {
    this.db.prepare('UPDATE models SET fairness_json = ? WHERE model_id = ?').run(fairnessJson, modelId);
  }

  /** Records an approval; false when the version was approved already (or does not exist). */
  approveModel(modelId: string, fields: { approved_by: string; approved_at_ms: number; approval_note: string; intended_use: string }): boolean {
    return (
      this.db
        .prepare(
          `UPDATE models SET approval = 'APPROVED', approved_by = @approved_by, approved_at_ms = @approved_at_ms, approval_note = @approval_note,
             intended_use = @intended_use WHERE model_id = @model_id AND approval = 'PENDING'`,
        )
        .run({ ...fields, model_id: modelId }).changes > 0
    );
  }

  /** Aliases of every registered model, or of one, in (name, alias) order. */
  modelAliases(name?: string): ModelAliasRow[] {
    return (
      name === undefined
        ? this.db.prepare('SELECT * FROM model_aliases ORDER BY name, alias').all()
        : this.db.prepare('SELECT * FROM model_aliases WHERE name = ? ORDER BY alias').all(name)
    ) as ModelAliasRow[];
  }

  modelAlias(name: string, alias: string): ModelAliasRow | undefined {
    return this.db.prepare('SELECT * FROM model_aliases WHERE name = ? AND alias = ?').get(name, alias) as ModelAliasRow | undefined;
  }

  setModelAlias(row: ModelAliasRow): void {
    this.db
      .prepare(
        `INSERT INTO model_aliases (name, alias, model_id, set_by, set_at_ms, note) VALUES (@name, @alias, @model_id, @set_by, @set_at_ms, @note)
         ON CONFLICT (name, alias) DO UPDATE SET model_id = excluded.model_id, set_by = excluded.set_by, set_at_ms = excluded.set_at_ms, note = excluded.note`,
      )
      .run(row);
  }
}

const MODEL_INFO_COLUMNS = `model_id, run_id, name, weights_sha256, spec_sha256, released_by, released_at_ms, bytes, provenance_json,
  version, software_version, intended_use, approval, approved_by, approved_at_ms, approval_note, fairness_json, explanations_json`;

/** PENDING until an approver approves the version. */
export type ModelApproval = 'PENDING' | 'APPROVED';

export interface ModelRow {
  model_id: string;
  run_id: string;
  name: string;
  weights_sha256: string;
  spec_sha256: string;
  released_by: string;
  released_at_ms: number;
  bytes: number;
  weights: Buffer;
  provenance_json: string;
  /** The version number within registered model `name`, from 1. */
  version: number;
  software_version: string;
  intended_use: string;
  approval: ModelApproval;
  approved_by: string | null;
  approved_at_ms: number | null;
  approval_note: string | null;
  /** The final evaluation's subgroup fairness with its review verdict (coordinator/registry/fairness-review.ts); null without fairness attributes. */
  fairness_json?: string | null;
  /** The final evaluation's global explanations, or why there are none; null when the spec asks for none. */
  explanations_json?: string | null;
}

/** A model version without its weights. */
export type ModelInfo = Omit<ModelRow, 'weights'>;

export interface ModelAliasRow {
  name: string;
  alias: string;
  model_id: string;
  set_by: string;
  set_at_ms: number;
  note: string | null;
}
