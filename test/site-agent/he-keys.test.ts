/**
 * The site's HE key files: sealed at rest under the site's key, bound to their slot, and the
 * exchange key stable across agent restarts.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiteErrors } from '../../core/errors/index.ts';
import { exchangePublicKeyOf } from '../../core/secure-agg/key-ceremony.ts';
import { generateConsortiumKey, type ConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { holdsKeyBytes } from '../support/key-bytes.ts';


describe('HeKeyStore', () => {
  let dir: string;
  let atRest: Buffer;
  let key: ConsortiumKey;
  let other: ConsortiumKey;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-he-keys-'));
    atRest = randomBytes(32);
    key = await generateConsortiumKey(await consortiumKeyContext());
    other = await generateConsortiumKey(await consortiumKeyContext());
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores the secret key sealed (owner-only, no key bytes in clear) and reads back the exact bytes', () => {
    const store = new HeKeyStore(dir, atRest);
    expect(store.has(key.params.keyId)).toBe(false);
    expect(store.secretKey(key.params.keyId)).toBeUndefined();
    store.save(key.params, key.secretKey);
    expect(store.has(key.params.keyId)).toBe(true);
    expect(Buffer.compare(store.secretKey(key.params.keyId) as Buffer, Buffer.from(key.secretKey))).toBe(0);
    expect(store.params(key.params.keyId)).toEqual(key.params);

    const path = join(dir, 'he', `${key.params.keyId}.key.sealed`);
    const onDisk = readFileSync(path);
    expect(onDisk.subarray(0, 4).toString('latin1')).toBe('CHT1');
    expect(onDisk.includes(Buffer.from(key.secretKey).subarray(0, 8))).toBe(false); // "CBSK" 01 000000
    expect(holdsKeyBytes(onDisk, Buffer.from(key.secretKey))).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'he')).mode & 0o077).toBe(0);
    // Control: the leak check finds the key where it is.
    expect(holdsKeyBytes(Buffer.concat([Buffer.from('x'), Buffer.from(key.secretKey)]), Buffer.from(key.secretKey))).toBe(true);
  });

  it('keeps no file in clear with key bytes anywhere under he/', () => {
    const store = new HeKeyStore(dir, atRest);
    const exchange = store.exchangeKey();
    for (const name of readdirSync(join(dir, 'he'))) {
      const bytes = readFileSync(join(dir, 'he', name));
      expect(holdsKeyBytes(bytes, Buffer.from(key.secretKey)), name).toBe(false);
      expect(bytes.includes(exchange.privateKeyDer.subarray(-32)), name).toBe(false);
    }
  });

  it('refuses a sealed key moved into another key id\'s file', () => {
    const store = new HeKeyStore(dir, atRest);
    copyFileSync(join(dir, 'he', `${key.params.keyId}.key.sealed`), join(dir, 'he', `${other.params.keyId}.key.sealed`));
    expect(store.has(other.params.keyId)).toBe(true);
    expect(() => store.secretKey(other.params.keyId)).toThrow(expect.objectContaining({ code: SiteErrors.STATE_CORRUPT.code }));
    rmSync(join(dir, 'he', `${other.params.keyId}.key.sealed`));
  });

  it('refuses the exchange key file moved into a key slot, and a key file under another at-rest key', () => {
    copyFileSync(join(dir, 'he', 'exchange-key.sealed'), join(dir, 'he', `${other.params.keyId}.key.sealed`));
    expect(() => new HeKeyStore(dir, atRest).secretKey(other.params.keyId)).toThrow(expect.objectContaining({ code: SiteErrors.STATE_CORRUPT.code }));
    rmSync(join(dir, 'he', `${other.params.keyId}.key.sealed`));
    expect(() => new HeKeyStore(dir, randomBytes(32)).secretKey(key.params.keyId)).toThrow(expect.objectContaining({ code: SiteErrors.STATE_CORRUPT.code }));
  });

  it('keeps the same exchange key across instances (an agent restart), sealed on disk', () => {
    const first = new HeKeyStore(dir, atRest).exchangeKey();
    const second = new HeKeyStore(dir, atRest).exchangeKey();
    expect(Buffer.compare(second.privateKeyDer, first.privateKeyDer)).toBe(0);
    expect(Buffer.compare(second.publicKeyDer, first.publicKeyDer)).toBe(0);
    expect(Buffer.compare(exchangePublicKeyOf(first.privateKeyDer), first.publicKeyDer)).toBe(0);
    const onDisk = readFileSync(join(dir, 'he', 'exchange-key.sealed'));
    expect(onDisk.includes(first.privateKeyDer)).toBe(false);
    expect(statSync(join(dir, 'he', 'exchange-key.sealed')).mode & 0o777).toBe(0o600);
    // A fresh data directory makes a different key.
    const elsewhere = mkdtempSync(join(tmpdir(), 'cohort-he-keys-'));
    try {
      expect(Buffer.compare(new HeKeyStore(elsewhere, atRest).exchangeKey().publicKeyDer, first.publicKeyDer)).not.toBe(0);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('refuses a key id that is not 32 hex digits (no path outside he/)', () => {
    expect(() => new HeKeyStore(dir, atRest).has('../state')).toThrow(RangeError);
  });
});
