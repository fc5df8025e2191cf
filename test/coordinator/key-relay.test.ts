/**
 * The key ceremony through a real coordinator (in this process, real mTLS on 127.0.0.1, real
 * kits): what the relay refuses, a full ceremony with the sites' own code (runKeyCeremony,
 * ensureHeKey) where each site is sealed to only once the key holder confirms it, a site added afterwards, and a coordinator state directory that holds only
 * sealed copies of the key, never the key.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { addEnrolledSite } from '../support/provision.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';
import { announceExchangeKey, generateExchangeKey, sealSecretKey } from '../../core/secure-agg/key-ceremony.ts';
import { certificateFingerprint, exchangeKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import type { KeyCeremonyStatus__Output } from '../../protos/gen/cohort/v1/KeyCeremonyStatus.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { ensureHeKey, publishExchangeKey, runKeyCeremony } from '../../site-agent/key-ceremony.ts';
import { refusal, filesUnder, startTestConsortium } from '../support/in-process-coordinator.ts';
import { holdsKeyBytes } from '../support/key-bytes.ts';
import { identityFromCertificate } from '../../core/pki/identity.ts';
import { announcedByRevoked } from '../../coordinator/server/key-relay.ts';

describe('key ceremony through the coordinator', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let address: string;
  const kits = new Map<string, Kit>();
  const stores = new Map<string, HeKeyStore>();
  const clients: SiteServiceClient[] = [];
  let keyId: string;

  const kit = (name: string): Kit => kits.get(name) as Kit;
  const store = (name: string): HeKeyStore => stores.get(name) as HeKeyStore;
  function client(name: string): SiteServiceClient {
    const c = siteClient(kit(name), address);
    clients.push(c);
    return c;
  }
  function addParticipant(name: string): void {
    kits.set(name, loadKit(join(dir, 'kits', name)));
    stores.set(name, new HeKeyStore(join(dir, `data-${name}`), randomBytes(32)));
  }
  const fingerprint = (name: string): string => exchangeKeyFingerprint(store(name).exchangeKey().publicKeyDer);
  /** The key holder's IT confirming `names` with the fingerprints those sites print (`--accept`). */
  const accepting = (...names: string[]): { accept: Map<string, string> } => ({ accept: new Map(names.map((n) => [n, fingerprint(n)])) });
  const status = (name: string): Promise<KeyCeremonyStatus__Output> => unary<KeyCeremonyStatus__Output>((o, cb) => client(name).getKeyCeremony({}, o, cb));

  beforeAll(async () => {
    const t = await startTestConsortium({ name: 'relay-test', sites: ['site-a', 'site-b'], users: [{ name: 'alice', role: 'data-scientist' }] });
    ({ dir, coordinator, address } = t);
    for (const name of ['coordinator', 'site-a', 'site-b']) addParticipant(name);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a site publishing another site\'s exchange key, and stores nothing', async () => {
    const ofA = announceExchangeKey(kit('site-a'), generateExchangeKey().publicKeyDer);
    const err = await refusal(unary((o, cb) => client('site-b').publishExchangeKey({ announcementJson: JSON.stringify(ofA) }, o, cb)));
    expect(err.code).toBe('COHORT_E_SECURE_AGG_KEY_CEREMONY');
    expect(err.message).toBe('exchange key: announced for "site-a" of "relay-test", but the caller is "site-b" of "relay-test"');
    expect((await status('site-b')).recipients).toEqual([]);
  });

  it('answers GetSealedKey before the ceremony with SECURE_AGG_NO_KEY', async () => {
    const err = await refusal(unary((o, cb) => client('site-b').getSealedKey({ keyId: 'a'.repeat(32) }, o, cb)));
    expect(err.code).toBe('COHORT_E_SECURE_AGG_NO_KEY');
    expect((await status('site-b')).paramsJson).toBe('');
  });

  it('refuses PublishSealedKeys from a site that is not the key holder', async () => {
    const params = { keyId: 'b'.repeat(32), paramsId: 'c'.repeat(64), polyModulusDegree: 4096, coeffModulusBits: [58], plainModulus: '17592186028033' };
    const err = await refusal(unary((o, cb) => client('site-b').publishSealedKeys({ paramsJson: JSON.stringify(params), sealed: [] }, o, cb)));
    expect(err.code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    expect(err.message).toBe('only the key holder "site-a" may publish the HE key; "site-b" may not');
    expect(coordinator.engine.store.heKey()).toBeUndefined();
  });

  it('refuses to run the ceremony at a site that is not the key holder', async () => {
    const err = await refusal(runKeyCeremony(client('site-b'), kit('site-b'), store('site-b')));
    expect(err.code).toBe('COHORT_E_SECURE_AGG_KEY_CEREMONY');
  });

  it('runs the ceremony: the key holder seals the key to site-b once its IT confirms it, and site-b opens the same key bytes', async () => {
    await publishExchangeKey(client('site-b'), kit('site-b'), store('site-b'));
    // First ceremony: the key is made, but site-b is not on the key holder's roster yet.
    const first = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'));
    expect(first).toMatchObject({ generated: true, sealedFor: [], alreadySealed: [], refused: [], confirmed: [] });
    expect(first.awaitingConfirmation).toEqual([
      { site: 'site-b', certificateFingerprint: certificateFingerprint(kit('site-b').certPem), exchangeKeyFingerprint: fingerprint('site-b'), reason: 'new' },
    ]);
    const result = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'), accepting('site-b'));
    expect(result).toMatchObject({ keyId: first.keyId, generated: false, sealedFor: ['site-b'], alreadySealed: [], refused: [], awaitingConfirmation: [], confirmed: ['site-b'] });
    keyId = result.keyId;
    expect(keyId).toMatch(/^[0-9a-f]{32}$/);
    const st = await status('site-b');
    expect(st.keyHolder).toBe('site-a');
    expect(JSON.parse(st.paramsJson)).toEqual(result.params);
    expect(st.recipients.map((r) => [r.site, r.sealed]).sort()).toEqual([['site-a', false], ['site-b', true]]);

    expect(store('site-b').has(keyId)).toBe(false);
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), keyId);
    const atB = store('site-b').secretKey(keyId) as Buffer;
    expect(Buffer.compare(atB, store('site-a').secretKey(keyId) as Buffer)).toBe(0);
    expect(store('site-b').params(keyId)).toEqual(result.params);
  });

  it('refuses a second key id from the key holder (no rotation), and a sealed key filed under the wrong site', async () => {
    const params = JSON.parse((await status('site-a')).paramsJson) as { keyId: string };
    const other = { ...params, keyId: 'd'.repeat(32) };
    const err = await refusal(unary((o, cb) => client('site-a').publishSealedKeys({ paramsJson: JSON.stringify(other), sealed: [] }, o, cb)));
    expect(err.code).toBe('COHORT_E_SECURE_AGG_KEY_CEREMONY');
    expect(err.message).toBe(`the consortium already has HE key ${keyId}; key rotation is not supported, so key ${'d'.repeat(32)} is refused`);

    const secret = store('site-a').secretKey(keyId) as Buffer;
    const toB = sealSecretKey(kit('site-a'), { site: 'site-b', publicKeyDer: store('site-b').exchangeKey().publicKeyDer }, JSON.parse((await status('site-a')).paramsJson), secret);
    const misfiled = await refusal(unary((o, cb) => client('site-a').publishSealedKeys({ paramsJson: JSON.stringify(params), sealed: [{ site: 'site-c', sealedJson: JSON.stringify(toB) }] }, o, cb)));
    expect(misfiled.code).toBe('COHORT_E_SECURE_AGG_KEY_CEREMONY');
    expect(misfiled.message).toBe('sealed key for site-c: addressed to "site-b"');
    expect(coordinator.engine.store.heKey()?.key_id).toBe(keyId);
  });

  it('gives a site added later the key on the next ceremony, leaving the others as they are', async () => {
    await addEnrolledSite(join(dir, 'kits'), 'site-c');
    addParticipant('site-c');
    expect(kit('site-c').keyHolder).toBe('site-a');
    await unary((o, cb) => client('site-c').register({ agentVersion: 't', backend: 'cpu', datasets: [] }, o, cb));
    await publishExchangeKey(client('site-c'), kit('site-c'), store('site-c'));
    const before = await refusal(ensureHeKey(client('site-c'), kit('site-c'), store('site-c'), keyId));
    expect(before.code).toBe('COHORT_E_SECURE_AGG_NO_KEY');

    const again = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'), accepting('site-c'));
    expect(again).toMatchObject({ keyId, generated: false, sealedFor: ['site-c'], alreadySealed: ['site-b'], refused: [], confirmed: ['site-c'] });
    await ensureHeKey(client('site-c'), kit('site-c'), store('site-c'), keyId);
    expect(Buffer.compare(store('site-c').secretKey(keyId) as Buffer, store('site-a').secretKey(keyId) as Buffer)).toBe(0);
  });

  it('offers a site whose exchange key changed (its he/ directory was lost) for sealing again', async () => {
    stores.set('site-b', new HeKeyStore(join(dir, 'data-site-b-rebuilt'), randomBytes(32)));
    await publishExchangeKey(client('site-b'), kit('site-b'), store('site-b'));
    const st = await status('site-a');
    expect(st.recipients.map((r) => [r.site, r.sealed]).sort()).toEqual([['site-a', false], ['site-b', false], ['site-c', true]]);
    // The roster holds site-b's old exchange key: the new one waits for confirmation.
    const held = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'));
    expect(held).toMatchObject({ sealedFor: [], alreadySealed: ['site-c'], refused: [] });
    expect(held.awaitingConfirmation.map((a) => [a.site, a.reason])).toEqual([['site-b', 'exchange-key-changed']]);
    const again = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'), accepting('site-b'));
    expect(again).toMatchObject({ sealedFor: ['site-b'], alreadySealed: ['site-c'], refused: [] });
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), keyId);
    expect(Buffer.compare(store('site-b').secretKey(keyId) as Buffer, store('site-a').secretKey(keyId) as Buffer)).toBe(0);
  });

  it('leaves exchange keys signed under a revoked certificate out of the ceremony', () => {
    const announcement = coordinator.engine.store.exchangeKeys().find((k) => k.site === 'site-c')!.announcement_json;
    const serial = identityFromCertificate(kit('site-c').certPem).serial;
    expect(announcedByRevoked(announcement, { consortium: 'relay-test', isRevoked: (s) => s === serial })).toBe(true);
    expect(announcedByRevoked(announcement, { consortium: 'relay-test', isRevoked: () => false })).toBe(false);
    expect(announcedByRevoked('not json', { consortium: 'relay-test', isRevoked: () => false })).toBe(true);
  });

  it('keeps neither the secret key bytes nor the key envelope anywhere in the coordinator\'s state directory, WAL included', () => {
    const secret = store('site-a').secretKey(keyId) as Buffer;
    const envelopeHeader = secret.subarray(0, 8); // "CBSK", version 1, three reserved zero bytes
    expect(envelopeHeader.subarray(0, 4).toString('latin1')).toBe('CBSK');
    // Control: the check finds the key in a JSON string that carries it in base64.
    expect(holdsKeyBytes(Buffer.from(JSON.stringify({ key: secret.toString('base64') })), secret)).toBe(true);
    const files = filesUnder(join(dir, 'state'));
    expect(files.some((f) => f.endsWith('coordinator.sqlite-wal'))).toBe(true);
    let sealedCopiesSeen = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(holdsKeyBytes(bytes, secret), f).toBe(false);
      const text = bytes.toString('latin1');
      expect(bytes.includes(envelopeHeader), f).toBe(false);
      expect(text.includes(envelopeHeader.toString('base64').slice(0, 10)), f).toBe(false);
      expect(text.includes(envelopeHeader.toString('hex')), f).toBe(false);
      if (text.includes('"recipient":"site-c"')) sealedCopiesSeen++;
    }
    // Not vacuous: the scan reads the relayed (sealed) copies where they are stored.
    expect(sealedCopiesSeen).toBeGreaterThan(0);
    expect(['site-a', 'site-b', 'site-c'].map((site) => coordinator.engine.store.sealedKey(keyId, site) !== undefined)).toEqual([false, true, true]);
  });
});
