/**
 * The cohort each site masks and shares over is bound: a digest of (round, members with their
 * advertisement hashes, threshold) that every member signs and that seals every share. The
 * reviewer's split-view attack (6 sites; the coordinator shows the victim alder the cohort
 * {alder, birch, cedar} with threshold 3 and the others larger views, cedar colluding) rebuilt
 * alder's self-mask seed and the mask keys of birch and cedar, and read alder's update exactly
 * (5000/5000 slots) before this binding; here each of its steps is refused.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../../../core/errors/index.ts';
import {
  confirmCohort,
  createRoundMaskKeys,
  dealShares,
  maskCohort,
  openShare,
  releaseShares,
  signCohort,
  verifyMaskKeys,
  memoryLedger,
  type MaskKeyAdvertisement,
  type RoundMaskSecrets,
  type VerifiedMaskKeys,
} from '../../../../core/secure-agg/masking/protocol.ts';
import { caughtSync } from '../../../support/caught.ts';
import { testCa, type TestCa, type TestIdentity } from '../ceremony-pki.ts';
import { notRevoked } from './round-fixture.ts';

const context = { consortium: 'acme', run: 'run-1', round: 1 };
const NAMES = ['alder', 'birch', 'cedar', 'x1', 'x2', 'x3'];
const VIEWS: Record<string, string[]> = {
  alder: ['alder', 'birch', 'cedar'], // the victim: threshold 3
  birch: NAMES,
  cedar: NAMES, // the colluder
  x1: ['birch', 'cedar', 'x1', 'x2', 'x3'],
  x2: ['birch', 'cedar', 'x1', 'x2', 'x3'],
  x3: ['birch', 'cedar', 'x1', 'x2', 'x3'],
};

let ca: TestCa;
let ids: Map<string, TestIdentity>;
let made: Map<string, { advertisement: MaskKeyAdvertisement; secrets: RoundMaskSecrets }>;
let verified: Map<string, VerifiedMaskKeys>;

beforeAll(async () => {
  ca = await testCa('acme');
  ids = new Map(await Promise.all(NAMES.map(async (n) => [n, await ca.issue(n)] as const)));
  made = new Map(NAMES.map((n) => [n, createRoundMaskKeys(ids.get(n) as TestIdentity, context)]));
  verified = new Map(NAMES.map((n) => [n, verifyMaskKeys(JSON.stringify(made.get(n)?.advertisement), { caPem: ca.caPem, context, site: n, isRevoked: notRevoked })]));
}, 60_000);

const viewOf = (site: string, minSites = 3): ReturnType<typeof maskCohort> => maskCohort(context, (VIEWS[site] as string[]).map((m) => verified.get(m) as VerifiedMaskKeys), undefined, minSites);

describe('split views of the cohort', () => {
  it('give different digests and thresholds; the victim refuses to confirm its view, naming the member that signed another', () => {
    const cohorts = new Map(NAMES.map((n) => [n, viewOf(n)]));
    expect(NAMES.map((n) => cohorts.get(n)?.threshold)).toEqual([3, 4, 4, 4, 4, 4]);
    expect(new Set(NAMES.map((n) => cohorts.get(n)?.digest)).size).toBe(3);
    // Every site signs the view it was shown; the coordinator relays alder's members' signatures.
    const signatures = NAMES.map((n) => signCohort(ids.get(n) as TestIdentity, cohorts.get(n) as ReturnType<typeof maskCohort>));
    const forAlder = signatures.filter((s) => VIEWS.alder?.includes(s.site));
    const e = caughtSync(() => confirmCohort(cohorts.get('alder') as ReturnType<typeof maskCohort>, forAlder));
    expect({ code: e.code, site: e.details.site }).toEqual({ code: SecureAggErrors.MASKING.code, site: 'birch' });
    // Even a colluder's forged "birch" signature does not pass: it must verify under birch's certificate.
    const cedarKey = createPrivateKey((ids.get('cedar') as TestIdentity).keyPem);
    const digest = (cohorts.get('alder') as ReturnType<typeof maskCohort>).digest;
    const forged = { v: 1 as const, site: 'birch', cohort: digest, signature: sign('sha256', Buffer.from(JSON.stringify(['cohort-secagg-cohort-signature-v1', 1, 'acme', 'run-1', 1, 'birch', digest])), cedarKey).toString('base64') };
    const withForged = [forAlder[0], forged, forAlder[2]];
    const e2 = caughtSync(() => confirmCohort(cohorts.get('alder') as ReturnType<typeof maskCohort>, withForged));
    expect({ code: e2.code, site: e2.details.site, message: /does not verify/.test(e2.message) }).toEqual({ code: SecureAggErrors.MASKING.code, site: 'birch', message: true });
    // A missing signature is refused too (the colluder cedar signs alder's view; birch's is left out).
    const alderView = cohorts.get('alder') as ReturnType<typeof maskCohort>;
    const e3 = caughtSync(() => confirmCohort(alderView, ['alder', 'cedar'].map((n) => signCohort(ids.get(n) as TestIdentity, alderView))));
    expect({ code: e3.code, details: e3.details }).toEqual({ code: SecureAggErrors.MASKING.code, details: { missing: ['birch'] } });
  });

  it('the victim\'s shares do not open at an honest site holding another view, even confirmed by its own view\'s members', async () => {
    const alderView = viewOf('alder');
    // The coordinator made alder's view look confirmed (as if all three had signed it)...
    const alderConfirmed = confirmCohort(alderView, VIEWS.alder!.map((n) => signCohort(ids.get(n) as TestIdentity, alderView)));
    const sealed = (await dealShares(made.get('alder')?.secrets as RoundMaskSecrets, alderConfirmed, ids.get('alder') as TestIdentity)).find((s) => s.to === 'birch')!;
    // ...but birch holds the 6-site view, which every one of its members signed.
    const birchView = viewOf('birch');
    const birchConfirmed = confirmCohort(birchView, NAMES.map((n) => signCohort(ids.get(n) as TestIdentity, birchView)));
    const e = caughtSync(() => openShare(JSON.stringify(sealed), made.get('birch')?.secrets as RoundMaskSecrets, birchConfirmed));
    expect({ code: e.code, from: e.details.from, message: /another view of the cohort/.test(e.message) }).toEqual({ code: SecureAggErrors.MASKING.code, from: 'alder', message: true });
    // Relabelled with birch's digest, the AEAD (keyed and authenticated under the digest) refuses it.
    const e2 = caughtSync(() => openShare({ ...sealed, cohort: birchConfirmed.digest }, made.get('birch')?.secrets as RoundMaskSecrets, birchConfirmed));
    expect({ code: e2.code, message: /authentication failed/.test(e2.message) }).toEqual({ code: SecureAggErrors.MASKING.code, message: true });
    // An unmask request made for alder's digest is refused by birch, nothing released.
    const ledger = memoryLedger();
    const e3 = caughtSync(() =>
      releaseShares({ ...context, cohort: alderConfirmed.digest, survivors: NAMES, dropped: [] }, made.get('birch')?.secrets as RoundMaskSecrets, birchConfirmed, new Map(), ledger, 3),
    );
    expect({ code: e3.code, released: ledger.entries.size }).toEqual({ code: SecureAggErrors.MASKING.code, released: 0 });
  });

  it('an unconfirmed cohort opens nothing and answers no unmask request', async () => {
    const view = viewOf('birch');
    const sealed = (await dealShares(made.get('alder')?.secrets as RoundMaskSecrets, view, ids.get('alder') as TestIdentity)).find((s) => s.to === 'birch')!;
    const unconfirmed = view as Parameters<typeof openShare>[2];
    expect(caughtSync(() => openShare(sealed, made.get('birch')?.secrets as RoundMaskSecrets, unconfirmed)).code).toBe(SecureAggErrors.MASKING.code);
    expect(caughtSync(() => releaseShares({ ...context, cohort: view.digest, survivors: NAMES, dropped: [] }, made.get('birch')?.secrets as RoundMaskSecrets, unconfirmed, new Map(), memoryLedger(), 3)).code).toBe(
      SecureAggErrors.MASKING.code,
    );
  });

  it('a cohort smaller than the run\'s minSites is refused: the victim\'s 3-site view under minSites 4', () => {
    const e = caughtSync(() => viewOf('alder', 4));
    expect({ code: e.code, details: e.details }).toEqual({ code: SecureAggErrors.MASKING.code, details: { sites: 3, minSites: 4 } });
  });

  it('one consistent view: every member confirms it and the digest binds members, advertisements and threshold', () => {
    const view = viewOf('birch');
    const confirmed = confirmCohort(view, NAMES.map((n) => JSON.parse(JSON.stringify(signCohort(ids.get(n) as TestIdentity, view))) as unknown));
    expect(confirmed.signatures.map((s) => s.site)).toEqual(NAMES);
    expect(maskCohort(context, [...verified.values()], 5, 3).digest).not.toBe(view.digest);
    const other = verifyMaskKeys(createRoundMaskKeys(ids.get('x3') as TestIdentity, context).advertisement, { caPem: ca.caPem, context, site: 'x3', isRevoked: notRevoked });
    expect(maskCohort(context, [...[...verified.values()].filter((v) => v.site !== 'x3'), other], undefined, 3).digest).not.toBe(view.digest);
  });
});

describe('low-order X25519 keys', () => {
  it('an advertisement signed with a low-order mask or channel key is refused at verification, naming the site', () => {
    const alder = ids.get('alder') as TestIdentity;
    const { advertisement } = createRoundMaskKeys(alder, context);
    const spki = (u: Buffer): string => Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), u]).toString('base64');
    const resign = (a: MaskKeyAdvertisement): MaskKeyAdvertisement => {
      const bytes = Buffer.from(JSON.stringify(['cohort-secagg-advert-v1', a.v, a.consortium, a.run, a.round, a.site, a.channelPublicKey, a.maskPublicKey, a.selfSeedCommitment]));
      return { ...a, signature: sign('sha256', bytes, createPrivateKey(alder.keyPem)).toString('base64') };
    };
    const zero = spki(Buffer.alloc(32));
    const one = spki(Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]));
    for (const bad of [{ maskPublicKey: zero }, { maskPublicKey: one }, { channelPublicKey: zero }]) {
      const e = caughtSync(() => verifyMaskKeys(resign({ ...advertisement, ...bad }), { caPem: ca.caPem, context, site: 'alder', isRevoked: notRevoked }));
      expect({ code: e.code, site: e.details.site, message: /low-order/.test(e.message) }).toEqual({ code: SecureAggErrors.MASKING.code, site: 'alder', message: true });
    }
    expect(verifyMaskKeys(resign(advertisement), { caPem: ca.caPem, context, site: 'alder', isRevoked: notRevoked }).site).toBe('alder');
  });
});
