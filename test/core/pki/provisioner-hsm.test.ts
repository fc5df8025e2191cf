/**
 * A consortium whose CA key is made and kept in a PKCS#11 token (SoftHSM2, real): `provision
 * init --hsm` leaves no ca.key on disk, `sign`, `revoke` and `crl` sign inside the token, and
 * openssl verifies what they signed.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { registerProvisionCommands } from '../../../cli/commands/provision.ts';
import { enroll, initProvisioner, readState, revoke, signRequest, verifyCrl } from '../../../core/pki/index.ts';
import { pkcs11ModulesInUse } from '../../../core/pki/pkcs11.ts';
import { runCliJson } from '../../cli/commands/run-cli.ts';
import { setupSoftHsm, type SoftHsm, type SoftHsmToken } from '../../support/softhsm.ts';
import { writeConsortium } from './fixtures.ts';

const execFileAsync = promisify(execFile);

describe('a CA that signs from SoftHSM2', () => {
  let hsm: SoftHsm;
  let token: SoftHsmToken;
  let prov: string;

  beforeAll(() => {
    hsm = setupSoftHsm('cohort-prov-hsm-');
    token = hsm.initToken('consortium-ca');
    prov = join(hsm.dir, 'operator');
  });
  afterAll(() => hsm.cleanup());

  it('creates the CA key in the token: nothing secret on disk, state.json names only module, token and label', async () => {
    const r = await initProvisioner(writeConsortium(hsm.dir), prov, { caKey: { pkcs11: token.config('cohort-ca') } });
    expect(r.caKeyStore).toBe('pkcs11');
    expect(readdirSync(join(prov, '.provisioner')).sort()).toEqual(['audit', 'ca.crt', 'consortium.yaml', 'crl.pem', 'state.json']);
    expect(readState(prov).caKey).toEqual({ store: 'pkcs11', pkcs11: { module: hsm.module, keyLabel: 'cohort-ca', tokenLabel: 'consortium-ca' } });
    expect(readFileSync(join(prov, '.provisioner', 'state.json'), 'utf8')).not.toContain(token.pin);
    expect(pkcs11ModulesInUse()).toEqual([]);
  });

  it('signs a request in the token; openssl verifies the certificate against the CA certificate', async () => {
    const { requestFile } = await enroll('hospital-a', join(hsm.dir, 'hospital-a'));
    const signed = await signRequest(prov, requestFile, { caKey: { pkcs11: token.config('cohort-ca') } });
    const cert = join(signed.dir, 'hospital-a.crt');
    const { stdout } = await execFileAsync('openssl', ['verify', '-CAfile', join(prov, '.provisioner', 'ca.crt'), cert]);
    expect(stdout).toBe(`${cert}: OK\n`);
    expect(pkcs11ModulesInUse()).toEqual([]);
  });

  it('refuses to sign with a passphrase file, or with the wrong PIN', async () => {
    const { requestFile } = await enroll('olga', join(hsm.dir, 'olga'));
    await expect(signRequest(prov, requestFile, { caKey: { passphraseFile: token.pinFile } })).rejects.toMatchObject({ code: 'COHORT_E_PKI_CA_KEY_LOCKED' });
    const wrongPin = join(hsm.dir, 'wrong.pin');
    writeFileSync(wrongPin, '11111111\n', { mode: 0o600 });
    await expect(signRequest(prov, requestFile, { caKey: { pkcs11: { ...token.config('cohort-ca'), pinFile: wrongPin } } })).rejects.toMatchObject({ code: 'COHORT_E_PKI_HSM_UNAVAILABLE' });
    expect(readState(prov).issued.map((i) => i.name)).toEqual(['hospital-a']);
  });

  it('revokes through `cohort provision revoke --hsm`: the CRL signed in the token verifies with openssl', async () => {
    const hsmFile = join(hsm.dir, 'pkcs11.yaml');
    writeFileSync(hsmFile, stringify({ module: hsm.module, tokenLabel: token.label, pinFile: token.pinFile, keyLabel: 'cohort-ca' }));
    const r = (await runCliJson(registerProvisionCommands, ['provision', 'revoke', 'hospital-a', '--out', prov, '--hsm', hsmFile, '--json'])) as { serial: string };
    const crlFile = join(prov, '.provisioner', 'crl.pem');
    const crl = await verifyCrl(readFileSync(crlFile, 'utf8'), readFileSync(join(prov, '.provisioner', 'ca.crt'), 'utf8'));
    expect([...crl.revokedSerials]).toEqual([r.serial]);
    const { stdout, stderr } = await execFileAsync('openssl', ['crl', '-in', crlFile, '-noout', '-CAfile', join(prov, '.provisioner', 'ca.crt')]);
    expect(`${stdout}${stderr}`).toMatch(/verify OK/);
    await expect(revoke(prov, 'hospital-a', { caKey: { pkcs11: token.config('cohort-ca') } })).rejects.toMatchObject({ code: 'COHORT_E_PKI_ALREADY_REVOKED' });
    expect(pkcs11ModulesInUse()).toEqual([]);
  });
});
