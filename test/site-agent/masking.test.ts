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
  const keyOf = new Map<string, Buffer>();
  const site = (id: TestIdentity): SiteMasking => new SiteMasking({ me: id, states: new RunStateStore(join(dir, id.name), keyOf.get(id.name) as Buffer) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-site-mask-'));
    const ca = await testCa('mask-consortium');
    ids = await Promise.all(NAMES.map((n) => ca.issue(n)));
    for (const n of NAMES) keyOf.set(n, randomBytes(32));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('after a restart: the same keys and shares, and the ledger refuses the other kind', async () => {
    const keys = ids.map((id) => site(id).keys(RUN, 1));
    // A restarted site advertises the same keys again, never fresh ones.
    expect(ids.map((id) => site(id).keys(RUN, 1))).toEqual(keys);
    const dealt = await Promise.all(ids.map((id) => site(id).shares(RUN, 1, keys, PARAMS)));
    expect(await site(ids[0] as TestIdentity).shares(RUN, 1, keys, PARAMS)).toBe(dealt[0]);
    // Another cohort after the dealing is refused: a secret is never dealt twice.
    await expect(site(ids[0] as TestIdentity).shares(RUN, 1, keys.slice(0, 3), PARAMS)).rejects.toMatchObject({ code: SecureAggErrors.MASKING.code });
    const sharesTo = (name: string): string[] => dealt.flatMap((d) => (JSON.parse(d) as { to: string }[]).filter((s) => s.to === name).map((s) => JSON.stringify(s)));
    for (const id of ids) site(id).masker(RUN, 1, keys, sharesTo(id.name), PARAMS, CODEC).dispose();
    // Once per round, after a restart too: a second upload under the same masks would show the difference of two updates.
    expect(() => site(ids[0] as TestIdentity).masker(RUN, 1, keys, sharesTo('site-a'), PARAMS, CODEC)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));

    const request: PublishedUnmask = { consortium: 'mask-consortium', run: RUN, round: 1, survivors: ['site-a', 'site-b', 'site-c'], dropped: ['site-d'] };
    const released = JSON.parse(site(ids[0] as TestIdentity).release(RUN, 1, keys, request, PARAMS, 2)) as { selfShares: Record<string, string>; maskKeyShares: Record<string, string> };
    expect([Object.keys(released.selfShares).sort(), Object.keys(released.maskKeyShares)]).toEqual([['site-a', 'site-b', 'site-c'], ['site-d']]);
    // A new process over the same state: asked now for site-c's mask key (site-c "dropped"), it refuses.
    const flipped: PublishedUnmask = { ...request, survivors: ['site-a', 'site-b', 'site-d'], dropped: ['site-c'] };
    expect(() => site(ids[0] as TestIdentity).release(RUN, 1, keys, flipped, PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.SHARE_CONFLICT.code }));
    // Not vacuous: a site that released nothing yet answers the same request.
    expect(() => site(ids[1] as TestIdentity).release(RUN, 1, keys, flipped, PARAMS, 2)).not.toThrow();
    // A task naming another cohort than the one dealt for is refused.
    expect(() => site(ids[2] as TestIdentity).release(RUN, 1, [...keys].reverse(), request, PARAMS, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));
  });

  it('refuses keys not signed by their site, and masking without a share from every member', async () => {
    const keys = ids.map((id) => site(id).keys(RUN, 2));
    const tampered = keys.map((k, i) => (i === 1 ? JSON.stringify({ ...(JSON.parse(k) as object), maskPublicKey: (JSON.parse(keys[2] as string) as { maskPublicKey: string }).maskPublicKey }) : k));
    await expect(site(ids[0] as TestIdentity).shares(RUN, 2, tampered, PARAMS)).rejects.toMatchObject({ code: SecureAggErrors.MASKING.code });
    const dealt = await Promise.all(ids.map((id) => site(id).shares(RUN, 2, keys, PARAMS)));
    const toA = dealt.flatMap((d) => (JSON.parse(d) as { to: string }[]).filter((s) => s.to === 'site-a').map((s) => JSON.stringify(s)));
    expect(() => site(ids[0] as TestIdentity).masker(RUN, 2, keys, toA.slice(1), PARAMS, CODEC)).toThrow(expect.objectContaining({ code: SecureAggErrors.MASKING.code }));
  });
});
