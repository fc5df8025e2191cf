/**
 * The writer against the attacks and failures of the third review, each run for real on
 * real files (and a real coordinator SQLite store for the anchor and the events table):
 * someone with write access but no key strips or deletes checkpoints and rewrites what they
 * covered; a failed fsync or a short write is retried; a second writer opens the same
 * directory; a torn tail over a tampered log; an earlier .torn file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqliteAuditState } from '../../../core/audit/anchor.ts';
import { AuditLog } from '../../../core/audit/audit-log.ts';
import { eventRecord, type StoredEvent } from '../../../core/audit/events.ts';
import { appendIo } from '../../../core/audit/lines.ts';
import { lineHash, parseRecord, serializeRecord, type AuditRecord } from '../../../core/audit/record.ts';
import { verifyAuditLog } from '../../../core/audit/verify.ts';
import { StateStore } from '../../../coordinator/state/store.ts';
import { caughtSync } from '../../support/caught.ts';
import { auditKits, linesOf, writeLines, writeLog, type AuditKits } from './fixture.ts';

let kits: AuditKits;
let n = 0;
const stores: StateStore[] = [];
const fresh = (): string => mkdtempSync(join(kits.dir, `a${n++}-`));
const signer = () => ({ certPem: kits.coordinator.certPem, keyPem: kits.coordinator.keyPem, caPem: kits.coordinator.caPem });
const verify = (dir: string) => verifyAuditLog({ logFile: join(dir, 'audit.jsonl'), checkpointFiles: [join(dir, 'checkpoints.jsonl')], caPem: kits.coordinator.caPem }).summary;
const io = { ...appendIo };

beforeAll(async () => {
  kits = await auditKits();
}, 120_000);
afterEach(() => Object.assign(appendIo, io));
afterAll(() => {
  for (const s of stores) s.close();
  rmSync(kits.dir, { recursive: true, force: true });
});

const record = (line: string): AuditRecord => {
  const r = parseRecord(Buffer.from(line));
  if ('problem' in r) throw new Error(r.problem);
  return r.record;
};

/** Changes record `at` and re-links every later one, as someone rewriting the file would. */
function rewrite(file: string, at: number, change: (line: string) => string): void {
  const lines = linesOf(file);
  lines[at] = change(lines[at]!);
  for (let j = at + 1; j < lines.length; j++) lines[j] = serializeRecord({ ...record(lines[j]!), prev: lineHash(Buffer.from(lines[j - 1]!)) }).toString('utf8');
  writeLines(file, lines);
}

/** A log of `count` records from real events of a real state store, with checkpoints at `checkpointsAt`, the anchor in that store. */
function anchoredLog(count: number, checkpointsAt: readonly number[]): { dir: string; store: StateStore; logFile: string; cpFile: string } {
  const dir = fresh();
  const store = new StateStore(join(dir, 'coordinator.sqlite'));
  stores.push(store);
  const audit = join(dir, 'audit');
  const log = AuditLog.open(audit, signer(), { state: sqliteAuditState(store.db) });
  for (let i = 0; i < count; i++) {
    store.appendEvent(i % 2 === 0 ? 'site-a' : 'alice', 'update.commit', 'run-1', { round: i, bytes: 1000 + i }, Date.UTC(2025, 0, 1, 0, 0, i));
    const row = store.db.prepare('SELECT * FROM events WHERE id = ?').get(i + 1) as StoredEvent;
    log.append(eventRecord(row, (name) => ({ name, role: name === 'alice' ? 'data-scientist' : 'site' })));
    if (checkpointsAt.includes(i + 1)) log.checkpoint();
  }
  log.close();
  return { dir: audit, store, logFile: join(audit, 'audit.jsonl'), cpFile: join(audit, 'checkpoints.jsonl') };
}

const reopen = (a: { dir: string; store: StateStore }): AuditLog => AuditLog.open(a.dir, signer(), { state: sqliteAuditState(a.store.db) });

