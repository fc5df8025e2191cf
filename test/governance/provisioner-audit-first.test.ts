/**
 * The provisioner's own audit log comes before its changes: with the log broken (one byte
 * changed), no command changes the state, the kits or the CRL; every change lands only with
 * its record.
 */
import { readFileSync, readdirSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollConsortium } from '../../cli/demo/enroll-consortium.ts';
import type { CaKeyAccess } from '../../core/pki/ca-key.ts';
import { addUser, recordAgreement, renewCrl, revoke } from '../../core/pki/provisioner.ts';

describe("the provisioner's audit record before its change", () => {
  let dir: string;
  let out: string;
  let caKey: CaKeyAccess;
  const snapshot = (): Record<string, string> => {
    const files: Record<string, string> = {};
    for (const f of ['.provisioner/state.json', '.provisioner/crl.pem', 'coordinator/agreements.json', 'coordinator/crl.pem']) files[f] = readFileSync(join(out, f), 'utf8');
    return files;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-prov-audit-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'version: 2\nname: g\ncoordinator: { name: coordinator, hosts: [127.0.0.1, localhost], port: 7443 }\nkeyHolder: site-a\n' +
      'sites:\n  - { name: site-a, agreement: { kind: BAA, reference: A1, signedOn: "2026-01-01", expires: "2099-12-31" } }\n' +
      'users:\n  - { name: alice, role: data-scientist, agreement: { kind: DUA, reference: D1, signedOn: "2026-01-01", expires: "2099-12-31" } }\n');
    out = join(dir, 'kits');
    caKey = (await enrollConsortium(file, { provisionerDir: out })).caKey;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses every change, writing nothing, while its audit log does not verify', async () => {
    const logFile = join(out, '.provisioner', 'audit', 'audit.jsonl');
    const good = readFileSync(logFile, 'utf8');
    writeFileSync(logFile, good.replace('"action":"consortium.init"', '"action":"consortium.inix"'));
    const before = snapshot();
    const kits = readdirSync(out).sort();
    for (const change of [
      () => recordAgreement(out, 'alice', { kind: 'DUA', reference: 'D2', signedOn: '2026-01-01', expires: '2199-12-31' }),
      () => revoke(out, 'site-a', { caKey }),
      () => renewCrl(out, { caKey }),
      () => addUser(out, 'eve', 'operator'),
    ]) {
      await expect(change()).rejects.toMatchObject({ code: 'COHORT_E_AUDIT_RECORD_ALTERED' });
    }
    expect(snapshot()).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(kits);
    // Repaired, the same change lands with its record.
    writeFileSync(logFile, good);
    await addUser(out, 'eve', 'operator');
    expect(readFileSync(logFile, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { action: string }).action).at(-1)).toBe('participant.add-user');
  }, 120_000);
});
