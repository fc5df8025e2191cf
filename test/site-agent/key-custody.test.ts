/**
 * Key custody through a real coordinator (in this process, real mTLS, real kits, site configs
 * and at-rest keys on disk): `cohort site fingerprint` and `cohort site key-ceremony`'s own
 * functions (siteFingerprints, keyHolderCeremony with --accept, the prompt and --crl) and the
 * commands themselves (--json), the
 * coordinator's GetCrl, a revoked site refused by the key holder's own CRL check even when the
 * coordinator lists it, an agent that re-announces its exchange key while connected, a key
 * holder that refuses to run on a deleted roster (--rebuild-roster to start over), and the
 * sites' keyHolderKey pin in the site config.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCoordinator } from '../../coordinator/coordinator.ts';
import { ConfigErrors, GeneralErrors, SecureAggErrors } from '../../core/errors/index.ts';
import { createLogger } from '../../core/logging.ts';
import { loadKit, type Kit } from '../../core/pki/kit.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';
import { verifyCeremonyCrl } from '../../core/secure-agg/crl-check.ts';
import { certificateFingerprint, signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import type { ExchangeKeyAnnouncement } from '../../core/secure-agg/key-ceremony.ts';
import type { CrlResponse__Output } from '../../protos/gen/cohort/v1/CrlResponse.ts';
import type { KeyCeremonyStatus__Output } from '../../protos/gen/cohort/v1/KeyCeremonyStatus.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import { SiteAgent } from '../../site-agent/agent.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { ensureHeKey, publishExchangeKey, runKeyCeremony } from '../../site-agent/key-ceremony.ts';
import { keyHolderCeremony, parseAccepts, siteFingerprints } from '../../site-agent/key-custody.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { openSiteLedger } from '../../site-agent/site-init.ts';
import { caught } from '../models/helpers.ts';
import { refusal, startTestConsortium } from '../support/in-process-coordinator.ts';
import { revoke } from '../support/provision.ts';
import { testCa } from '../core/secure-agg/ceremony-pki.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';
import { siteFingerprintCommand, siteKeyCeremonyCommand } from '../../cli/commands/site-key-ceremony.ts';
import type { Command } from 'commander';

const SITES = ['site-a', 'site-b', 'site-c'] as const;

describe('key custody through the coordinator', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let address: string;
  const clients: SiteServiceClient[] = [];
  const kitDir = (name: string): string => join(dir, 'kits', name);
  const configPath = (name: string): string => join(dir, 'sites', name, 'site.yaml');
  const kit = (name: string): Kit => loadKit(kitDir(name));
  const atRestKeys = new Map<string, Buffer>();
  let initialCrl = '';
  const store = (name: string): HeKeyStore => new HeKeyStore(join(dir, 'sites', name, 'data'), atRestKeys.get(name) as Buffer);
  function client(name: string): SiteServiceClient {
    const c = siteClient(kit(name), address);
    clients.push(c);
    return c;
  }
  const status = (): Promise<KeyCeremonyStatus__Output> => unary<KeyCeremonyStatus__Output>((o, cb) => client('site-a').getKeyCeremony({}, o, cb));

  beforeAll(async () => {
    ({ dir, coordinator, address } = await startTestConsortium({ name: 'custody-test', sites: SITES, users: [{ name: 'alice', role: 'data-scientist' }] }));
    for (const name of SITES) {
      const siteDir = join(dir, 'sites', name);
      mkdirSync(siteDir, { recursive: true });
      const key = randomBytes(32);
      atRestKeys.set(name, key);
      writeFileSync(join(siteDir, 'at-rest.key'), `${key.toString('base64')}\n`, { mode: 0o600 });
      writeFileSync(join(siteDir, 'site.yaml'), `site: ${name}\ndataDir: ./data\nkeyFile: ./at-rest.key\ndatasets: {}\n`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the CRL in force (GetCrl), which the key holder verifies against the CA of its own kit', async () => {
    const res = await unary<CrlResponse__Output>((o, cb) => client('site-a').getCrl({}, o, cb));
    expect(res.crlPem).toBe(kit('coordinator').crlPem);
    initialCrl = res.crlPem;
    const crl = await verifyCeremonyCrl(res.crlPem, kit('site-a').caPem, { source: 'served by the coordinator' });
    expect(crl.revokedSerials.size).toBe(0);
  });

  it('refuses a version 1 announcement (no time window) at the coordinator', async () => {
    const v1 = { v: 1, consortium: 'custody-test', site: 'site-c', publicKey: 'AA==', certificatePem: kit('site-c').certPem, signature: 'AA==' };
    const err = await refusal(unary((o, cb) => client('site-c').publishExchangeKey({ announcementJson: JSON.stringify(v1) }, o, cb)));
    expect(err.code).toBe(SecureAggErrors.KEY_CEREMONY.code);
    expect(err.message).toBe('exchange key: announcement version 1 (no issue or expiry time) is no longer accepted; upgrade the site agent');
  });

  it('prints a site\'s own fingerprints (`cohort site fingerprint`), making the exchange key as the agent would when missing', () => {
    const first = siteFingerprints(kitDir('site-b'), configPath('site-b'));
    expect(first).toMatchObject({ site: 'site-b', certificateFingerprint: certificateFingerprint(kit('site-b').certPem), exchangeKeyCreated: true });
    // At the key holder, signingKeyFingerprint is what every other site pins as keyHolderKey.
    expect(first.signingKeyFingerprint).toBe(signingKeyFingerprint(kit('site-b').certPem));
    expect(siteFingerprints(kitDir('site-a'), configPath('site-a')).signingKeyFingerprint).toBe(signingKeyFingerprint(kit('site-a').certPem));
    const again = siteFingerprints(kitDir('site-b'), configPath('site-b'));
    expect(again).toEqual({ ...first, exchangeKeyCreated: false });
    expect(store('site-b').hasExchangeKey()).toBe(true);
  });

  it('parses --accept values, refusing malformed ones with GENERAL_USAGE', () => {
    const fp = siteFingerprints(kitDir('site-b'), configPath('site-b')).exchangeKeyFingerprint;
    expect(parseAccepts([`site-b=${fp}`, `site-b=${fp}`])).toEqual(new Map([['site-b', fp]]));
    for (const bad of ['site-b', `site-b=${fp.slice(0, 20)}`, `Site-B=${fp}`, 'site-b=abc']) expect(caught(() => parseAccepts([bad])).code).toBe(GeneralErrors.USAGE.code);
    expect(caught(() => parseAccepts([`site-b=${fp}`, `site-b=SHA256:${'A'.repeat(43)}`])).message).toBe('--accept names site-b twice, with two fingerprints');
  });

  it('refuses to seal with a CRL from another CA (--crl), before making any key', async () => {
    const foreign = await testCa('custody-test');
    const file = join(dir, 'foreign-crl.pem');
    writeFileSync(file, await foreign.crl([]));
    const err = await refusal(keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: file }));
    expect(err.code).toBe(SecureAggErrors.CRL_INVALID.code);
    expect(err.message).toBe(`CRL ${file}: its signature was not made by the consortium CA of this kit`);
    expect(coordinator.engine.store.heKey()).toBeUndefined();
  });

  it('holds site-b back until the key holder confirms the fingerprint site-b prints (--accept), or answers yes at the prompt', async () => {
    await publishExchangeKey(client('site-b'), kit('site-b'), store('site-b'));
    await publishExchangeKey(client('site-c'), kit('site-c'), store('site-c'));
    const printedB = siteFingerprints(kitDir('site-b'), configPath('site-b'));
    const printedC = siteFingerprints(kitDir('site-c'), configPath('site-c'));

    const first = await keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address });
    expect(first).toMatchObject({ generated: true, sealedFor: [], alreadySealed: [], refused: [], confirmed: [] });
    expect(first.awaitingConfirmation).toEqual([
      { site: 'site-b', certificateFingerprint: printedB.certificateFingerprint, exchangeKeyFingerprint: printedB.exchangeKeyFingerprint, reason: 'new' },
      { site: 'site-c', certificateFingerprint: printedC.certificateFingerprint, exchangeKeyFingerprint: printedC.exchangeKeyFingerprint, reason: 'new' },
    ]);

    // A wrong fingerprint for site-b is refused; the prompt says no to site-c.
    const asked: string[] = [];
    const wrong = await keyHolderCeremony(kitDir('site-a'), configPath('site-a'), {
      address,
      accept: new Map([['site-b', printedC.exchangeKeyFingerprint]]),
      confirm: async (c) => {
        asked.push(c.site);
        return false;
      },
    });
    expect(wrong.sealedFor).toEqual([]);
    expect(wrong.refused.map((r) => [r.site, r.code])).toEqual([['site-b', SecureAggErrors.CONFIRMATION_MISMATCH.code]]);
    expect(wrong.awaitingConfirmation.map((a) => a.site)).toEqual(['site-c']);
    expect(asked).toEqual(['site-c']);

    // --accept for site-b, "yes" at the prompt for site-c.
    const confirmed = await keyHolderCeremony(kitDir('site-a'), configPath('site-a'), {
      address,
      accept: parseAccepts([`site-b=${printedB.exchangeKeyFingerprint}`]),
      confirm: async (c) => c.site === 'site-c' && c.exchangeKeyFingerprint === printedC.exchangeKeyFingerprint,
    });
    expect(confirmed).toMatchObject({ keyId: first.keyId, generated: false, sealedFor: ['site-b', 'site-c'], confirmed: ['site-b', 'site-c'], refused: [], awaitingConfirmation: [] });
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), first.keyId, signingKeyFingerprint(kit('site-a').certPem));
    expect(Buffer.compare(store('site-b').secretKey(first.keyId) as Buffer, store('site-a').secretKey(first.keyId) as Buffer)).toBe(0);

    // Confirmed once: a re-announcement of the same key is sealed to again without asking (when needed).
    expect(store('site-a').roster('custody-test').members.map((m) => m.site)).toEqual(['site-b', 'site-c']);
  });

  it('refuses a site its own CRL check finds revoked, even through a coordinator that still lists it', async () => {
    const announcementOfC = coordinator.engine.store.exchangeKeys().find((k) => k.site === 'site-c')!.announcement_json;
    expect((JSON.parse(announcementOfC) as ExchangeKeyAnnouncement).certificatePem).toBe(kit('site-c').certPem);
    await revoke(join(dir, 'kits'), 'site-c');
    // The coordinator reloads its kit's CRL within seconds.
    const deadline = Date.now() + 15_000;
    let served = '';
    while (Date.now() < deadline) {
      served = (await unary<CrlResponse__Output>((o, cb) => client('site-a').getCrl({}, o, cb))).crlPem;
      if ((await verifyCeremonyCrl(served, kit('site-a').caPem, { source: 'coordinator' })).revokedSerials.size > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect((await status()).recipients.map((r) => r.site)).not.toContain('site-c');
    // A coordinator that does not filter: it lists site-c's announcement as not sealed yet.
    const real = client('site-a');
    const unfiltered = new Proxy(real, {
      get(target, prop) {
        if (prop === 'getKeyCeremony') {
          return (req: object, options: object, cb: (e: unknown, res?: KeyCeremonyStatus__Output) => void) =>
            target.getKeyCeremony(req, options, (e, res) => cb(e, res && { ...res, recipients: [...res.recipients, { site: 'site-c', announcementJson: announcementOfC, sealed: false }] }));
        }
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const r = await runKeyCeremony(unfiltered, kit('site-a'), store('site-a'));
    expect(r.sealedFor).toEqual([]);
    expect(r.refused.map((x) => [x.site, x.code])).toEqual([['site-c', SecureAggErrors.SITE_REVOKED.code]]);

    // The key holder remembers the CRL number it verified: the first CRL, handed back with --crl, is an older one.
    const older = join(dir, 'older-crl.pem');
    writeFileSync(older, initialCrl);
    const err = await refusal(keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: older }));
    expect(err.code).toBe(SecureAggErrors.CRL_STALE.code);
    expect(err.message).toMatch(/^CRL .*older-crl\.pem: its CRL number 1 is lower than 2, the newest this key holder already saw/);
  });

  it('has a connected agent announce its exchange key again while it stays connected', async () => {
    const config = loadSiteConfig(configPath('site-b'));
    const key = atRestKeys.get('site-b') as Buffer;
    const agent = new SiteAgent({
      kit: kit('site-b'),
      config,
      states: new RunStateStore(config.dataDir, key),
      heKeys: store('site-b'),
      ledger: openSiteLedger(config, key),
      backend: 'cpu',
      log: createLogger('test', { level: 'silent' }),
      address,
      reannounceIntervalMs: 150,
    });
    const issuedAt = (): number => Date.parse((JSON.parse(coordinator.engine.store.exchangeKeys().find((k) => k.site === 'site-b')!.announcement_json) as ExchangeKeyAnnouncement).issuedAt);
    const before = issuedAt();
    const running = agent.run();
    try {
      const seen = new Set<number>();
      const deadline = Date.now() + 10_000;
      while (seen.size < 3 && Date.now() < deadline) {
        if (issuedAt() > before) seen.add(issuedAt());
        await new Promise((r) => setTimeout(r, 50));
      }
      // On connect, then at least twice more on the interval.
      expect(seen.size).toBeGreaterThanOrEqual(3);
    } finally {
      agent.stop();
      await running;
    }
  });

  it('runs as `cohort site fingerprint --json` and `cohort site key-ceremony --accept ... --json`', async () => {
    const register = (program: Command): void => {
      program.command('site').addCommand(siteKeyCeremonyCommand()).addCommand(siteFingerprintCommand());
    };
    // site-b lost its he/ directory: a new exchange key, announced when its agent connects.
    rmSync(join(dir, 'sites', 'site-b', 'data', 'he'), { recursive: true, force: true });
    const printed = (await runCliJson(register, ['site', 'fingerprint', '--kit', kitDir('site-b'), '--config', configPath('site-b'), '--json'])) as Record<string, unknown>;
    expect(Object.keys(printed).sort()).toEqual(['certificateFingerprint', 'exchangeKeyCreated', 'exchangeKeyFingerprint', 'signingKeyFingerprint', 'site']);
    expect(printed).toMatchObject({ site: 'site-b', exchangeKeyCreated: true });
    await publishExchangeKey(client('site-b'), kit('site-b'), store('site-b'));

    const ceremony = ['site', 'key-ceremony', '--kit', kitDir('site-a'), '--config', configPath('site-a'), '--address', address, '--json'];
    const held = (await runCliJson(register, ceremony)) as Record<string, unknown>;
    expect(held).toMatchObject({ sealedFor: [], alreadySealed: [], refused: [] });
    expect(held.awaitingConfirmation).toEqual([{ site: 'site-b', certificateFingerprint: printed.certificateFingerprint, exchangeKeyFingerprint: printed.exchangeKeyFingerprint, reason: 'exchange-key-changed' }]);
    const sealed = (await runCliJson(register, [...ceremony, '--accept', `site-b=${String(printed.exchangeKeyFingerprint)}`])) as Record<string, unknown>;
    expect(sealed).toMatchObject({ keyId: held.keyId, sealedFor: ['site-b'], alreadySealed: [], refused: [], awaitingConfirmation: [], confirmed: ['site-b'] });

    const bad = await runCli(register, [...ceremony, '--accept', 'site-b=nope']);
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.err).error.code).toBe(GeneralErrors.USAGE.code);
  });

  it('refuses the ceremony when the key holder holds the HE key but its roster was deleted; restored from backup it runs again; --rebuild-roster makes every member be confirmed again', async () => {
    const register = (program: Command): void => {
      program.command('site').addCommand(siteKeyCeremonyCommand());
    };
    const ceremony = ['site', 'key-ceremony', '--kit', kitDir('site-a'), '--config', configPath('site-a'), '--address', address, '--json'];
    const rosterFile = join(dir, 'sites', 'site-a', 'data', 'he', 'roster.sealed');
    const backup = readFileSync(rosterFile);
    const [keyId] = store('site-a').heldKeyIds();
    // CRL number 1, older than the 2 the roster records: refused while the roster keeps its floor.
    const older = join(dir, 'older-crl.pem');
    expect((await refusal(keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: older }))).code).toBe(SecureAggErrors.CRL_STALE.code);
    const copyOfB = coordinator.engine.store.sealedKey(keyId as string, 'site-b');

    rmSync(rosterFile);
    const missing = await refusal(keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: older }));
    expect(missing.code).toBe(SecureAggErrors.ROSTER_MISSING.code);
    expect(missing.message).toBe(
      `this key holder holds HE key ${keyId} but its roster ${rosterFile} is missing; restore it from backup, or, if it is lost for good, rerun with --rebuild-roster and confirm every member again with --accept <site>=<fingerprint>`,
    );
    const cli = await runCli(register, ceremony);
    expect(cli.exitCode).toBe(1);
    expect(JSON.parse(cli.err).error.code).toBe(SecureAggErrors.ROSTER_MISSING.code);
    expect(existsSync(rosterFile)).toBe(false);
    expect(coordinator.engine.store.sealedKey(keyId as string, 'site-b')).toBe(copyOfB);

    // Restored from backup: the floor holds again and the ceremony runs as before.
    writeFileSync(rosterFile, backup, { mode: 0o600 });
    expect((await refusal(keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: older }))).code).toBe(SecureAggErrors.CRL_STALE.code);
    expect(await runCliJson(register, ceremony)).toMatchObject({ sealedFor: [], alreadySealed: ['site-b'], refused: [], awaitingConfirmation: [] });
    const present = await runCli(register, [...ceremony, '--rebuild-roster']);
    expect(present.exitCode).toBe(2);
    expect(JSON.parse(present.err).error.code).toBe(GeneralErrors.USAGE.code);

    // Lost for good: --rebuild-roster starts an empty roster. What a deleted roster would have given
    // silently without the refusal: the older CRL passes (no CRL-number floor) and no member is left,
    // so site-b, which holds its copy, waits to be confirmed again (and is not sealed to again).
    rmSync(rosterFile);
    const rebuilt = await keyHolderCeremony(kitDir('site-a'), configPath('site-a'), { address, crlFile: older, rebuildRoster: true });
    expect(rebuilt).toMatchObject({ generated: false, sealedFor: [], alreadySealed: [], refused: [], confirmed: [] });
    expect(rebuilt.awaitingConfirmation.map((a) => [a.site, a.reason])).toEqual([['site-b', 'new']]);
    expect(store('site-a').roster('custody-test')).toMatchObject({ members: [], crlNumber: 1 });
    const fp = siteFingerprints(kitDir('site-b'), configPath('site-b')).exchangeKeyFingerprint;
    const confirmed = (await runCliJson(register, [...ceremony, '--accept', `site-b=${fp}`])) as Record<string, unknown>;
    expect(confirmed).toMatchObject({ sealedFor: [], alreadySealed: ['site-b'], confirmed: ['site-b'], refused: [], awaitingConfirmation: [] });
    expect(store('site-a').roster('custody-test')).toMatchObject({ members: [{ site: 'site-b', exchangeKeyFingerprint: fp }], crlNumber: 2 });
    expect(coordinator.engine.store.sealedKey(keyId as string, 'site-b')).toBe(copyOfB);
  });

  it('reads keyHolderKey from the site config, refusing one not written as a fingerprint', () => {
    const pin = signingKeyFingerprint(kit('site-a').certPem);
    const path = join(dir, 'sites', 'site-b', 'pinned.yaml');
    writeFileSync(path, `site: site-b\ndataDir: ./data\nkeyFile: ./at-rest.key\nkeyHolderKey: "${pin}"\ndatasets: {}\n`);
    expect(loadSiteConfig(path).keyHolderKey).toBe(pin);
    expect(loadSiteConfig(configPath('site-b')).keyHolderKey).toBeUndefined();
    writeFileSync(path, `site: site-b\ndataDir: ./data\nkeyFile: ./at-rest.key\nkeyHolderKey: "${certificateFingerprint(kit('site-a').certPem).slice(0, 30)}"\ndatasets: {}\n`);
    const err = caught(() => loadSiteConfig(path));
    expect(err.code).toBe(ConfigErrors.INVALID.code);
    expect(err.message).toContain('keyHolderKey: expected SHA256: and 43 base64 characters, the signingKeyFingerprint that `cohort site fingerprint` prints at the key holder');
  });
});
