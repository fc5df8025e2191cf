import { chmodSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKit } from '../../../core/pki/index.ts';
import { provisionConsortium } from '../../support/provision.ts';
import { tempDir, withFileChanged, writeConsortium } from './fixtures.ts';

describe('loading a kit', () => {
  const tmp = tempDir();
  const out = join(tmp.dir, 'out');
  beforeAll(async () => {
    await provisionConsortium(writeConsortium(tmp.dir), out);
  });
  afterAll(() => tmp.cleanup());

  it('returns the participant, the coordinator address and the PEMs', () => {
    const kit = loadKit(join(out, 'hospital-a'));
    expect([kit.dir, kit.name, kit.role, kit.consortium, kit.coordinatorAddress]).toEqual([
      join(out, 'hospital-a'),
      'hospital-a',
      'site',
      'demo-consortium',
      'localhost:7443',
    ]);
    expect(kit.certPem.startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);
    expect(kit.keyPem.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(kit.crlPem).toBeUndefined();
  });

  it('refuses a key file that group or others can read', () => {
    const key = join(out, 'hospital-b', 'hospital-b.key');
    withFileChanged(
      key,
      () => chmodSync(key, 0o640),
      () => {
        expect(() => loadKit(join(out, 'hospital-b'))).toThrow(
          expect.objectContaining({ code: 'COHORT_E_PKI_KEY_PERMISSIONS', details: { file: key, mode: '640' } }),
        );
      },
    );
    expect(loadKit(join(out, 'hospital-b')).name).toBe('hospital-b');
  });

  it('refuses a directory that is not a kit, and a kit with a missing file', () => {
    expect(() => loadKit(tmp.dir)).toThrow(expect.objectContaining({ code: 'COHORT_E_PKI_KIT_INCOMPLETE' }));
    const crl = join(out, 'coordinator', 'crl.pem');
    withFileChanged(
      crl,
      () => rmSync(crl),
      () => {
        expect(() => loadKit(join(out, 'coordinator'))).toThrow(
          expect.objectContaining({ code: 'COHORT_E_PKI_KIT_INCOMPLETE', details: { dir: join(out, 'coordinator'), missing: [`crl: ${crl}`] } }),
        );
      },
    );
  });

  it("refuses a kit holding another participant's key", () => {
    const key = join(out, 'olga', 'olga.key');
    withFileChanged(
      key,
      () => copyFileSync(join(out, 'alice', 'alice.key'), key),
      () => {
        expect(() => loadKit(join(out, 'olga'))).toThrow(expect.objectContaining({ code: 'COHORT_E_PKI_KIT_INVALID' }));
      },
    );
  });

  it('refuses a kit.yaml that claims another identity than the certificate', () => {
    const file = join(out, 'alice', 'kit.yaml');
    withFileChanged(
      file,
      () =>
        writeFileSync(
          file,
          'name: alice\nrole: operator\nconsortium: demo-consortium\ncoordinatorAddress: localhost:7443\nca: ca.crt\ncertificate: alice.crt\nkey: alice.key\n',
        ),
      () => {
        expect(() => loadKit(join(out, 'alice'))).toThrow(
          expect.objectContaining({
            code: 'COHORT_E_PKI_KIT_INVALID',
            message: `kit ${join(out, 'alice')}: alice.crt belongs to data-scientist "alice" of "demo-consortium", but kit.yaml says operator "alice" of "demo-consortium"`,
          }),
        );
      },
    );
  });
});
