/**
 * A hash-chained audit log without checkpoints, for a writer that holds no participant
 * certificate to sign them with: the provisioner (its only key is the CA's, often in an
 * HSM). Same file and record format as the coordinator's log (core/audit/record.ts): each
 * line's `prev` is the SHA-256 of the line before, so `cohort audit verify <dir>
 * --allow-unchecked` checks it (trust `none`: the chain catches a changed, inserted,
 * deleted or moved record, not a cut tail or a rewrite with a recomputed chain).
 *
 * The caller serializes writers (the provisioner appends under `.provisioner/lock`).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { appendDurably, fsyncDirectory, readLineFile } from '../audit/lines.ts';
import { AUDIT_LOG_FILE } from '../audit/audit-log.ts';
import { ZERO_HASH, lineHash, recordOf, serializeRecord, type AppendInput, type AuditRecord } from '../audit/record.ts';
import { verifyAuditContent } from '../audit/verify.ts';
import { AuditErrors, CohortError } from '../errors/index.ts';

function verifiedContent(file: string): ReturnType<typeof readLineFile> {
  const content = readLineFile(file);
  if (content.torn) {
    throw new CohortError(AuditErrors.LOG_TORN, `${file}: the last line (${content.torn.bytes.length} bytes at offset ${content.torn.offset}) has no newline; refusing to append to it`, {
      details: { file, index: content.lines.length, offset: content.torn.offset },
    });
  }
  verifyAuditContent({ lines: content.lines, checkpoints: [] });
  return content;
}

/** Verifies the chain of `<dir>/audit.jsonl` (absent: nothing to verify); the verifier's coded error when it is broken or torn. A writer checks before it changes anything. */
export function verifyChained(dir: string): void {
  verifiedContent(join(dir, AUDIT_LOG_FILE));
}

/**
 * Verifies the chain of `<dir>/audit.jsonl` (the verifier's coded error when it is broken or
 * torn: nothing is appended to a log that does not verify) and appends `inputs`, each line
 * written whole and fsynced. Returns the records appended.
 */
export function appendChained(dir: string, inputs: readonly AppendInput[]): AuditRecord[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, AUDIT_LOG_FILE);
  const content = verifiedContent(file);
  let prev = content.lines.length === 0 ? ZERO_HASH : lineHash(content.lines.at(-1)!);
  let index = content.lines.length;
  const fd = openSync(file, 'a', 0o600);
  const out: AuditRecord[] = [];
  try {
    if (index === 0) fsyncDirectory(file);
    for (const input of inputs) {
      const record = recordOf(input, index, prev);
      const line = serializeRecord(record);
      appendDurably(fd, Buffer.concat([line, Buffer.from('\n')]));
      prev = lineHash(line);
      index++;
      out.push(record);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
