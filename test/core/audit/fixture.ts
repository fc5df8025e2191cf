/**
 * Audit-log test material: real kits from two real consortium CAs of the same name (so
 * that "the coordinator" of the second is an impostor with the same origin), and real logs
 * written by the real writer.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../../core/audit/audit-log.ts';
import { loadKit, type Kit } from '../../../core/pki/kit.ts';
import { provisionConsortium } from '../../support/provision.ts';

export interface AuditKits {
  readonly dir: string;
  /** The consortium's coordinator. */
  readonly coordinator: Kit;
  /** A site of the same consortium: a real certificate of the CA, but not the log's writer. */
  readonly site: Kit;
  /** "coordinator" of another CA with the same consortium name. */
  readonly impostor: Kit;
  readonly caFile: string;
}

async function consortium(dir: string, sub: string): Promise<string> {
  const file = join(dir, `${sub}.yaml`);
  writeFileSync(file, 'name: audit-test\ncoordinator: { name: coordinator, hosts: [localhost], port: 7443 }\nkeyHolder: site-a\nsites: [{ name: site-a }]\nusers: []\n');
  await provisionConsortium(file, join(dir, sub));
  return join(dir, sub);
}

export async function auditKits(): Promise<AuditKits> {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-audit-'));
  const real = await consortium(dir, 'real');
  const fake = await consortium(dir, 'fake');
  const coordinator = loadKit(join(real, 'coordinator'));
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, coordinator.caPem);
  return { dir, coordinator, site: loadKit(join(real, 'site-a')), impostor: loadKit(join(fake, 'coordinator')), caFile };
}

/** Writes `count` records with the real writer, a checkpoint after each size in `checkpointsAt`, and closes. */
export function writeLog(dir: string, kit: Kit, count: number, checkpointsAt: readonly number[]): { logFile: string; checkpointFile: string } {
  const log = AuditLog.open(dir, { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem });
  for (let i = 0; i < count; i++) {
    log.append({
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
      actor: { name: i % 2 === 0 ? 'site-a' : 'alice', role: i % 2 === 0 ? 'site' : 'data-scientist' },
      action: 'update.commit',
      target: { run: 'run-1', round: i },
      outcome: 'ok',
      details: { bytes: 1000 + i, chunks: 1 },
    });
    if (checkpointsAt.includes(i + 1)) log.checkpoint();
  }
  log.close();
  return { logFile: log.logFile, checkpointFile: log.checkpointFile };
}

/** The lines of a file, without the last newline. */
export function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8').replace(/\n$/, '').split('\n');
}

export function writeLines(file: string, lines: readonly string[]): void {
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/**
 * The check an unchained log allows: every line is a JSON object with the record fields.
 * The attacks below pass it; the verifier refuses them.
 */
export function naiveCheck(file: string): boolean {
  return linesOf(file).every((line) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    return ['time', 'actor', 'action', 'target', 'outcome', 'details'].every((k) => k in r);
  });
}
