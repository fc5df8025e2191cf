/**
 * `cohort audit verify` against real logs written by the real writer and then attacked:
 * each attack passes the check an unchained log allows (every line parses as a record),
 * and the verifier names it with its exact code and record index.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAuditCommands } from '../../../cli/commands/audit.ts';
import { signCheckpoint } from '../../../core/audit/checkpoint.ts';
import { leafHash, treeHash } from '../../../core/audit/merkle.ts';
import { lineHash, parseRecord, serializeRecord, type AuditRecord } from '../../../core/audit/record.ts';
import type { Kit } from '../../../core/pki/kit.ts';
import { auditKits, linesOf, naiveCheck, writeLines, writeLog, type AuditKits } from '../../core/audit/fixture.ts';
import { runCli } from './run-cli.ts';

const ORIGIN = 'cohort/audit-test/coordinator/coordinator/audit';
let kits: AuditKits;
let pristine: string;
let n = 0;

beforeAll(async () => {
  kits = await auditKits();
  pristine = join(kits.dir, 'pristine');
  // 10 records, checkpoints at sizes 4, 8 and 10.
  writeLog(pristine, kits.coordinator, 10, [4, 8, 10]);
}, 120_000);

afterAll(() => rmSync(kits.dir, { recursive: true, force: true }));

/** A fresh copy of the pristine log. */
function copy(): { dir: string; log: string; cps: string } {
  const dir = mkdtempSync(join(kits.dir, `case-${n++}-`));
  cpSync(pristine, dir, { recursive: true });
  return { dir, log: join(dir, 'audit.jsonl'), cps: join(dir, 'checkpoints.jsonl') };
}

const record = (line: string): AuditRecord => {
  const r = parseRecord(Buffer.from(line));
  if ('problem' in r) throw new Error(r.problem);
  return r.record;
};

/** Re-links lines from `from` on, as a writer rewriting history would: each prev the hash of the line before. */
function rechain(lines: string[], from: number): string[] {
  const out = [...lines];
  for (let j = Math.max(from, 1); j < out.length; j++) out[j] = serializeRecord({ ...record(out[j]!), prev: lineHash(Buffer.from(out[j - 1]!)) }).toString('utf8');
  return out;
}

/** checkpoints.jsonl re-signed over `lines` at `sizes` with `kit`'s key, carrying `certPem`. */
function resign(lines: readonly string[], sizes: readonly number[], kit: Kit, certPem: string = kit.certPem): string[] {
  const leaves = lines.map((l) => leafHash(Buffer.from(l)));
  return sizes.map((size) => JSON.stringify(signCheckpoint({ origin: ORIGIN, size, root: treeHash(leaves, size) }, { certPem, keyPem: kit.keyPem })));
}

async function verify(dir: string, ...flags: string[]): Promise<{ exitCode: number; out: string; error?: { code: string; details: Record<string, unknown> } }> {
  const { out, err, exitCode } = await runCli(registerAuditCommands, ['audit', 'verify', dir, '--json', ...flags]);
  return { exitCode, out, ...(err === '' ? {} : { error: (JSON.parse(err) as { error: { code: string; details: Record<string, unknown> } }).error }) };
}

