/** SQLite schema of the coordinator's state. Versioned; migrations run at open. */
export const SCHEMA_VERSION = 6;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  spec_sha256 TEXT NOT NULL,
  codec_json TEXT NOT NULL,
  strategy TEXT NOT NULL,
  rounds INTEGER NOT NULL,
  min_sites INTEGER NOT NULL,
  round_timeout_ms INTEGER NOT NULL,
  current_round INTEGER NOT NULL DEFAULT 0,
  submitted_by TEXT NOT NULL,
  recruit_deadline_ms INTEGER NOT NULL,
  error_code TEXT,
  error TEXT,
  final_weights_sha256 TEXT,
  model_id TEXT,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS run_sites (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  site TEXT NOT NULL,
  state TEXT NOT NULL,
  reason_code TEXT,
  reason TEXT,
  num_examples INTEGER NOT NULL DEFAULT 0,
  dataset_fingerprint TEXT,
  planned_json TEXT,
  privacy_json TEXT,
  -- When the site acknowledged the run's end (its FINISH task); until then the task stays pending.
  finish_acked_ms INTEGER,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, site)
);

CREATE TABLE IF NOT EXISTS rounds (
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  round INTEGER NOT NULL,
  state TEXT NOT NULL,
  opened_at_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  closed_at_ms INTEGER,
  contributors INTEGER NOT NULL DEFAULT 0,
  metrics_json TEXT,
  PRIMARY KEY (run_id, round)
);

CREATE TABLE IF NOT EXISTS round_sites (
  run_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  site TEXT NOT NULL,
  state TEXT NOT NULL,
  eval_state TEXT NOT NULL DEFAULT 'WAITING',
  failure_code TEXT,
  failure TEXT,
  chunks INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  train_loss REAL,
  weights_sha256 TEXT,
  eval_json TEXT,
  score_state TEXT NOT NULL DEFAULT 'WAITING',
  score_json TEXT,
  mask_state TEXT NOT NULL DEFAULT 'WAITING',
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, round, site)
);

-- Masked rounds: what the sites sent for the round's masking, stored and relayed as sent:
-- kind 'keys' (signed advertisement, to_site ''), 'share' (sealed from -> to), 'receipt'
-- (signed contribution of a delivered upload, to_site ''), 'release' (released shares,
-- to_site ''), and 'unmask' (the published survivors and dropped, from and to '').
CREATE TABLE IF NOT EXISTS mask_messages (
  run_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  kind TEXT NOT NULL,
  from_site TEXT NOT NULL,
  to_site TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (run_id, round, kind, from_site, to_site)
);

-- One running sum per chunk index of a round: what the coordinator aggregates.
CREATE TABLE IF NOT EXISTS round_sums (
  run_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  chunk_index INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, round, chunk_index)
);

-- The same for a round's evaluation vectors (core/evaluation/summed-metrics.ts): the sites
-- alone decrypt the sum and report the consortium metrics.
CREATE TABLE IF NOT EXISTS eval_sums (
  run_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  chunk_index INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, round, chunk_index)
);

CREATE TABLE IF NOT EXISTS sites (
  site TEXT PRIMARY KEY,
  agent_version TEXT NOT NULL,
  backend TEXT NOT NULL,
  registered_at_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL
);

