/**
 * The key ceremony through a real coordinator (in this process, real mTLS on 127.0.0.1, real
 * kits): what the relay refuses, a full ceremony with the sites' own code (runKeyCeremony,
 * ensureHeKey) where each site is sealed to only once the key holder confirms it, a site added afterwards, and a coordinator state directory that holds only
 * sealed copies of the key, never the key. The coordinator never replaces a stored sealed copy
 * and takes HE key publishes only from the key of the certificate that first published it: the
 * operator, with a certificate it issued for the key holder's name, is refused, and a copy the
 * coordinator stores anyway is refused by a site pinning the key holder's key.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { addEnrolledSite, operatorIssued } from '../support/provision.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';
import { announceExchangeKey, generateExchangeKey, sealSecretKey, type HeKeyParameters, type SealedHeKey } from '../../core/secure-agg/key-ceremony.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import { certificateFingerprint, exchangeKeyFingerprint, signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import type { KeyCeremonyStatus__Output } from '../../protos/gen/cohort/v1/KeyCeremonyStatus.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { ensureHeKey, publishExchangeKey, runKeyCeremony } from '../../site-agent/key-ceremony.ts';
import { refusal, filesUnder, startTestConsortium } from '../support/in-process-coordinator.ts';
import { holdsKeyBytes, relabelledKey } from '../support/key-bytes.ts';
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
  /** The key holder's signing-key fingerprint, as every other site pins it (keyHolderKey). */
  let pin: string;
  const status = (name: string): Promise<KeyCeremonyStatus__Output> => unary<KeyCeremonyStatus__Output>((o, cb) => client(name).getKeyCeremony({}, o, cb));

  beforeAll(async () => {
    const t = await startTestConsortium({ name: 'relay-test', sites: ['site-a', 'site-b'], users: [{ name: 'alice', role: 'data-scientist' }] });
    ({ dir, coordinator, address } = t);
    for (const name of ['coordinator', 'site-a', 'site-b']) addParticipant(name);
    pin = signingKeyFingerprint(kit('site-a').certPem);
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
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), keyId, pin);
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
    const before = await refusal(ensureHeKey(client('site-c'), kit('site-c'), store('site-c'), keyId, pin));
    expect(before.code).toBe('COHORT_E_SECURE_AGG_NO_KEY');

    const again = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'), accepting('site-c'));
    expect(again).toMatchObject({ keyId, generated: false, sealedFor: ['site-c'], alreadySealed: ['site-b'], refused: [], confirmed: ['site-c'] });
    await ensureHeKey(client('site-c'), kit('site-c'), store('site-c'), keyId, pin);
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
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), keyId, pin);
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

  it('never replaces a stored sealed copy: the same copy again is accepted as is, another one sealed to the same exchange key is refused', async () => {
    const params = JSON.parse((await status('site-a')).paramsJson) as HeKeyParameters;
    const stored = coordinator.engine.store.sealedKey(keyId, 'site-c') as string;
    const publish = (sealedJson: string): Promise<unknown> => unary((o, cb) => client('site-a').publishSealedKeys({ paramsJson: JSON.stringify(params), sealed: [{ site: 'site-c', sealedJson }] }, o, cb));
    await publish(stored);
    expect(coordinator.engine.store.sealedKey(keyId, 'site-c')).toBe(stored);
    // Even the key holder's own fresh copy for the same exchange key does not replace it.
    const fresh = JSON.stringify(sealSecretKey(kit('site-a'), { site: 'site-c', publicKeyDer: store('site-c').exchangeKey().publicKeyDer }, params, store('site-a').secretKey(keyId) as Buffer));
    const err = await refusal(publish(fresh));
    expect(err.code).toBe('COHORT_E_SECURE_AGG_SEALED_KEY_EXISTS');
    expect(err.message).toBe(`sealed key for site-c: a different copy sealed to the same exchange key (${(JSON.parse(stored) as SealedHeKey).recipientKeySha256}) is stored already, and a stored copy is never replaced`);
    expect(coordinator.engine.store.sealedKey(keyId, 'site-c')).toBe(stored);
  });

  it('records the signing key of the certificate that first published the HE key; a key stored before that was recorded gets it on the key holder\'s next publish', async () => {
    expect(coordinator.engine.store.heKeyPublisher(keyId)).toBe(pin);
    coordinator.engine.store.db.prepare('DELETE FROM he_key_publishers').run();
    expect(coordinator.engine.store.heKeyPublisher(keyId)).toBeUndefined();
    await unary((o, cb) => client('site-a').publishSealedKeys({ paramsJson: (coordinator.engine.store.heKey() as { params_json: string }).params_json, sealed: [] }, o, cb));
    expect(coordinator.engine.store.heKeyPublisher(keyId)).toBe(pin);
  });

  it('the operator, with a certificate it issued for the key holder\'s name, cannot give a site with no key yet a BFV key of its own: the coordinator refuses the publish, and the site refuses a copy the coordinator stores anyway', async () => {
    // site-d is new: no key yet, the site such a forgery targets.
    await addEnrolledSite(join(dir, 'kits'), 'site-d');
    addParticipant('site-d');
    await unary((o, cb) => client('site-d').register({ agentVersion: 't', backend: 'cpu', datasets: [] }, o, cb));
    await publishExchangeKey(client('site-d'), kit('site-d'), store('site-d'));
    // The operator signs a request for "site-a" with a key of its own (the real kit is left as it was).
    const minted = await operatorIssued(join(dir, 'kits'), 'site-a', join(dir, 'operator-site-a'));
    const forgedKit: Kit = { ...kit('site-a'), ...minted };
    expect(loadKit(join(dir, 'kits', 'site-a')).certPem).toBe(kit('site-a').certPem);
    const forgedKey = signingKeyFingerprint(minted.certPem);
    expect(forgedKey).not.toBe(pin);
    const forgedClient = siteClient(forgedKit, address);
    clients.push(forgedClient);
    // The coordinator takes it for the key holder: it passes mTLS and the name check that was all PublishSealedKeys asked for.
    expect((await unary<KeyCeremonyStatus__Output>((o, cb) => forgedClient.getKeyCeremony({}, o, cb))).keyHolder).toBe('site-a');

    const params = JSON.parse((await status('site-a')).paramsJson) as HeKeyParameters;
    const operatorKey = await generateConsortiumKey(await consortiumKeyContext());
    const relabelled = relabelledKey(operatorKey.secretKey, params);
    const forgedFor = (site: string): string => JSON.stringify(sealSecretKey(forgedKit, { site, publicKeyDer: store(site).exchangeKey().publicKeyDer }, params, relabelled));
    const copyOfC = coordinator.engine.store.sealedKey(keyId, 'site-c');
    const err = await refusal(
      unary((o, cb) => forgedClient.publishSealedKeys({ paramsJson: JSON.stringify(params), sealed: [{ site: 'site-d', sealedJson: forgedFor('site-d') }, { site: 'site-c', sealedJson: forgedFor('site-c') }] }, o, cb)),
    );
    expect(err.code).toBe('COHORT_E_SECURE_AGG_KEY_PUBLISHER_MISMATCH');
    expect(err.message).toBe(`HE key ${keyId} was published under a certificate with key ${pin}; "site-a" calls with a certificate for key ${forgedKey}, so nothing is stored`);
    expect(coordinator.engine.store.sealedKey(keyId, 'site-d')).toBeUndefined();
    expect(coordinator.engine.store.sealedKey(keyId, 'site-c')).toBe(copyOfC);

    // Operator and coordinator together: the coordinator stores the operator's copy for site-d anyway.
    coordinator.engine.store.putSealedKey(keyId, 'site-d', forgedFor('site-d'), Date.now());
    const mismatch = await refusal(ensureHeKey(client('site-d'), kit('site-d'), store('site-d'), keyId, pin));
    expect(mismatch.code).toBe('COHORT_E_SECURE_AGG_KEY_HOLDER_MISMATCH');
    const unpinned = await refusal(ensureHeKey(client('site-d'), kit('site-d'), store('site-d'), keyId, undefined));
    expect(unpinned.code).toBe('COHORT_E_SECURE_AGG_KEY_HOLDER_NOT_PINNED');
    expect(store('site-d').has(keyId)).toBe(false);
    // Control, the check without a confirmed pin (the key holder's key taken from whatever certificate comes, as before):
    // site-d opens and keeps the operator's key, under which it would encrypt its updates.
    await ensureHeKey(client('site-d'), kit('site-d'), store('site-d'), keyId, forgedKey);
    expect(Buffer.compare(store('site-d').secretKey(keyId) as Buffer, relabelled)).toBe(0);
  });
});