describe('cohort audit verify, intact', () => {
  it('exits 0 with one JSON object: records, checkpoints, latest tree size and root, the signer chained to the CA', async () => {
    const { dir } = copy();
    const leaves = linesOf(join(dir, 'audit.jsonl')).map((l) => leafHash(Buffer.from(l)));
    const r = await verify(dir, '--ca', kits.caFile);
    expect(r.exitCode).toBe(0);
    expect(r.error).toBeUndefined();
    expect(JSON.parse(r.out)).toEqual({
      records: 10,
      checkpoints: 3,
      treeSize: 10,
      root: treeHash(leaves).toString('base64'),
      logRoot: treeHash(leaves).toString('base64'),
      uncheckpointed: 0,
      origin: ORIGIN,
      signer: { name: 'coordinator', role: 'coordinator', chainedToCa: true },
      trust: 'ca',
      checkpointRepairs: [],
    });
  });

  it('prints a readable summary without --json, and says when no CA was given', async () => {
    const { dir } = copy();
    const leaves = linesOf(join(dir, 'audit.jsonl')).map((l) => leafHash(Buffer.from(l)));
    const { out, err, exitCode } = await runCli(registerAuditCommands, ['audit', 'verify', join(dir, 'audit.jsonl')]);
    expect({ exitCode, err }).toEqual({ exitCode: 0, err: '' });
    expect(out).toBe(
      'audit log intact: 10 records, 3 checkpoints\n' +
        'trust: self-consistent (the checkpoints agree with the log and with each other, but no --ca was given: anyone who can write the files can re-sign them with a key of their own)\n' +
        `latest checkpoint: tree size 10, root ${treeHash(leaves).toString('base64')} (${ORIGIN})\n` +
        'signed by coordinator coordinator, certificate NOT checked against a CA (pass --ca)\n',
    );
  });

  it('refuses a path that does not exist with COHORT_E_AUDIT_LOG_UNREADABLE', async () => {
    const r = await verify(join(kits.dir, 'no-such-dir'));
    expect(r.exitCode).toBe(1);
    expect(r.error?.code).toBe('COHORT_E_AUDIT_LOG_UNREADABLE');
  });
});