-- Key ceremony: public parameters of the consortium HE key (no key material), each site's
-- signed X25519 exchange key, and the secret key sealed to each site (opaque to the coordinator).
CREATE TABLE IF NOT EXISTS he_keys (
  key_id TEXT PRIMARY KEY,
  params_json TEXT NOT NULL,
  published_by TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- The signing key (SPKI SHA-256, SHA256:base64) of the certificate that first published each HE
-- key: later PublishSealedKeys for that key must come from a certificate with the same key. A
-- table of its own, created at every open, so state files made before it need no migration.
CREATE TABLE IF NOT EXISTS he_key_publishers (
  key_id TEXT PRIMARY KEY,
  signing_key_fingerprint TEXT NOT NULL,
  recorded_at_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS exchange_keys (
  site TEXT PRIMARY KEY,
  announcement_json TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS sealed_keys (
  key_id TEXT NOT NULL,
  site TEXT NOT NULL,
  sealed_json TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  PRIMARY KEY (key_id, site)
);

-- The model registry: final weights released at the end of a run, with their provenance.
CREATE TABLE IF NOT EXISTS models (
  model_id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  weights_sha256 TEXT NOT NULL,
  spec_sha256 TEXT NOT NULL,
  released_by TEXT NOT NULL,
  released_at_ms INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  weights BLOB NOT NULL,
  provenance_json TEXT NOT NULL,
  -- Registry (MLflow's vocabulary): the registered model is \`name\` (the spec's), this row one of its numbered versions.
  version INTEGER NOT NULL DEFAULT 0,
  -- The coordinator's Cohort version at release.
  software_version TEXT NOT NULL DEFAULT '',
  -- The intended clinical use: the spec's description at release, the approver's --use once approved.
  intended_use TEXT NOT NULL DEFAULT '',
  -- PENDING until an approver approves it (coordinator/registry/registry.ts).
  approval TEXT NOT NULL DEFAULT 'PENDING',
  approved_by TEXT,
  approved_at_ms INTEGER,
  approval_note TEXT,
  -- Subgroup fairness of the final evaluation (issue 13), JSON; NULL when the spec names no fairness attributes.
  fairness_json TEXT,
  -- Global attributions of the final evaluation (issue 13), JSON; NULL when none were computed.
  explanations_json TEXT
);

CREATE UNIQUE INDEX IF NOT EXISTS models_name_version ON models (name, version);

-- Aliases (champion, challenger, ...) of a registered model, each pointing at one of its versions.
CREATE TABLE IF NOT EXISTS model_aliases (
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  model_id TEXT NOT NULL REFERENCES models(model_id),
  set_by TEXT NOT NULL,
  set_at_ms INTEGER NOT NULL,
  note TEXT,
  PRIMARY KEY (name, alias)
);

CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  run_id TEXT,
  detail_json TEXT NOT NULL
);
`;

/** Statements that bring a version-1 state file to version 2 (new tables come from SCHEMA_SQL). */
export const MIGRATE_1_TO_2 = [
  'ALTER TABLE runs ADD COLUMN model_id TEXT',
  'ALTER TABLE run_sites ADD COLUMN planned_json TEXT',
  'ALTER TABLE run_sites ADD COLUMN privacy_json TEXT',
];

/** Version 2 to 3: each site's report of the consortium metrics and its acknowledgement of a run's end (eval_sums comes from SCHEMA_SQL). */
export const MIGRATE_2_TO_3 = [
  'ALTER TABLE run_sites ADD COLUMN finish_acked_ms INTEGER',
  "ALTER TABLE round_sites ADD COLUMN score_state TEXT NOT NULL DEFAULT 'WAITING'",
  'ALTER TABLE round_sites ADD COLUMN score_json TEXT',
];

/**
 * Version 3 to 4: the model registry's versions, approval and intended use (model_aliases and
 * the (name, version) index come from SCHEMA_SQL). Models released before it are numbered per
 * name in release order.
 */
export const MIGRATE_3_TO_4 = [
  // A version-1 file reaches this step before SCHEMA_SQL has made its models table: the version-3 shape first.
  `CREATE TABLE IF NOT EXISTS models (model_id TEXT PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL, weights_sha256 TEXT NOT NULL,
     spec_sha256 TEXT NOT NULL, released_by TEXT NOT NULL, released_at_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, weights BLOB NOT NULL, provenance_json TEXT NOT NULL)`,
  'ALTER TABLE models ADD COLUMN version INTEGER NOT NULL DEFAULT 0',
  "ALTER TABLE models ADD COLUMN software_version TEXT NOT NULL DEFAULT ''",
  "ALTER TABLE models ADD COLUMN intended_use TEXT NOT NULL DEFAULT ''",
  "ALTER TABLE models ADD COLUMN approval TEXT NOT NULL DEFAULT 'PENDING'",
  'ALTER TABLE models ADD COLUMN approved_by TEXT',
  'ALTER TABLE models ADD COLUMN approved_at_ms INTEGER',
  'ALTER TABLE models ADD COLUMN approval_note TEXT',
  `UPDATE models SET version = (SELECT COUNT(*) FROM models m WHERE m.name = models.name
     AND (m.released_at_ms < models.released_at_ms OR (m.released_at_ms = models.released_at_ms AND m.model_id <= models.model_id)))`,
];

/** Version 4 to 5: a site's part in a masked round's masking stages (mask_messages comes from SCHEMA_SQL). */
export const MIGRATE_4_TO_5 = ["ALTER TABLE round_sites ADD COLUMN mask_state TEXT NOT NULL DEFAULT 'WAITING'"];

/** Version 5 to 6: a model version's subgroup fairness and global attributions (issue 13). */
export const MIGRATE_5_TO_6 = ['ALTER TABLE models ADD COLUMN fairness_json TEXT', 'ALTER TABLE models ADD COLUMN explanations_json TEXT'];
