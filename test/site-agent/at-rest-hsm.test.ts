/**
 * The site's at-rest key wrapped by a key inside a PKCS#11 token (SoftHSM2, no mocks):
 * `site init` writes a wrapped key file that does not hold the key; loading unwraps the same
 * key; a wrapped file without keyStore (and a plain one with it) is refused; another token
 * cannot unwrap it. Reading a plain key file is enough to open the site's sealed state;
 * reading the wrapped one is not.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { open, readSealedFile, writeSealedFile } from '../../core/crypto/at-rest.ts';
import { pkcs11ModulesInUse } from '../../core/pki/pkcs11.ts';
import { readSitePrivacy } from '../../cli/commands/site-privacy.ts';
import { loadSiteConfig, type SiteConfig } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';
import { loadSiteKey } from '../../site-agent/site-key.ts';
import { caughtSync } from '../support/caught.ts';
import { holdsKeyBytes } from '../support/key-bytes.ts';
import { setupSoftHsm, type SoftHsm, type SoftHsmToken } from '../support/softhsm.ts';

const AD = 'cohort-test-state';

/**
 * The attack on a stolen key file: every 32-byte string the file yields (its bytes, its
 * lines base64-decoded) tried as the key of a sealed state file. Returns the key that opens it.
 */
function keyFromFileAlone(keyFile: string, sealed: Buffer): Buffer | undefined {
  const raw = readFileSync(keyFile);
  const candidates: Buffer[] = [];
  const blobs = [raw, ...raw.toString('latin1').split(/\r?\n/).map((l) => Buffer.from(l.trim(), 'base64'))];
  for (const blob of blobs) for (let at = 0; at + 32 <= blob.length; at++) candidates.push(blob.subarray(at, at + 32));
  for (const candidate of candidates) {
    try {
      open(candidate, sealed, AD, 'sealed');
      return candidate;
    } catch {
      // not the key
    }
  }
  return undefined;
}

