/**
 * `cohort audit export`: an audit log's records since a time, as they are (JSON lines) or in
 * Elastic Common Schema (ECS 8.11) field names for Splunk or Elastic. Reference:
 * docs/governance.md#audit-export; field definitions: https://www.elastic.co/guide/en/ecs/8.11/.
 */
import { createHash } from 'node:crypto';
import { parseRecord, type AuditOutcome, type AuditRecord } from '../audit/record.ts';
import { AuditErrors, CohortError } from '../errors/index.ts';

export const EXPORT_FORMATS = ['jsonl', 'ecs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const ECS_VERSION = '8.11.0';

/** ECS `event.outcome` allows success, failure and unknown; a refused call and a failed step are both failures. */
const ECS_OUTCOME: Readonly<Record<AuditOutcome, 'success' | 'failure'>> = { ok: 'success', refused: 'failure', failed: 'failure' };

/** One record as an ECS document. Cohort's own fields (target, details, chain) go under `cohort.*`, as ECS asks of custom fields. */
export function ecsDocument(record: AuditRecord, line: Uint8Array, checkpointed: boolean): Record<string, unknown> {
  return {
    '@timestamp': record.time,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      module: 'cohort',
      dataset: 'cohort.audit',
      action: record.action,
      outcome: ECS_OUTCOME[record.outcome],
      sequence: record.index,
      hash: createHash('sha256').update(line).digest('hex'),
      original: Buffer.from(line).toString('utf8'),
    },
    user: { name: record.actor.name, roles: [record.actor.role] },
    cohort: { index: record.index, outcome: record.outcome, target: record.target, details: record.details, prev: record.prev, checkpointed },
  };
}

export interface ExportResult {
  /** The lines to write, each without its newline. */
  readonly lines: readonly string[];
  readonly records: number;
  readonly exported: number;
}

/**
 * The records among `lines` (the verified log's lines, as read once) with `time >= since`, in
 * `format`; records at index `covered` and beyond (after the last checkpoint) only when
 * `includeTail`, and then marked `cohort.checkpointed: false` in ECS. A line that is not a
 * record is COHORT_E_AUDIT_RECORD_MALFORMED.
 */
export function exportAudit(lines: readonly Buffer[], since: Date, format: ExportFormat, covered: number, includeTail: boolean): ExportResult {
  const out: string[] = [];
  lines.forEach((line, index) => {
    const r = parseRecord(line);
    if ('problem' in r) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${index}: ${r.problem}`, { details: { index } });
    if (index >= covered && !includeTail) return;
    if (Date.parse(r.record.time) < since.getTime()) return;
    out.push(format === 'jsonl' ? line.toString('utf8') : JSON.stringify(ecsDocument(r.record, line, index < covered)));
  });
  return { lines: out, records: lines.length, exported: out.length };
}
