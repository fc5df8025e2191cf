import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadKeyFile, open, readSealedFile, seal, writeSealedFile } from '../../../core/crypto/at-rest.ts';
import { caughtSync } from '../../support/caught.ts';

describe('encryption at rest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-at-rest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte key file readable by its owner only, and loads the same key again', () => {
    const path = join(dir, 'site.key');
    const key = loadKeyFile(path, { create: true });
    expect(key.length).toBe(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadKeyFile(path).equals(key)).toBe(true);
  });

  it('refuses a missing key file unless asked to create it', () => {
    expect(caughtSync(() => loadKeyFile(join(dir, 'none.key'))).code).toBe('COHORT_E_SITE_KEY_FILE_MISSING');
  });

  it('refuses a key file that group or others can read', () => {
    const path = join(dir, 'site.key');
    loadKeyFile(path, { create: true });
    chmodSync(path, 0o640);
    expect(caughtSync(() => loadKeyFile(path)).code).toBe('COHORT_E_PKI_KEY_PERMISSIONS');
  });

  it('refuses a key file that does not hold 32 bytes', () => {
    const path = join(dir, 'short.key');
    writeFileSync(path, Buffer.alloc(16).toString('base64'), { mode: 0o600 });
    expect(caughtSync(() => loadKeyFile(path)).code).toBe('COHORT_E_SITE_KEY_FILE_INVALID');
  });

  it('round-trips a sealed file and leaves no plaintext on disk', () => {
    const key = loadKeyFile(join(dir, 'k'), { create: true });
    const path = join(dir, 'state.bin');
    const secret = Buffer.from('weights derived from patients: 0.125 0.25');
    writeSealedFile(path, key, secret, 'run:r1');
    expect(readFileSync(path).includes(secret)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSealedFile(path, key, 'run:r1').equals(secret)).toBe(true);
  });

  it('detects a flipped byte, another run\'s label and another key as COHORT_E_SITE_STATE_CORRUPT', () => {
    const key = loadKeyFile(join(dir, 'k1'), { create: true });
    const other = loadKeyFile(join(dir, 'k2'), { create: true });
    const sealed = seal(key, Buffer.from('abc'), 'run:r1');
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 1;
    expect(caughtSync(() => open(key, flipped, 'run:r1', 'f')).code).toBe('COHORT_E_SITE_STATE_CORRUPT');
    expect(caughtSync(() => open(key, sealed, 'run:r2', 'f')).code).toBe('COHORT_E_SITE_STATE_CORRUPT');
    expect(caughtSync(() => open(other, sealed, 'run:r1', 'f')).code).toBe('COHORT_E_SITE_STATE_CORRUPT');
    expect(caughtSync(() => open(key, Buffer.from('not sealed at all, just text'), 'run:r1', 'f')).code).toBe('COHORT_E_SITE_STATE_CORRUPT');
    expect(open(key, sealed, 'run:r1', 'f').toString()).toBe('abc');
  });
});
