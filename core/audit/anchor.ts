/**
 * What the writer keeps about its log outside the two files: the tree size and root of the
 * last checkpoint it signed (the anchor), and read access to the events its records came
 * from. Someone who can write audit.jsonl and checkpoints.jsonl but not the key can strip
 * or delete the latest checkpoints and rewrite what they covered; the anchor makes the
 * writer refuse such files instead of signing over them.
 *
 * The coordinator keeps both in its SQLite state: the anchor in a table of its own
 * (`audit_anchor`, created here with CREATE TABLE IF NOT EXISTS; it is no part of the
 * store's versioned schema), the events in the store's `events` table.
 */
import type { StoredEvent } from './events.ts';

export interface AuditAnchor {
  readonly size: number;
  /** The 32-byte Merkle root. */
  readonly root: Buffer;
}

/** The writer's durable state beside the files. */
export interface AuditState {
  /** The anchor of the log named `origin`; undefined when none was recorded yet. */
  readAnchor(origin: string): AuditAnchor | undefined;
  /** Records `anchor` as the last checkpoint signed for `origin`, durably. */
  writeAnchor(origin: string, anchor: AuditAnchor): void;
  /** The committed event with this id, or undefined. */
  event(id: number): StoredEvent | undefined;
}

/** The part of a better-sqlite3 database used here. */
export interface SqliteLike {
  exec(sql: string): unknown;
  prepare(sql: string): { get(...params: unknown[]): unknown; run(...params: unknown[]): unknown };
}

/** The audit state in the coordinator's SQLite database (its `events` table must exist). */
export function sqliteAuditState(db: SqliteLike): AuditState {
  db.exec('CREATE TABLE IF NOT EXISTS audit_anchor (origin TEXT PRIMARY KEY, tree_size INTEGER NOT NULL, root_hex TEXT NOT NULL, updated_at_ms INTEGER NOT NULL)');
  const read = db.prepare('SELECT tree_size, root_hex FROM audit_anchor WHERE origin = ?');
  const write = db.prepare(
    'INSERT INTO audit_anchor (origin, tree_size, root_hex, updated_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET tree_size = excluded.tree_size, root_hex = excluded.root_hex, updated_at_ms = excluded.updated_at_ms',
  );
  const event = db.prepare('SELECT * FROM events WHERE id = ?');
  return {
    readAnchor(origin) {
      const row = read.get(origin) as { tree_size: number; root_hex: string } | undefined;
      return row === undefined ? undefined : { size: row.tree_size, root: Buffer.from(row.root_hex, 'hex') };
    },
    writeAnchor(origin, anchor) {
      write.run(origin, anchor.size, anchor.root.toString('hex'), Date.now());
    },
    event(id) {
      return event.get(id) as StoredEvent | undefined;
    },
  };
}
