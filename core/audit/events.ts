/**
 * From a state-store event (who, what, which run, a JSON detail) to an audit record: ids
 * move to the target, the rest of the detail passes `safeDetails`, and the event id goes
 * into the details so that a restarted writer knows which events it already holds.
 */
import { canonicalJson } from '../canonical-json.ts';
import { safeDetails } from './details.ts';
import type { AppendInput, AuditActor, AuditDetailValue, AuditOutcome, AuditRecord, AuditTarget } from './record.ts';

/** A committed row of the events table, as the audit log receives it (coordinator/state/store.ts EventSink). */
export interface StoredEvent {
  readonly id: number;
  readonly at_ms: number;
  readonly actor: string;
  readonly action: string;
  readonly run_id: string | null;
  readonly detail_json: string;
}

/** Detail keys that name what was acted on, and the target field each fills. */
const TARGET_KEYS: Readonly<Record<string, keyof AuditTarget>> = { round: 'round', modelId: 'model', site: 'site', keyId: 'key', dataset: 'dataset', serial: 'certificate' };

function outcomeOf(action: string): AuditOutcome {
  if (action.endsWith('.refused')) return 'refused';
  return /\.(failed|failure)$/.test(action) ? 'failed' : 'ok';
}

/** The audit record of one committed event; `actorOf` gives the role of the event's actor name. */
export function eventRecord(event: StoredEvent, actorOf: (name: string) => AuditActor, extra: Readonly<Record<string, boolean>> = {}): AppendInput {
  let detail: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(event.detail_json);
    detail = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { detail: parsed };
  } catch {
    detail = { detail: event.detail_json };
  }
  const target: Record<string, string | number> = {};
  if (event.run_id !== null) target.run = event.run_id;
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail)) {
    const field = TARGET_KEYS[key];
    const fits = field === 'round' ? Number.isSafeInteger(value) && (value as number) >= 0 : typeof value === 'string' && value !== '';
    if (field !== undefined && fits) target[field] = value as string | number;
    else rest[key] = value;
  }
  const details: Record<string, AuditDetailValue> = { eventId: event.id, ...safeDetails(rest), ...extra };
  // Set last so that a detail key "eventId" cannot stand in for the real row id (the key keeps its first place in the line).
  details.eventId = event.id;
  return {
    time: new Date(event.at_ms),
    actor: actorOf(event.actor),
    action: event.action,
    target: target as AuditTarget,
    outcome: outcomeOf(event.action),
    details,
  };
}

/** The largest event id among audit records (0 when none came from an event). */
export function lastEventId(records: readonly AuditRecord[]): number {
  let last = 0;
  for (const r of records) {
    const id = r.details.eventId;
    if (typeof id === 'number' && id > last) last = id;
  }
  return last;
}

/**
 * Whether `record` is what `event` makes (the record's role aside, which the events table
 * does not hold): the first field that differs, or undefined when it matches.
 */
export function eventMismatch(record: AuditRecord, event: StoredEvent): string | undefined {
  const expected = eventRecord(event, () => record.actor, record.details.reconciled === true ? { reconciled: true } : {});
  if (record.actor.name !== event.actor) return 'actor';
  if (record.action !== expected.action) return 'action';
  if (canonicalJson(record.target) !== canonicalJson(expected.target ?? {})) return 'target';
  if (record.time !== expected.time!.toISOString()) return 'time';
  if (record.outcome !== expected.outcome) return 'outcome';
  if (canonicalJson(record.details) !== canonicalJson(expected.details ?? {})) return 'details';
  return undefined;
}
