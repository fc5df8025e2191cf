import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the audit area: the hash-chained, Merkle-checkpointed audit log
 * (core/audit) and its verifier (`cohort audit verify`). Every tampering kind has its
 * own code, and the details name the record `index` at fault.
 */
export const AuditErrors = defineErrors({
  LOG_UNREADABLE: {
    code: 'COHORT_E_AUDIT_LOG_UNREADABLE',
    grpc: status.NOT_FOUND,
    meaning: 'The audit log (audit.jsonl) or a checkpoint file named for verification does not exist or cannot be read.',
    fix: 'Pass the audit directory (<state dir>/audit) or the audit.jsonl file itself, and a readable --checkpoint file.',
  },
  LOG_TORN: {
    code: 'COHORT_E_AUDIT_LOG_TORN',
    grpc: status.DATA_LOSS,
    meaning: 'The last line of the audit log (or checkpoint file) has no newline: an append was cut off mid-line, or the file was cut.',
    fix: 'Start the writer (the coordinator) once: it sets the torn bytes aside in a .torn file, records the repair, and re-appends the lost events; then verify again.',
  },
  RECORD_MALFORMED: {
    code: 'COHORT_E_AUDIT_RECORD_MALFORMED',
    grpc: status.DATA_LOSS,
    meaning: 'A line of the audit log is not a well-formed audit record (not JSON, or a field is missing or of the wrong type).',
    fix: 'The log was altered or damaged at the named record; compare it with a copy or with the checkpoints other parties hold.',
  },
  RECORD_ALTERED: {
    code: 'COHORT_E_AUDIT_RECORD_ALTERED',
    grpc: status.DATA_LOSS,
    meaning: 'An audit record no longer hashes to what the next record committed to in its prev field: its bytes were changed.',
    fix: 'Treat the log as tampered from the named record; restore it from a copy and investigate who could write the state directory.',
  },
  RECORD_INSERTED: {
    code: 'COHORT_E_AUDIT_RECORD_INSERTED',
    grpc: status.DATA_LOSS,
    meaning: 'A line of the audit log carries an index that belongs earlier in the log: a record was inserted or duplicated.',
    fix: 'Treat the log as tampered at the named position; restore it from a copy and investigate.',
  },
  RECORD_DELETED: {
    code: 'COHORT_E_AUDIT_RECORD_DELETED',
    grpc: status.DATA_LOSS,
    meaning: 'The audit log skips the named record index: one or more records were deleted.',
    fix: 'Treat the log as tampered at the named record; restore it from a copy and investigate.',
  },
  RECORD_REORDERED: {
    code: 'COHORT_E_AUDIT_RECORD_REORDERED',
    grpc: status.DATA_LOSS,
    meaning: 'The named record appears at another position of the audit log: records were moved or swapped.',
    fix: 'Treat the log as tampered at the named record; restore it from a copy and investigate.',
  },
  LOG_TRUNCATED: {
    code: 'COHORT_E_AUDIT_LOG_TRUNCATED',
    grpc: status.DATA_LOSS,
    meaning: 'The audit log holds fewer records than a signed checkpoint covers: records at its end were removed.',
    fix: 'Restore the log from a copy; the checkpoint proves how many records existed when it was signed.',
  },
  CHECKPOINT_MISMATCH: {
    code: 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: 'The Merkle root of the log at a checkpoint\'s tree size differs from the signed root: the history was rewritten or forked after the checkpoint was signed.',
    fix: 'Treat the log as rewritten between the named tree sizes; compare with the checkpoints other parties hold.',
  },
  CHECKPOINT_MALFORMED: {
    code: 'COHORT_E_AUDIT_CHECKPOINT_MALFORMED',
    grpc: status.DATA_LOSS,
    meaning: 'A checkpoint line is not a well-formed signed checkpoint (JSON with a C2SP tlog-checkpoint note and a certificate), or its origin is not this log\'s.',
    fix: 'The checkpoint file was altered or belongs to another log; verify against the checkpoints other parties hold.',
  },
  CHECKPOINT_SIGNATURE: {
    code: 'COHORT_E_AUDIT_CHECKPOINT_SIGNATURE',
    grpc: status.DATA_LOSS,
    meaning: 'A checkpoint\'s signature (or its signed-note key id) does not verify under the certificate it carries.',
    fix: 'The checkpoint was forged or re-signed with another key; treat the log and its checkpoints as tampered.',
  },
  CHECKPOINT_SIGNER: {
    code: 'COHORT_E_AUDIT_CHECKPOINT_SIGNER',
    grpc: status.PERMISSION_DENIED,
    meaning: 'A checkpoint is signed by a certificate that does not chain to the consortium CA given with --ca, does not name the log\'s writer, or differs from the other checkpoints\' signer.',
    fix: 'Pass the consortium\'s ca.crt with --ca; a checkpoint signed by anyone else is not evidence of this log.',
  },
  PROOF_INVALID: {
    code: 'COHORT_E_AUDIT_PROOF_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'An RFC 9162 inclusion or consistency proof does not verify (wrong length, wrong hash, sizes out of order, or not fully consumed).',
    fix: 'Ask the log for a fresh proof between the sizes you hold; a log that cannot prove consistency with a checkpoint it signed has forked.',
  },
  RANGE_INVALID: {
    code: 'COHORT_E_AUDIT_RANGE_INVALID',
    grpc: status.OUT_OF_RANGE,
    meaning: 'An AuditService request names a record index or tree size the coordinator\'s log does not have (an index at or past the tree size, a first size larger than the second, a size larger than the log).',
    fix: 'Ask for sizes up to the tree size of the latest checkpoint (`cohort audit checkpoint --kit`), and an index below it.',
  },
  NO_CHECKPOINT: {
    code: 'COHORT_E_AUDIT_NO_CHECKPOINT',
    grpc: status.NOT_FOUND,
    meaning: 'The coordinator\'s audit log has no signed checkpoint yet, so there is no tree size to prove against.',
    fix: 'Wait for the first checkpoint (after a round close, a registry change or a clean stop), or name the tree size explicitly.',
  },
  CHECKPOINT_WITHHELD: {
    code: 'COHORT_E_AUDIT_CHECKPOINT_WITHHELD',
    grpc: status.DATA_LOSS,
    meaning: 'The coordinator no longer serves a checkpoint of a tree size that the checkpoint file you kept holds: its checkpoint file was cut, or it withholds evidence.',
    fix: 'Keep your own checkpoint file as it is (it was not overwritten) and investigate the coordinator\'s checkpoints.jsonl; compare with the checkpoints other parties hold.',
  },
  ANSWER_INVALID: {
    code: 'COHORT_E_AUDIT_ANSWER_INVALID',
    grpc: status.DATA_LOSS,
    meaning: 'The coordinator\'s AuditService answered a paged request with positions or sizes other than those asked for or stated on its first page (a page starting elsewhere, a next index that does not follow the page, more records than the tree size, or an early end).',
    fix: 'Verify again; if it recurs, treat the coordinator as serving a log other than the one it holds, and verify a copy of its audit directory offline.',
  },
  LOG_DIVERGED: {
    code: 'COHORT_E_AUDIT_LOG_DIVERGED',
    grpc: status.DATA_LOSS,
    meaning: 'The coordinator\'s audit.jsonl on disk no longer hashes to the tree its writer built in memory: the file was changed under the running coordinator. The AuditService serves nothing from it.',
    fix: 'Stop the coordinator and run `cohort audit verify` on its audit directory to find the first altered record; restore from a copy and investigate who could write the state directory.',
  },
  WRITER_REFUSED: {
    code: 'COHORT_E_AUDIT_WRITER_REFUSED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The audit log writer refused to open: the log on disk does not verify against its own last checkpoint, so appending would sign over a tampered history.',
    fix: 'Run `cohort audit verify` on the audit directory to find the first bad record, restore the log from a copy, then start again.',
  },
  WRITER_LOCKED: {
    code: 'COHORT_E_AUDIT_WRITER_LOCKED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Another live process holds the audit directory\'s lock file (audit/lock, its pid inside): two writers on one log would fork its hash chain.',
    fix: 'Stop the other coordinator that uses this state directory (the pid is in the lock file), or give this one its own --state directory. A lock left by a process that is no longer running is taken over on its own.',
  },
  ANCHOR_MISMATCH: {
    code: 'COHORT_E_AUDIT_ANCHOR_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: 'The audit files fall below, or disagree with, the last signed checkpoint the coordinator recorded in its SQLite state (tree size and root): checkpoints.jsonl or audit.jsonl was cut, deleted or rewritten.',
    fix: 'Do not start over it: restore audit.jsonl and checkpoints.jsonl from a copy, run `cohort audit verify` on them, and investigate who could write the state directory.',
  },
  EVENT_MISMATCH: {
    code: 'COHORT_E_AUDIT_EVENT_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: 'A record past the last signed checkpoint names an event id whose row in the state store\'s events table is missing or says something else (action, actor, run, time or details): the unsigned tail of the log was rewritten.',
    fix: 'Do not start over it: restore audit.jsonl from a copy and investigate; the details name the record and the event id.',
  },
  LOG_UNCHECKED: {
    code: 'COHORT_E_AUDIT_LOG_UNCHECKED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The audit log has records but no signed checkpoint covers any of them: only the hash chain was checked, and whoever can write the file can rewrite it entirely.',
    fix: 'Verify again once the writer has signed a checkpoint (after a round close, a model release or a clean stop), pass a checkpoint kept elsewhere with --checkpoint, or pass --allow-unchecked to accept a chain-only check.',
  },
  WITNESS_INCONSISTENT: {
    code: 'COHORT_E_AUDIT_WITNESS_INCONSISTENT',
    grpc: status.DATA_LOSS,
    meaning: 'A site witnessing the coordinator\'s audit log was sent a checkpoint that is not an extension of the last checkpoint it cosigned: the consistency proof does not verify, the tree is smaller, or the same size has another root. The coordinator rewrote or forked its history.',
    fix: 'Do not trust the coordinator\'s log: the site refused the task and kept both checkpoints in <site data dir>/audit/witness-evidence/. Run `cohort audit verify <coordinator audit dir> --checkpoint <site data dir>/audit/witnessed.jsonl --ca ca.crt` and raise an incident with the consortium.',
  },
  WITNESS_SIGNATURE: {
    code: 'COHORT_E_AUDIT_WITNESS_SIGNATURE',
    grpc: status.UNAUTHENTICATED,
    meaning: 'A task carried an audit checkpoint that is malformed, not signed by the consortium\'s coordinator under the consortium CA, or whose signature does not verify; or a cosignature does not verify under the site\'s certificate.',
    fix: 'The site refused the task and kept the checkpoint in <site data dir>/audit/witness-evidence/. Check that the coordinator runs with its own kit; a checkpoint no CA-issued coordinator key signed is forged.',
  },
  WITNESS_OUT_OF_SYNC: {
    code: 'COHORT_E_AUDIT_WITNESS_OUT_OF_SYNC',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A task\'s consistency proof starts at another tree size than the checkpoint the site last kept (a cosignature that did not reach the coordinator). Not a sign of tampering on its own.',
    fix: 'Nothing: the site reconnects, tells the coordinator the size it holds, and the task comes again with a proof from that size.',
  },
  WITNESS_UNKNOWN_CHECKPOINT: {
    code: 'COHORT_E_AUDIT_WITNESS_UNKNOWN_CHECKPOINT',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A site sent a cosignature over a tree size and root that no checkpoint in the coordinator\'s checkpoints.jsonl has: the coordinator never signed what the site says it cosigned.',
    fix: 'The coordinator did not store it. Check the site agent\'s version and its audit/witnessed.jsonl; a site that cosigns checkpoints the coordinator never signed is faulty or hostile.',
  },
  WITNESS_REFUSAL_MALFORMED: {
    code: 'COHORT_E_AUDIT_WITNESS_REFUSAL_MALFORMED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A site\'s refusal of a coordinator checkpoint was not taken: its code is not a COHORT_E_AUDIT_WITNESS_* code, its root is not a base64 SHA-256, or it lacks its evidence (the kept and the offered checkpoints).',
    fix: 'Nothing was stored. Update the site agent; its own audit log and witness-evidence/ still hold the refusal.',
  },
  WITNESS_STATE_ROLLBACK: {
    code: 'COHORT_E_AUDIT_WITNESS_STATE_ROLLBACK',
    grpc: status.DATA_LOSS,
    meaning: 'The site\'s witnessed.jsonl (the coordinator checkpoints it kept) is missing, shorter than, or disagrees with the last witness.cosign record of the site\'s own verified audit log, or a kept line is not signed by a coordinator under the CA: it was deleted, rolled back or rewritten, which would let a forked coordinator log pass as trusted on first use.',
    fix: 'Do not start over it: restore <site data dir>/audit/witnessed.jsonl from a copy (its last line must be the checkpoint named by the last witness.cosign record) and investigate who could write the data directory.',
  },
  LEDGER_ROLLBACK: {
    code: 'COHORT_E_AUDIT_LEDGER_ROLLBACK',
    grpc: status.DATA_LOSS,
    meaning: 'The site\'s privacy ledger is behind, or disagrees with, the last privacy.spend record of the site\'s own verified audit log (entry count and head hash): the ledger was rolled back or replaced, which would let spent privacy budget be spent again.',
    fix: 'Do not start over it: restore <site data dir>/privacy/ledger.sealed from a copy that matches the audit log\'s last privacy.spend record and investigate who could write the data directory.',
  },
});
