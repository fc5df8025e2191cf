/**
 * A site's masking steps (site-agent/masking.ts) on its real sealed run state: what a step
 * decides is on disk before it leaves, so a site restarted (a new SiteMasking over the same
 * state directory) sends the same keys and the same sealed shares, and its never-both ledger
 * still refuses the other kind of share for a site. Real certificates, X25519 and Shamir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecureAggErrors } from '../../core/errors/index.ts';
import type { PublishedUnmask } from '../../core/secure-agg/masked-run.ts';
import { signUnmaskRequest, verifyUnmaskRequest, type SignedUnmask } from '../../core/secure-agg/masking/unmask-request.ts';
import { SiteMasking } from '../../site-agent/masking.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { testCa, type TestIdentity } from '../core/secure-agg/ceremony-pki.ts';

const NAMES = ['site-a', 'site-b', 'site-c', 'site-d'];
const RUN = 'run-mask1';
const PARAMS = { threshold: 'default' } as const;
const CODEC = { plainModulus: '17592186028033', polyModulusDegree: 4096 };

describe('a site\'s masking steps on its sealed run state', () => {
  let dir: string;
  let ids: TestIdentity[];
  let coordinator: TestIdentity;
  const signed = (r: PublishedUnmask): SignedUnmask => signUnmaskRequest(r, coordinator);
  const keyOf = new Map<string, Buffer>();
  const site = (id: TestIdentity): SiteMasking => new SiteMasking({ me: id, states: new RunStateStore(join(dir, id.name), keyOf.get(id.name) as Buffer), isRevoked: () => false });
  type Dealt = { signature: { cohort: string }; shares: { to: string }[] };
  const sharesOf = (dealt: readonly string[], name: string): string[] => dealt.flatMap((d) => (JSON.parse(d) as Dealt).shares.filter((s) => s.to === name).map((s) => JSON.stringify(s)));
  const signaturesOf = (dealt: readonly string[]): string[] => dealt.map((d) => JSON.stringify((JSON.parse(d) as Dealt).signature));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-site-mask-'));
    const ca = await testCa('mask-consortium');
    ids = await Promise.all(NAMES.map((n) => ca.issue(n)));
    coordinator = await ca.issue('coordinator', 'coordinator');
    for (const n of NAMES) keyOf.set(n, randomBytes(32));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('after a restart: the same keys and shares, and the ledger refuses the other kind', async () => {
    const keys = ids.map((id) => site(id).keys(RUN, 1));
    // A restarted site advertises the same keys again, never fresh ones.
    expect(ids.map((id) => site(id).keys(RUN, 1))).toEqual(keys);
    const dealt = await Promise.all(ids.map((id) => site(id).shares(RUN, 1, keys, PARAMS, 2)));
    expect(await site(ids[0] as TestIdentity).shares(RUN, 1, keys, PARAMS, 2)).toBe(dealt[0]);
    // Another cohort after the dealing is refused: a secret is never dealt twice.
    await expect(site(ids[0] as TestIdentity).shares(RUN, 1, keys.slice(0, 3), PARAMS, 2)).rejects.toMatchObject({ code: SecureAggErrors.MASKING.code });
    const signatures = signaturesOf(dealt);
    const digest = (JSON.parse(dealt[0] as string) as Dealt).signature.cohort;
    // Every member signed the same cohort digest.
    expect(new Set(dealt.map((d) => (JSON.parse(d) as Dealt).signature.cohort))).toEqual(new Set([digest]));
    for (const id of ids) site(id).masker(RUN, 1, { keys, shares: sharesOf(dealt, id.name), signatures }, PARAMS, 2, CODEC).dispose();
    // Once per round, after a restart too: a second upload under the same masks would show the difference of two updates.
    expect(() => site(ids[0] as TestIdentity).masker(RUN, 1, { keys, shares: sharesOf(dealt, 'site-a'), signatures }, PARAMS, 2, CODEC)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));

    const request: PublishedUnmask = { consortium: 'mask-consortium', run: RUN, round: 1, cohort: digest, survivors: ['site-a', 'site-b', 'site-c'], dropped: ['site-d'] };
    const released = JSON.parse(site(ids[0] as TestIdentity).release(RUN, 1, keys, signed(request), PARAMS, 2)) as { selfShares: Record<string, string>; maskKeyShares: Record<string, string> };
    expect([Object.keys(released.selfShares).sort(), Object.keys(released.maskKeyShares)]).toEqual([['site-a', 'site-b', 'site-c'], ['site-d']]);
    // A new process over the same state, sent another signed survivor set (site-c now "dropped"):
    // it refuses, and its run state holds both coordinator-signed sets, the proof of equivocation.
    const flipped: PublishedUnmask = { ...request, survivors: ['site-a', 'site-b', 'site-d'], dropped: ['site-c'] };
    expect(() => site(ids[0] as TestIdentity).release(RUN, 1, keys, signed(flipped), PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.UNMASK_EQUIVOCATION.code }));
    const kept = (JSON.parse(new RunStateStore(join(dir, 'site-a'), keyOf.get('site-a') as Buffer).loadMaskRound(RUN, 1) as string) as { unmaskRequests: SignedUnmask[] }).unmaskRequests;
    const check = { caPem: coordinator.caPem, consortium: 'mask-consortium', run: RUN, round: 1, isRevoked: () => false };
    expect(kept.map((k) => verifyUnmaskRequest(k, check).survivors)).toEqual([request.survivors, flipped.survivors]);
    // Sent again, the second set is refused again (it was once answered: the review's defect), and stored once.
    expect(() => site(ids[0] as TestIdentity).release(RUN, 1, keys, signed(flipped), PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.UNMASK_EQUIVOCATION.code }));
    expect(() => site(ids[0] as TestIdentity).release(RUN, 1, keys, signed(flipped), PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.UNMASK_EQUIVOCATION.code }));
    const keptAgain = (JSON.parse(new RunStateStore(join(dir, 'site-a'), keyOf.get('site-a') as Buffer).loadMaskRound(RUN, 1) as string) as { unmaskRequests: SignedUnmask[] }).unmaskRequests;
    expect(keptAgain.map((k) => verifyUnmaskRequest(k, check).survivors)).toEqual([request.survivors, flipped.survivors]);
    // The first set, sent again, is still answered with the same shares.
    expect(JSON.parse(site(ids[0] as TestIdentity).release(RUN, 1, keys, signed(request), PARAMS, 2))).toEqual(released);
    // Not vacuous: a site that released nothing yet answers the same request.
    expect(() => site(ids[1] as TestIdentity).release(RUN, 1, keys, signed(flipped), PARAMS, 2)).not.toThrow();
    // An unmask request made for another cohort digest (another view) releases nothing.
    expect(() => site(ids[2] as TestIdentity).release(RUN, 1, keys, signed({ ...request, cohort: 'f'.repeat(64) }), PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));
    // A task naming another cohort than the one dealt for is refused.
    expect(() => site(ids[3] as TestIdentity).release(RUN, 1, [...keys].reverse(), signed(request), PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));
  });

  it('releases only for a survivor set the coordinator signed: unsigned, altered or signed by another refused; the same set signed is released', async () => {
    const keys = ids.map((id) => site(id).keys(RUN, 3));
    const dealt = await Promise.all(ids.map((id) => site(id).shares(RUN, 3, keys, PARAMS, 2)));
    const signatures = signaturesOf(dealt);
    for (const id of ids) site(id).masker(RUN, 3, { keys, shares: sharesOf(dealt, id.name), signatures }, PARAMS, 2, CODEC).dispose();
    const digest = (JSON.parse(dealt[0] as string) as Dealt).signature.cohort;
    const honest: PublishedUnmask = { consortium: 'mask-consortium', run: RUN, round: 3, cohort: digest, survivors: ['site-a', 'site-b', 'site-c'], dropped: ['site-d'] };
    // What a tampering relay (or a coordinator disowning its set) sends: site-c made "dropped".
    const altered: PublishedUnmask = { ...honest, survivors: ['site-a', 'site-b', 'site-d'], dropped: ['site-c'] };
    const a = (): SiteMasking => site(ids[0] as TestIdentity);
    const refusedWith = { code: SecureAggErrors.UNMASK_UNSIGNED.code };
    expect(() => a().release(RUN, 3, keys, altered, PARAMS, 2)).toThrow(expect.objectContaining(refusedWith));
    expect(() => a().release(RUN, 3, keys, { ...signed(honest), request: altered }, PARAMS, 2)).toThrow(expect.objectContaining(refusedWith));
    expect(() => a().release(RUN, 3, keys, signUnmaskRequest(altered, ids[1] as TestIdentity), PARAMS, 2)).toThrow(expect.objectContaining(refusedWith));
    const foreign = await (await testCa('mask-consortium')).issue('coordinator', 'coordinator');
    expect(() => a().release(RUN, 3, keys, signUnmaskRequest(altered, foreign), PARAMS, 2)).toThrow(expect.objectContaining(refusedWith));
    // The refusals recorded nothing and released nothing: without the signature check the site
    // would have released for `altered` (site-c's mask key), as it does once the coordinator signs it.
    const released = JSON.parse(a().release(RUN, 3, keys, signed(altered), PARAMS, 2)) as { selfShares: Record<string, string>; maskKeyShares: Record<string, string> };
    expect([Object.keys(released.selfShares).sort(), Object.keys(released.maskKeyShares)]).toEqual([['site-a', 'site-b', 'site-d'], ['site-c']]);
  });

  it('refuses keys not signed by their site, and masking without a share from every member', async () => {
    const keys = ids.map((id) => site(id).keys(RUN, 2));
    const tampered = keys.map((k, i) => (i === 1 ? JSON.stringify({ ...(JSON.parse(k) as object), maskPublicKey: (JSON.parse(keys[2] as string) as { maskPublicKey: string }).maskPublicKey }) : k));
    await expect(site(ids[0] as TestIdentity).shares(RUN, 2, tampered, PARAMS, 2)).rejects.toMatchObject({ code: SecureAggErrors.MASKING.code });
    const dealt = await Promise.all(ids.map((id) => site(id).shares(RUN, 2, keys, PARAMS, 2)));
    const toA = sharesOf(dealt, 'site-a');
    const signatures = signaturesOf(dealt);
    expect(() => site(ids[0] as TestIdentity).masker(RUN, 2, { keys, shares: toA.slice(1), signatures }, PARAMS, 2, CODEC)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));
    // Nothing opens before every member's cohort signature is confirmed: one missing, or one
    // over another cohort digest (another view of the cohort), is refused.
    expect(() => site(ids[1] as TestIdentity).masker(RUN, 2, { keys, shares: sharesOf(dealt, 'site-b'), signatures: signatures.slice(0, 3) }, PARAMS, 2, CODEC)).toThrow(
      expect.objectContaining({ code: SecureAggErrors.MASKING.code, message: expect.stringContaining('no cohort signature from site-d') as unknown }),
    );
    const other = { ...(JSON.parse(signatures[3] as string) as Record<string, unknown>), cohort: 'e'.repeat(64) };
    expect(() => site(ids[1] as TestIdentity).masker(RUN, 2, { keys, shares: sharesOf(dealt, 'site-b'), signatures: [...signatures.slice(0, 3), JSON.stringify(other)] }, PARAMS, 2, CODEC)).toThrow(
      expect.objectContaining({ code: SecureAggErrors.MASKING.code, message: expect.stringContaining('site-d signed another cohort') as unknown }),
    );
    // Not vacuous: with all four signatures site-b masks.
    site(ids[1] as TestIdentity).masker(RUN, 2, { keys, shares: sharesOf(dealt, 'site-b'), signatures }, PARAMS, 2, CODEC).dispose();
  });
});