describe('cohort audit verify, each tampering named with its code and record', () => {
  // [name, attack on a copy, expected code, expected details subset]
  const cases: [string, (c: { log: string; cps: string }) => void, string, Record<string, unknown>][] = [
    ['a changed byte in record 3', ({ log }) => {
      const lines = linesOf(log);
      lines[3] = lines[3]!.replace('"bytes":1003', '"bytes":1004');
      writeLines(log, lines);
    }, 'COHORT_E_AUDIT_RECORD_ALTERED', { index: 3 }],
    ['a changed byte in the last record (no successor: the checkpoint catches it)', ({ log }) => {
      const lines = linesOf(log);
      lines[9] = lines[9]!.replace('"bytes":1009', '"bytes":1008');
      writeLines(log, lines);
    }, 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH', { treeSize: 10, from: 8 }],
    ['record 5 deleted', ({ log }) => writeLines(log, linesOf(log).filter((_, i) => i !== 5)), 'COHORT_E_AUDIT_RECORD_DELETED', { index: 5 }],
    ['a copy of record 2 inserted at line 6', ({ log }) => {
      const lines = linesOf(log);
      lines.splice(6, 0, lines[2]!);
      writeLines(log, lines);
    }, 'COHORT_E_AUDIT_RECORD_INSERTED', { index: 6 }],
    ['a forged record inserted at line 6 with index 6 and a correct prev', ({ log }) => {
      const lines = linesOf(log);
      const forged = serializeRecord({ ...record(lines[6]!), action: 'model.export', prev: lineHash(Buffer.from(lines[5]!)) }).toString('utf8');
      lines.splice(6, 0, forged);
      writeLines(log, lines);
    }, 'COHORT_E_AUDIT_RECORD_INSERTED', { index: 6 }],
    ['records 4 and 5 swapped', ({ log }) => {
      const lines = linesOf(log);
      [lines[4], lines[5]] = [lines[5]!, lines[4]!];
      writeLines(log, lines);
    }, 'COHORT_E_AUDIT_RECORD_REORDERED', { index: 4 }],
    ['the last record cut off after the checkpoint of 10', ({ log }) => writeLines(log, linesOf(log).slice(0, 9)), 'COHORT_E_AUDIT_LOG_TRUNCATED', { index: 9, treeSize: 10 }],
    ['three records cut off (shorter than the checkpoint of 8)', ({ log }) => writeLines(log, linesOf(log).slice(0, 7)), 'COHORT_E_AUDIT_LOG_TRUNCATED', { index: 7, treeSize: 8 }],
    ['the history rewritten from record 3 with a recomputed chain', ({ log }) => {
      const lines = linesOf(log);
      lines[3] = lines[3]!.replace('"bytes":1003', '"bytes":9');
      writeLines(log, rechain(lines, 4));
    }, 'COHORT_E_AUDIT_CHECKPOINT_MISMATCH', { treeSize: 4, from: 0 }],
    ['a checkpoint re-signed with another key, the coordinator\'s certificate kept', ({ log, cps }) => {
      const lines = linesOf(cps);
      lines[2] = resign(linesOf(log), [10], kits.impostor, kits.coordinator.certPem)[0]!;
      writeLines(cps, lines);
    }, 'COHORT_E_AUDIT_CHECKPOINT_SIGNATURE', { checkpoint: 2, treeSize: 10 }],
    ['a rewrite re-signed by a certificate of another CA with the same name', ({ log, cps }) => {
      const lines = linesOf(log);
      lines[3] = lines[3]!.replace('"bytes":1003', '"bytes":9');
      const rewritten = rechain(lines, 4);
      writeLines(log, rewritten);
      writeLines(cps, resign(rewritten, [4, 8, 10], kits.impostor));
    }, 'COHORT_E_AUDIT_CHECKPOINT_SIGNER', { checkpoint: 0, treeSize: 4 }],
    ['a checkpoint signed by a site of the consortium (a real certificate, not the writer)', ({ log, cps }) => {
      const lines = linesOf(cps);
      lines[2] = resign(linesOf(log), [10], kits.site)[0]!;
      writeLines(cps, lines);
    }, 'COHORT_E_AUDIT_CHECKPOINT_SIGNER', { checkpoint: 2, treeSize: 10 }],
    ['a torn last line (an append cut mid-line)', ({ log }) => writeFileSync(log, readFileSync(log).subarray(0, readFileSync(log).length - 20)), 'COHORT_E_AUDIT_LOG_TORN', { index: 9 }],
  ];

  it.each(cases)('%s', async (_name, attack, code, details) => {
    const c = copy();
    attack(c);
    // Without the defence: an unchained, unsigned log passes this check after the attack
    // (a torn line is the one case a JSON parse also notices).
    if (code !== 'COHORT_E_AUDIT_LOG_TORN') expect(naiveCheck(c.log)).toBe(true);
    else expect(() => naiveCheck(c.log)).toThrow(SyntaxError);
    const r = await verify(c.dir, '--ca', kits.caFile);
    expect(r.exitCode).toBe(1);
    expect(r.out).toBe('');
    expect(r.error?.code).toBe(code);
    expect(r.error?.details).toMatchObject(details);
  });
});

describe('what the CA and a kept checkpoint add', () => {
  it('accepts a rewrite re-signed by another CA\'s certificate when no --ca is given, and refuses it with --ca', async () => {
    const c = copy();
    const lines = linesOf(c.log);
    lines[3] = lines[3]!.replace('"bytes":1003', '"bytes":9');
    const rewritten = rechain(lines, 4);
    writeLines(c.log, rewritten);
    writeLines(c.cps, resign(rewritten, [4, 8, 10], kits.impostor));
    const open = await verify(c.dir);
    expect(open.exitCode).toBe(0);
    expect((JSON.parse(open.out) as { signer: unknown }).signer).toEqual({ name: 'coordinator', role: 'coordinator', chainedToCa: false });
    expect((await verify(c.dir, '--ca', kits.caFile)).error?.code).toBe('COHORT_E_AUDIT_CHECKPOINT_SIGNER');
  });

  it('passes a history the writer itself rewrote and re-signed, unless an earlier checkpoint kept elsewhere is given', async () => {
    const c = copy();
    const kept = join(c.dir, 'kept-checkpoints.jsonl');
    cpSync(c.cps, kept);
    const lines = linesOf(c.log);
    lines[5] = lines[5]!.replace('"bytes":1005', '"bytes":5');
    const rewritten = rechain(lines, 6);
    writeLines(c.log, rewritten);
    writeLines(c.cps, resign(rewritten, [4, 8, 10], kits.coordinator));
    // The limit of this slice: the writer's key can re-sign its own rewrite.
    expect((await verify(c.dir, '--ca', kits.caFile)).exitCode).toBe(0);
    const r = await verify(c.dir, '--ca', kits.caFile, '--checkpoint', kept);
    expect(r.exitCode).toBe(1);
    expect(r.error?.code).toBe('COHORT_E_AUDIT_CHECKPOINT_MISMATCH');
    expect(r.error?.details).toMatchObject({ treeSize: 8, from: 4 });
  });
});

describe('whose log, and how much is vouched for', () => {
  it('refuses a self-consistent log a site signed with its own CA-issued certificate, unless --role names the site', async () => {
    const dir = mkdtempSync(join(kits.dir, `site-${n++}-`));
    writeLog(dir, kits.site, 3, [3]);
    // Before --role, this passed --ca and read as a verified log; the signer is a site, not the coordinator.
    const r = await verify(dir, '--ca', kits.caFile);
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatchObject({ code: 'COHORT_E_AUDIT_CHECKPOINT_SIGNER', details: { role: 'site' } });
    // --role site must say which site's log it is: without --origin any site's complete log would pass.
    const unpinned = await verify(dir, '--ca', kits.caFile, '--role', 'site');
    expect([unpinned.exitCode, unpinned.error?.code]).toEqual([2, 'COHORT_E_GENERAL_USAGE']);
    const asSite = await verify(dir, '--ca', kits.caFile, '--role', 'site', '--origin', 'cohort/audit-test/site/site-a/audit');
    expect(asSite.exitCode).toBe(0);
    expect(JSON.parse(asSite.out)).toMatchObject({ trust: 'ca', signer: { name: 'site-a', role: 'site', chainedToCa: true } });
    const wrongOrigin = await verify(dir, '--ca', kits.caFile, '--role', 'site', '--origin', ORIGIN);
    expect(wrongOrigin.error).toMatchObject({ code: 'COHORT_E_AUDIT_CHECKPOINT_SIGNER', details: { origin: 'cohort/audit-test/site/site-a/audit' } });
    expect((await verify(pristine, '--ca', kits.caFile, '--origin', ORIGIN)).exitCode).toBe(0);
  });

  it('exits 1 with COHORT_E_AUDIT_LOG_UNCHECKED when records exist and no checkpoint covers any, unless --allow-unchecked', async () => {
    const dir = mkdtempSync(join(kits.dir, `unchecked-${n++}-`));
    writeLog(dir, kits.coordinator, 3, []);
    const r = await verify(dir, '--ca', kits.caFile);
    expect(r.exitCode).toBe(1);
    expect(r.error).toMatchObject({ code: 'COHORT_E_AUDIT_LOG_UNCHECKED', details: { records: 3, checkpoints: 0, trust: 'none' } });
    const allowed = await verify(dir, '--ca', kits.caFile, '--allow-unchecked');
    expect(allowed.exitCode).toBe(0);
    expect(JSON.parse(allowed.out)).toMatchObject({ records: 3, checkpoints: 0, treeSize: 0, trust: 'none', uncheckpointed: 3 });
    const { out } = await runCli(registerAuditCommands, ['audit', 'verify', dir, '--allow-unchecked']);
    expect(out).toContain('trust: none (no checkpoint');
    // An empty log has nothing to vouch for.
    const empty = mkdtempSync(join(kits.dir, `empty-${n++}-`));
    writeFileSync(join(empty, 'audit.jsonl'), '');
    expect(JSON.parse((await verify(empty)).out)).toMatchObject({ records: 0, trust: 'none' });
  });
});
