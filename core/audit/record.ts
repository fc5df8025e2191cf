/**
 * One audit record: a JSON object on one line of `audit.jsonl`. The exact line bytes
 * (without the newline) are a leaf of the log's Merkle tree, and the SHA-256 of those
 * bytes is the next record's `prev`, so every record commits to all before it.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** `prev` of the first record. */
export const ZERO_HASH = '0'.repeat(64);

export const OUTCOMES = ['ok', 'refused', 'failed'] as const;
export type AuditOutcome = (typeof OUTCOMES)[number];

/** Who acted: the name and role of a certificate identity, or the writer itself. */
export interface AuditActor {
  readonly name: string;
  readonly role: string;
}

/** What was acted on; only the ids that apply are present. */
export interface AuditTarget {
  readonly run?: string;
  readonly round?: number;
  readonly model?: string;
  readonly dataset?: string;
  readonly certificate?: string;
  readonly site?: string;
  readonly rpc?: string;
  readonly key?: string;
}

/** A detail value: a size, a count, a code, a hash or an id, never free text or a record's value. */
export type AuditDetailValue = string | number | boolean | null | readonly string[];

export interface AuditRecord {
  readonly index: number;
  readonly time: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: AuditTarget;
  readonly outcome: AuditOutcome;
  readonly details: Readonly<Record<string, AuditDetailValue>>;
  readonly prev: string;
}

/** What a caller gives the writer to append: the record without its index and prev. */
export interface AppendInput {
  /** When it happened; now by default. */
  readonly time?: Date;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target?: AuditTarget;
  readonly outcome: AuditOutcome;
  readonly details?: Readonly<Record<string, AuditDetailValue>>;
}

/** The record `input` becomes at position `index`, chained to `prev` (the SHA-256 of the line before, hex). */
export function recordOf(input: AppendInput, index: number, prev: string): AuditRecord {
  return {
    index,
    time: (input.time ?? new Date()).toISOString(),
    actor: input.actor,
    action: input.action,
    target: input.target ?? {},
    outcome: input.outcome,
    details: input.details ?? {},
    prev,
  };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** The schema a line must meet; `.strict()` so that an added field is as visible as a changed one. */
export const auditRecordSchema = z
  .object({
    index: z.number().int().nonnegative(),
    time: z.string().datetime(),
    actor: z.object({ name: z.string().min(1), role: z.string().min(1) }).strict(),
    action: z.string().regex(/^[a-z][a-z0-9.-]*$/),
    target: z
      .object({
        run: z.string().optional(),
        round: z.number().int().nonnegative().optional(),
        model: z.string().optional(),
        dataset: z.string().optional(),
        certificate: z.string().optional(),
        site: z.string().optional(),
        rpc: z.string().optional(),
        key: z.string().optional(),
      })
      .strict(),
    outcome: z.enum(OUTCOMES),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
    prev: hex64,
  })
  .strict();

/** The line of a record, fields in a fixed order, without the newline. */
export function serializeRecord(r: AuditRecord): Buffer {
  const ordered = { index: r.index, time: r.time, actor: { name: r.actor.name, role: r.actor.role }, action: r.action, target: r.target, outcome: r.outcome, details: r.details, prev: r.prev };
  return Buffer.from(JSON.stringify(ordered), 'utf8');
}

/** SHA-256 hex of a line's bytes (without its newline): what the next record's `prev` holds. */
export function lineHash(line: Uint8Array): string {
  return createHash('sha256').update(line).digest('hex');
}

/** Parses one line; returns the problem (a message naming the field) when it is not a record. */
export function parseRecord(line: Uint8Array): { record: AuditRecord } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(line).toString('utf8'));
  } catch (e) {
    return { problem: `not JSON: ${(e as Error).message}` };
  }
  const parsed = auditRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `${issue.path.join('.') || '(record)'}: ${issue.message}` };
  }
  return { record: parsed.data as AuditRecord };
}
