/** The audit log writer on real files: record format, chain, checkpoints, torn tails, refusal over a tampered log. */
import { X509Certificate, createHash, verify as verifySignature } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../core/audit/audit-log.ts';
import { safeDetails } from '../../../core/audit/details.ts';
import { leafHash, treeHash } from '../../../core/audit/merkle.ts';
import { verifyAuditLog } from '../../../core/audit/verify.ts';
import { caughtSync } from '../../support/caught.ts';
import { auditKits, linesOf, writeLines, writeLog, type AuditKits } from './fixture.ts';

let kits: AuditKits;
let n = 0;
const fresh = (): string => mkdtempSync(join(kits.dir, `w${n++}-`));
const signer = () => ({ certPem: kits.coordinator.certPem, keyPem: kits.coordinator.keyPem, caPem: kits.coordinator.caPem });

beforeAll(async () => {
  kits = await auditKits();
}, 120_000);
afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

describe('AuditLog', () => {
  it('writes one record per line, fields in order, each prev the SHA-256 of the line before', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 2, []);
    const lines = linesOf(join(dir, 'audit.jsonl'));
    expect(lines[0]).toBe(
      '{"index":0,"time":"2025-01-01T00:00:00.000Z","actor":{"name":"site-a","role":"site"},"action":"update.commit","target":{"run":"run-1","round":0},"outcome":"ok","details":{"bytes":1000,"chunks":1},"prev":"0000000000000000000000000000000000000000000000000000000000000000"}',
    );
    expect(JSON.parse(lines[1]!).prev).toBe(createHash('sha256').update(lines[0]!).digest('hex'));
  });

  it('signs a C2SP checkpoint whose key id and ECDSA signature check with node:crypto alone', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 3, [3]);
    const leaves = linesOf(join(dir, 'audit.jsonl')).map((l) => leafHash(Buffer.from(l)));
    const line = JSON.parse(readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8')) as { note: string; certificate: string };
    const origin = 'cohort/audit-test/coordinator/coordinator/audit';
    const body = `${origin}\n3\n${treeHash(leaves).toString('base64')}\n`;
    expect(line.note.startsWith(`${body}\n\u2014 ${origin} `)).toBe(true);
    const sig = Buffer.from(line.note.slice(body.length + 1).split(' ')[2]!.trim(), 'base64');
    const key = new X509Certificate(line.certificate).publicKey;
    const spki = key.export({ type: 'spki', format: 'der' });
    expect(sig.subarray(0, 4)).toEqual(createHash('sha256').update(`${origin}\n`).update(Buffer.from([0x02])).update(spki).digest().subarray(0, 4));
    expect(verifySignature('sha256', Buffer.from(body), key, sig.subarray(4))).toBe(true);
    expect(line.certificate).toBe(kits.coordinator.certPem);
  });

  it('writes no checkpoint when the last one covers every record', () => {
    const log = AuditLog.open(fresh(), signer());
    log.append({ actor: log.self, action: 'coordinator.start', outcome: 'ok' });
    expect(log.checkpoint()).not.toBeNull();
    expect(log.checkpoint()).toBeNull();
    log.close();
  });

  it('continues the chain and the tree across a reopen', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 3, [3]);
    const log = AuditLog.open(dir, signer());
    expect(log.takeExisting().map((r) => r.index)).toEqual([0, 1, 2]);
    expect(log.append({ actor: log.self, action: 'coordinator.start', outcome: 'ok' }).index).toBe(3);
    log.checkpoint();
    log.close();
    const v = verifyAuditLog({ logFile: join(dir, 'audit.jsonl'), checkpointFiles: [join(dir, 'checkpoints.jsonl')], caPem: kits.coordinator.caPem });
    expect({ records: v.summary.records, checkpoints: v.summary.checkpoints, treeSize: v.summary.treeSize }).toEqual({ records: 4, checkpoints: 2, treeSize: 4 });
  });

  it('sets a torn last line aside, cuts the log back to its last complete line and records the repair', () => {
    const dir = fresh();
    const { logFile } = writeLog(dir, kits.coordinator, 3, [2]);
    const whole = readFileSync(logFile);
    const torn = Buffer.from('{"index":3,"time":"2025-01-01T00:00:03.000Z","actor":{"na');
    writeFileSync(logFile, Buffer.concat([whole, torn]));
    expect(caughtSync(() => verifyAuditLog({ logFile, checkpointFiles: [] }))).toMatchObject({ code: 'COHORT_E_AUDIT_LOG_TORN', details: { index: 3, offset: whole.length } });
    const log = AuditLog.open(dir, signer());
    expect(log.repairs).toHaveLength(1);
    log.close();
    expect(readFileSync(`${logFile}.torn-${whole.length}`)).toEqual(torn);
    const last = JSON.parse(linesOf(logFile)[3]!) as { action: string; details: Record<string, unknown> };
    expect(last.action).toBe('audit.repair');
    expect(last.details).toEqual({ file: 'audit.jsonl', offset: whole.length, tornBytes: torn.length, tornSha256: createHash('sha256').update(torn).digest('hex') });
    expect(verifyAuditLog({ logFile, checkpointFiles: [join(dir, 'checkpoints.jsonl')] }).summary.records).toBe(4);
  });

  it('refuses to open over a log that does not verify, naming the inner code and record', () => {
    const dir = fresh();
    const { logFile } = writeLog(dir, kits.coordinator, 4, [4]);
    const lines = linesOf(logFile);
    lines[1] = lines[1]!.replace('"bytes":1001', '"bytes":7');
    writeLines(logFile, lines);
    expect(caughtSync(() => AuditLog.open(dir, signer()))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_REFUSED', details: { code: 'COHORT_E_AUDIT_RECORD_ALTERED', index: 1 } });
    expect(existsSync(`${logFile}.torn-0`)).toBe(false);
  });

  it('refuses to open another writer\'s log', () => {
    const dir = fresh();
    writeLog(dir, kits.coordinator, 2, [2]);
    expect(caughtSync(() => AuditLog.open(dir, { certPem: kits.site.certPem, keyPem: kits.site.keyPem, caPem: kits.site.caPem }))).toMatchObject({ code: 'COHORT_E_AUDIT_WRITER_REFUSED' });
  });
});

describe('safeDetails', () => {
  it('keeps sizes, codes, hashes and ids, and replaces free text and objects by their SHA-256 and size', () => {
    const message = 'site-b: update of round 2 failed: weights "[0.1, 0.2]"';
    expect(safeDetails({ bytes: 12, ok: true, code: 'COHORT_E_UPDATE_TOO_LARGE', weightsSha256: 'ab'.repeat(32), participants: ['site-a', 'site-b'], message, codec: { kind: 'bfv' }, gone: undefined })).toEqual({
      bytes: 12,
      ok: true,
      code: 'COHORT_E_UPDATE_TOO_LARGE',
      weightsSha256: 'ab'.repeat(32),
      participants: ['site-a', 'site-b'],
      messageSha256: createHash('sha256').update(message).digest('hex'),
      messageBytes: Buffer.byteLength(message),
      codecSha256: createHash('sha256').update('{"kind":"bfv"}').digest('hex'),
      codecBytes: 14,
    });
  });
});