describe('finding 1: a history rewritten past a stripped or deleted checkpoint', () => {
  it('strip the last checkpoint\'s newline, rewrite what it covered: the line is restored, not set aside, and the writer refuses', () => {
    const dir = fresh();
    const files = writeLog(dir, kits.coordinator, 10, [4, 10]);
    const cps = readFileSync(files.checkpointFile);
    writeFileSync(files.checkpointFile, cps.subarray(0, cps.length - 1));
    rewrite(files.logFile, 6, (l) => l.replace('"bytes":1006', '"bytes":6666'));
    const before = [readFileSync(files.logFile), readFileSync(files.checkpointFile)];
    // Before the fix the torn-tail repair set the checkpoint of size 10 aside, the rewrite verified and was signed.
    expect(caughtSync(() => AuditLog.open(dir, signer()))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_REFUSED', details: { code: 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH', treeSize: 10, from: 4 } });
    expect([readFileSync(files.logFile), readFileSync(files.checkpointFile)]).toEqual(before);
  });

  it('delete checkpoints.jsonl and rewrite the log: opens without the anchor (what it was before), refused with it', () => {
    const a = anchoredLog(5, [5]);
    rmSync(a.cpFile);
    rewrite(a.logFile, 1, (l) => l.replace('"bytes":1001', '"bytes":1'));
    expect(verify(a.dir).records).toBe(5); // the files alone verify: a chain and no checkpoint
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_ANCHOR_MISMATCH', details: { anchorSize: 5, treeSize: 0 } });
    expect(existsSync(a.cpFile)).toBe(false);
    // The same files with no anchor to hold them to: the writer would sign over the rewrite.
    const blind = AuditLog.open(a.dir, signer());
    blind.close();
  });

  it('delete the last checkpoint lines and rewrite past the one left: refused', () => {
    const a = anchoredLog(10, [4, 8, 10]);
    writeLines(a.cpFile, linesOf(a.cpFile).slice(0, 1));
    rewrite(a.logFile, 6, (l) => l.replace('"bytes":1006', '"bytes":6'));
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_ANCHOR_MISMATCH', details: { anchorSize: 10, treeSize: 4 } });
  });

  it('rewrite a record the last checkpoint covers, with the chain recomputed: refused by that checkpoint', () => {
    const a = anchoredLog(4, [4]);
    rewrite(a.logFile, 3, (l) => l.replace('"bytes":1003', '"bytes":3'));
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_REFUSED', details: { code: 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH' } });
  });

  it('adopts a checkpoint signed after the anchor (a crash between the two writes), and keeps the anchor with each checkpoint', () => {
    const a = anchoredLog(4, [4]);
    const log = AuditLog.open(a.dir, signer()); // no state: the anchor stays at 4
    log.append({ actor: log.self, action: 'coordinator.stop', outcome: 'ok' });
    log.checkpoint();
    log.close();
    expect(sqliteAuditState(a.store.db).readAnchor(log.origin)?.size).toBe(4);
    reopen(a).close();
    expect(sqliteAuditState(a.store.db).readAnchor(log.origin)?.size).toBe(5);
  });

  it('a record past the last checkpoint that disagrees with its event (or names none) is refused before anything is signed', () => {
    const a = anchoredLog(4, [2]);
    reopen(a).close(); // intact: every unsigned record is its event
    rewrite(a.logFile, 3, (l) => l.replace('"bytes":1003', '"bytes":3'));
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_EVENT_MISMATCH', details: { index: 3, eventId: 4, field: 'details' } });
    rewrite(a.logFile, 3, (l) => l.replace('"eventId":4', '"eventId":99'));
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_EVENT_MISMATCH', details: { index: 3, eventId: 99, field: 'eventId' } });
    rewrite(a.logFile, 2, (l) => l.replace('"name":"site-a"', '"name":"site-b"'));
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_EVENT_MISMATCH', details: { index: 2, field: 'actor' } });
  });

  it('the verifier flags the writer\'s repair of checkpoints.jsonl', () => {
    const a = anchoredLog(4, [2, 4]);
    const cps = readFileSync(a.cpFile);
    writeFileSync(a.cpFile, cps.subarray(0, cps.length - 40)); // a checkpoint cut mid-line
    // The anchor is at 4: a cut that drops the checkpoint it names is refused ...
    expect(caughtSync(() => reopen(a))).toMatchObject({ code: 'COHORT_E_AUDIT_ANCHOR_MISMATCH' });
    // ... a crash while signing (the anchor not yet moved) is repaired, and the verifier says so.
    const dir = fresh();
    writeLog(dir, kits.coordinator, 4, [2, 4]);
    const f = join(dir, 'checkpoints.jsonl');
    const whole = readFileSync(f);
    writeFileSync(f, whole.subarray(0, whole.length - 40));
    const log = AuditLog.open(dir, signer());
    log.close();
    expect(log.repairs).toMatchObject([{ savedTo: `${f}.torn-${whole.indexOf(0x0a) + 1}` }]);
    expect(verify(dir).checkpointRepairs).toEqual([{ index: 4, file: 'checkpoints.jsonl' }]);
  });
});