describe('the site at-rest key wrapped by an HSM (SoftHSM2)', () => {
  let hsm: SoftHsm;
  let siteToken: SoftHsmToken;
  let otherToken: SoftHsmToken;
  let dir: string;

  beforeAll(() => {
    hsm = setupSoftHsm('cohort-at-rest-hsm-');
    siteToken = hsm.initToken('hospital-a');
    otherToken = hsm.initToken('elsewhere');
  });
  afterAll(() => hsm.cleanup());
  beforeEach(() => {
    dir = mkdtempSync(join(hsm.dir, 'site-'));
  });
  afterEach(() => expect(pkcs11ModulesInUse()).toEqual([]));

  /** A site.yaml in `dir` (relative paths, resolved by loadSiteConfig); `keyStore` for the given token, or none. */
  function siteConfig(token: SoftHsmToken | undefined, keyFile = 'at-rest.key', keyLabel = 'cohort-at-rest'): SiteConfig {
    const path = join(dir, `site-${token?.label ?? 'plain'}-${keyFile}.yaml`);
    let text = `dataDir: state\nkeyFile: ${keyFile}\ndatasets: {}\n`;
    if (token) {
      const pinCopy = join(dir, `${token.label}.pin`);
      writeFileSync(pinCopy, readFileSync(token.pinFile), { mode: 0o600 });
      text += `keyStore:\n  pkcs11:\n    module: ${hsm.module}\n    tokenLabel: ${token.label}\n    pinFile: ./${token.label}.pin\n    keyLabel: ${keyLabel}\n`;
    }
    writeFileSync(path, text);
    return loadSiteConfig(path);
  }

  it('site init writes a wrapped, owner-only key file that does not hold the key; a fresh load unwraps the same key', () => {
    const config = siteConfig(siteToken);
    expect(config.keyStore?.pkcs11.pinFile).toBe(join(dir, 'hospital-a.pin'));
    const key = initSiteStorage(config);
    expect(key.length).toBe(32);
    expect(statSync(config.keyFile).mode & 0o777).toBe(0o600);
    const file = readFileSync(config.keyFile);
    expect(file.toString('utf8').startsWith('#cohort-wrapped-key v1\n')).toBe(true);
    expect(holdsKeyBytes(file, key)).toBe(false);

    expect(loadSiteKey(config).equals(key)).toBe(true);
    expect(loadSiteKey(siteConfig(siteToken)).equals(key)).toBe(true);
    // init again keeps the key (and the token key) it made
    expect(initSiteStorage(config).equals(key)).toBe(true);

    const state = join(dir, 'state', 'weights.sealed');
    writeSealedFile(state, key, Buffer.from('global weights'), AD);
    expect(readSealedFile(state, loadSiteKey(config), AD).toString()).toBe('global weights');
    // the commands load it the same way
    expect(readSitePrivacy(join(dir, 'site-hospital-a-at-rest.key.yaml'))).toMatchObject({ verified: true, runs: [] });
  });

  it('reading a plain key file yields the key to the sealed state; reading the wrapped one does not', () => {
    const plain = siteConfig(undefined, 'plain.key');
    const plainKey = initSiteStorage(plain);
    const plainSealed = Buffer.from(readFileSync(plain.keyFile));
    expect(holdsKeyBytes(plainSealed, plainKey)).toBe(true);
    const sealedUnderPlain = join(dir, 'plain.sealed');
    writeSealedFile(sealedUnderPlain, plainKey, Buffer.from('phi-derived'), AD);
    expect(keyFromFileAlone(plain.keyFile, readFileSync(sealedUnderPlain))?.equals(plainKey)).toBe(true);

    const wrapped = siteConfig(siteToken, 'wrapped.key');
    const wrappedKey = initSiteStorage(wrapped);
    const sealedUnderWrapped = join(dir, 'wrapped.sealed');
    writeSealedFile(sealedUnderWrapped, wrappedKey, Buffer.from('phi-derived'), AD);
    expect(keyFromFileAlone(wrapped.keyFile, readFileSync(sealedUnderWrapped))).toBeUndefined();
  });

  it('refuses a wrapped key file without keyStore, and a plain key file with it, with COHORT_E_SITE_KEY_STORE_MISMATCH', () => {
    const wrapped = siteConfig(siteToken, 'w.key');
    initSiteStorage(wrapped);
    expect(caughtSync(() => loadSiteKey({ keyFile: wrapped.keyFile })).code).toBe('COHORT_E_SITE_KEY_STORE_MISMATCH');
    const plain = siteConfig(undefined, 'p.key');
    initSiteStorage(plain);
    // refused before any token is touched, even where the token has no key of that label
    expect(caughtSync(() => loadSiteKey({ keyFile: plain.keyFile, keyStore: wrapped.keyStore })).code).toBe('COHORT_E_SITE_KEY_STORE_MISMATCH');
    expect(caughtSync(() => loadSiteKey({ keyFile: plain.keyFile, keyStore: siteConfig(otherToken, 'x.key', 'no-such-key').keyStore })).code).toBe('COHORT_E_SITE_KEY_STORE_MISMATCH');
  });

  it('another token cannot unwrap the key file, even under the same key label', () => {
    const config = siteConfig(siteToken, 'mine.key');
    initSiteStorage(config);
    const elsewhere = siteConfig(otherToken, 'mine.key');
    // that token has no key of the label: nothing is created for an existing file
    expect(caughtSync(() => loadSiteKey(elsewhere)).code).toBe('COHORT_E_PKI_HSM_KEY_MISSING');
    expect(caughtSync(() => initSiteStorage(elsewhere)).code).toBe('COHORT_E_PKI_HSM_KEY_MISSING');
    // with a key of the same label made there, the unwrap still fails
    initSiteStorage(siteConfig(otherToken, 'theirs.key'));
    expect(caughtSync(() => loadSiteKey(elsewhere)).code).toBe('COHORT_E_PKI_HSM_UNWRAP_FAILED');
    // an altered wrapped file fails in the right token too
    const text = readFileSync(config.keyFile, 'utf8').split('\n');
    const body = Buffer.from(text[1] ?? '', 'base64');
    body[30] = (body[30] ?? 0) ^ 1;
    writeFileSync(config.keyFile, `${text[0]}\n${body.toString('base64')}\n`, { mode: 0o600 });
    expect(caughtSync(() => loadSiteKey(config)).code).toBe('COHORT_E_PKI_HSM_UNWRAP_FAILED');
  });

  it('a missing key file stays COHORT_E_SITE_KEY_FILE_MISSING, and a wrong PIN is COHORT_E_PKI_HSM_UNAVAILABLE', () => {
    expect(caughtSync(() => loadSiteKey(siteConfig(siteToken, 'absent.key'))).code).toBe('COHORT_E_SITE_KEY_FILE_MISSING');
    const config = siteConfig(siteToken, 'pin.key');
    initSiteStorage(config);
    writeFileSync(join(dir, 'hospital-a.pin'), '00000000\n', { mode: 0o600 });
    expect(caughtSync(() => loadSiteKey(config)).code).toBe('COHORT_E_PKI_HSM_UNAVAILABLE');
  });
});