describe('finding 2: a failed append is cut back, so the retry keeps the chain', () => {
  it('fsync fails once: the line is cut off, the retry writes the same index, the log verifies', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 3, [3]);
    const log = AuditLog.open(dir, signer());
    let fail = true;
    appendIo.fsyncSync = (fd) => {
      if (fail) {
        fail = false;
        throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      }
      io.fsyncSync(fd);
    };
    expect(() => log.append({ actor: log.self, action: 'x.one', outcome: 'ok' })).toThrow('EIO');
    expect(linesOf(log.logFile)).toHaveLength(3);
    // Before the fix the retry wrote a second record with index 3 and the next open refused.
    expect(log.append({ actor: log.self, action: 'x.one', outcome: 'ok' }).index).toBe(3);
    log.checkpoint();
    log.close();
    expect(verify(dir)).toMatchObject({ records: 4, treeSize: 4 });
  });

  it('a short write then ENOSPC: the half line is cut off', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 2, [2]);
    const log = AuditLog.open(dir, signer());
    let calls = 0;
    appendIo.writeSync = ((fd: number, buffer: Buffer, offset: number, length: number) => {
      if (calls++ === 0) return io.writeSync(fd, buffer, offset, Math.floor(length / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof appendIo.writeSync;
    expect(() => log.append({ actor: log.self, action: 'x.one', outcome: 'ok' })).toThrow('ENOSPC');
    Object.assign(appendIo, io);
    expect(readFileSync(log.logFile).at(-1)).toBe(0x0a);
    log.append({ actor: log.self, action: 'x.one', outcome: 'ok' });
    log.close();
    expect(verify(dir).records).toBe(3);
  });

  it('when the cut itself fails, the writer closes until reopened', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 2, [2]);
    const log = AuditLog.open(dir, signer());
    appendIo.fsyncSync = () => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    };
    appendIo.ftruncateSync = () => {
      throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
    };
    expect(() => log.append({ actor: log.self, action: 'x.one', outcome: 'ok' })).toThrow('could not be cut back');
    expect(log.isOpen).toBe(false);
    expect(() => log.append({ actor: log.self, action: 'x.one', outcome: 'ok' })).toThrow('closed');
    log.close();
    Object.assign(appendIo, io);
    const again = AuditLog.open(dir, signer());
    expect(again.size).toBe(3); // the whole line reached the file; a new writer reads and verifies it
    again.close();
  });
});

describe('finding 3: one writer per directory', () => {
  it('a second writer gets COHORT_E_AUDIT_WRITER_LOCKED and writes nothing; the log verifies', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 3, [3]);
    const a = AuditLog.open(dir, signer());
    const before = readFileSync(join(dir, 'audit.jsonl'));
    // Before the fix both opened and appended at index 3: a fork the verifier read as "record deleted".
    expect(caughtSync(() => AuditLog.open(dir, signer()))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_LOCKED', details: { pid: process.pid } });
    expect(readFileSync(join(dir, 'audit.jsonl'))).toEqual(before);
    a.append({ actor: a.self, action: 'coordinator.start', outcome: 'ok' });
    a.checkpoint();
    a.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(verify(dir)).toMatchObject({ records: 4, treeSize: 4 });
    AuditLog.open(dir, signer()).close(); // released on close
  });

  it('takes over a lock whose process is gone', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 1, [1]);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(join(dir, 'lock'), `${dead}\n`);
    const log = AuditLog.open(dir, signer());
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    log.close();
  });
});

describe('finding 5: the torn-tail repair', () => {
  it('verifies before changing anything: a torn tail over a tampered log is left as found', () => {
    const dir = fresh();
    const { logFile } = writeLog(dir, kits.coordinator, 4, [4]);
    const lines = linesOf(logFile);
    lines[1] = lines[1]!.replace('"bytes":1001', '"bytes":7');
    writeFileSync(logFile, `${lines.map((l) => `${l}\n`).join('')}{"index":4,"ti`);
    const before = readFileSync(logFile);
    expect(caughtSync(() => AuditLog.open(dir, signer()))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_REFUSED', details: { code: 'COHORT_E_AUDIT_RECORD_ALTERED' } });
    expect(readFileSync(logFile)).toEqual(before);
    expect(existsSync(`${logFile}.torn-${before.length - 14}`)).toBe(false);
  });

  it('never overwrites an earlier .torn file', () => {
    const dir = fresh();
    const { logFile } = writeLog(dir, kits.coordinator, 3, [3]);
    const offset = readFileSync(logFile).length;
    writeFileSync(`${logFile}.torn-${offset}`, 'ORIGINAL-TORN-EVIDENCE');
    writeFileSync(logFile, Buffer.concat([readFileSync(logFile), Buffer.from('{"index":3,"ti')]));
    const log = AuditLog.open(dir, signer());
    log.close();
    expect(readFileSync(`${logFile}.torn-${offset}`, 'utf8')).toBe('ORIGINAL-TORN-EVIDENCE');
    expect(log.repairs[0]!.savedTo).toBe(`${logFile}.torn-${offset}.1`);
    expect(readFileSync(`${logFile}.torn-${offset}.1`, 'utf8')).toBe('{"index":3,"ti');
  });

  it('a whole record short of its newline keeps its place (a checkpointed one was cut off before)', () => {
    const dir = fresh();
    const { logFile } = writeLog(dir, kits.coordinator, 3, [3]);
    const b = readFileSync(logFile);
    writeFileSync(logFile, b.subarray(0, b.length - 1));
    const log = AuditLog.open(dir, signer());
    log.close();
    expect(log.repairs).toMatchObject([{ savedTo: null, offset: b.lastIndexOf(0x0a, b.length - 2) + 1 }]);
    const actions = linesOf(logFile).map((l) => record(l).action);
    expect(actions).toEqual(['update.commit', 'update.commit', 'update.commit', 'audit.repair']);
    expect(record(linesOf(logFile)[3]!).details).toMatchObject({ file: 'audit.jsonl', newlineRestored: true });
    expect(verify(dir).records).toBe(4);
  });
});

describe('finding 7: the event id', () => {
  it('a detail key "eventId" does not replace the row id', () => {
    const input = eventRecord({ id: 7, at_ms: 0, actor: 'alice', action: 'run.submit', run_id: 'r', detail_json: '{"eventId":1,"bytes":2}' }, (name) => ({ name, role: 'data-scientist' }));
    expect(input.details).toEqual({ eventId: 7, bytes: 2 });
    expect(Object.keys(input.details!)[0]).toBe('eventId');
  });
});
