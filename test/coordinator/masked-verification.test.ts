/**
 * The coordinator verifies what it stores in a masked round (docs/secure-aggregation.md, steps 2
 * and 5): each site's signed mask-key advertisement at KEYING and each upload's signed receipt,
 * against the consortium CA and CRL. A bad one is refused with SECURE_AGG_CONTRIBUTION_REFUSED and
 * recorded as its sender's failure; an engine without the verifier stores the same forgery.
 * Real certificates (a test consortium CA), real ECDSA signatures, real SQLite.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStatus } from '../../coordinator/server/run-status.ts';
import { RunEngine, type EngineOptions } from '../../coordinator/engine/run-engine.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { SecureAggErrors } from '../../core/errors/index.ts';
import { createRoundMaskKeys } from '../../core/secure-agg/masking/protocol.ts';
import { signContribution } from '../../core/secure-agg/masking/receipts.ts';
import type { CodecDescriptor } from '../../core/update-codec/index.ts';
import { testCa, type TestCa, type TestIdentity } from '../core/secure-agg/ceremony-pki.ts';
import { tinySpec } from '../support/tiny-spec.ts';

const CONSORTIUM = 'verify-consortium';
const SITES = ['site-a', 'site-b', 'site-c'] as const;
const spec = tinySpec({
  rounds: 1,
  // A masked spec needs minSites >= 3 (masked-run.ts maskedCohortRefusal).
  minSites: 3,
});
// A final BFV descriptor for 3 sites: the run is masked by default. No ciphertext is summed here.
const CODEC = { kind: 'bfv', length: 3, polyModulusDegree: 4096, coeffModulusBits: [58], plainModulus: '17592186028033', scale: 1024, ciphertextsPerChunk: 15, maxSummands: 3, maxAbsValue: 1, maxWeight: 1, keyId: 'k'.repeat(32), paramsId: 'p'.repeat(64) } as unknown as CodecDescriptor;

describe('the coordinator verifies masked-round messages as they arrive', () => {
  let ca: TestCa;
  let ids: Record<string, TestIdentity>;
  let dir: string;
  const stores: StateStore[] = [];

  beforeAll(async () => {
    ca = await testCa(CONSORTIUM);
    ids = Object.fromEntries(await Promise.all(SITES.map(async (s) => [s, await ca.issue(s)] as const)));
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-masked-verify-'));
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An engine (with or without the verifier) and a masked run of the three sites in round 1 KEYING. */
  function keyingRun(verify: boolean): { engine: RunEngine; runId: string } {
    const store = new StateStore(join(dir, `state-${verify}.sqlite`));
    stores.push(store);
    const options: EngineOptions = { consortium: CONSORTIUM, siteGraceMs: 600_000, recruitTimeoutMs: 600_000, ...(verify ? { verifier: { caPem: ca.caPem, isRevoked: () => false } } : {}) };
    const engine = new RunEngine(store, options);
    for (const s of SITES) {
      engine.registerSite(s, '0.1.0', 'cpu');
      engine.presence.connected(s);
    }
    const runId = engine.submitRun({ spec, codec: CODEC, submittedBy: 'alice' }).run_id;
    for (const s of SITES) engine.respondToRun(s, runId, true, { reasonCode: '', reason: '', numExamples: 50, fingerprint: 'f' });
    expect(store.getRound(runId, 1)?.state).toBe('KEYING');
    // `cohort run status` shows the run masked (from its spec and codec kind).
    expect(runStatus(store, runId)?.masked).toBe(true);
    return { engine, runId };
  }

  const keysOf = (site: string, runId: string): string => JSON.stringify(createRoundMaskKeys(ids[site] as TestIdentity, { consortium: CONSORTIUM, run: runId, round: 1 }).advertisement);

  it('refuses a mask-key advertisement that is altered or signed by another site, charged to the sender; without the check it is stored', () => {
    const { engine, runId } = keyingRun(true);
    engine.submitMaskMessage('site-a', runId, 1, 'keys', keysOf('site-a', runId));
    // site-b's advertisement with a mask key it did not sign (a relay's, or a forger's).
    const altered = JSON.stringify({ ...(JSON.parse(keysOf('site-b', runId)) as object), maskPublicKey: (JSON.parse(keysOf('site-c', runId)) as { maskPublicKey: string }).maskPublicKey });
    expect(() => engine.submitMaskMessage('site-b', runId, 1, 'keys', altered)).toThrow(expect.objectContaining({ code: SecureAggErrors.CONTRIBUTION_REFUSED.code }));
    // site-c's name on keys signed under site-a's certificate.
    const borrowed = JSON.stringify({ ...(JSON.parse(keysOf('site-a', runId)) as object), site: 'site-c' });
    expect(() => engine.submitMaskMessage('site-c', runId, 1, 'keys', borrowed)).toThrow(expect.objectContaining({ code: SecureAggErrors.CONTRIBUTION_REFUSED.code }));
    const rows = engine.store.roundSites(runId, 1).map((s) => [s.site, s.mask_state, s.failure_code]);
    expect(rows).toEqual([
      ['site-a', 'DONE', null],
      ['site-b', 'FAILED', SecureAggErrors.CONTRIBUTION_REFUSED.code],
      ['site-c', 'FAILED', SecureAggErrors.CONTRIBUTION_REFUSED.code],
    ]);
    expect(engine.store.maskMessages(runId, 1, 'keys').map((m) => m.from_site)).toEqual(['site-a']);

    // The same forgery, to an engine that does not verify: stored, and relayed to the cohort.
    const open = keyingRun(false);
    const alteredThere = JSON.stringify({ ...(JSON.parse(keysOf('site-b', open.runId)) as object), maskPublicKey: (JSON.parse(keysOf('site-c', open.runId)) as { maskPublicKey: string }).maskPublicKey });
    open.engine.submitMaskMessage('site-b', open.runId, 1, 'keys', alteredThere);
    expect(open.engine.store.maskMessages(open.runId, 1, 'keys').map((m) => [m.from_site, m.json])).toEqual([['site-b', alteredThere]]);
  });

  it('refuses an upload receipt that is altered or signed by another site, charged to the sender; a real one passes', () => {
    const { engine, runId } = keyingRun(true);
    for (const s of SITES) engine.submitMaskMessage(s, runId, 1, 'keys', keysOf(s, runId));
    expect(engine.store.getRound(runId, 1)?.state).toBe('SHARING');
    // The coordinator relays shares it cannot open: their shape is all it checks.
    const digest = 'd'.repeat(64);
    for (const s of SITES) {
      const shares = SITES.map((to) => ({ run: runId, round: 1, from: s, to }));
      engine.submitMaskMessage(s, runId, 1, 'shares', JSON.stringify({ signature: { site: s, cohort: digest }, shares }));
    }
    expect(engine.store.getRound(runId, 1)?.state).toBe('COLLECTING');
    const context = { consortium: CONSORTIUM, run: runId, round: 1 };
    const upload = { chunkCount: 1, chunksSha256: createHash('sha256').update('chunks').digest('hex') };
    const good = JSON.stringify(signContribution(ids['site-a'] as TestIdentity, context, upload));
    expect(() => engine.verifyUploadReceipt('site-a', runId, 1, good)).not.toThrow();
    // Another upload digest under site-b's old signature: the signature no longer covers it.
    const altered = JSON.stringify({ ...signContribution(ids['site-b'] as TestIdentity, context, upload), chunksSha256: 'e'.repeat(64) });
    expect(() => engine.verifyUploadReceipt('site-b', runId, 1, altered)).toThrow(expect.objectContaining({ code: SecureAggErrors.CONTRIBUTION_REFUSED.code }));
    // site-c's name on a receipt signed under site-a's certificate.
    const borrowed = JSON.stringify({ ...signContribution(ids['site-a'] as TestIdentity, context, upload), site: 'site-c' });
    expect(() => engine.verifyUploadReceipt('site-c', runId, 1, borrowed)).toThrow(expect.objectContaining({ code: SecureAggErrors.CONTRIBUTION_REFUSED.code }));
    expect(engine.store.roundSites(runId, 1).map((s) => [s.site, s.state, s.failure_code])).toEqual([
      ['site-a', 'PENDING', null],
      ['site-b', 'FAILED', SecureAggErrors.CONTRIBUTION_REFUSED.code],
      ['site-c', 'FAILED', SecureAggErrors.CONTRIBUTION_REFUSED.code],
    ]);
    // Without the verifier nothing is checked here (the sites would still refuse it before decrypting).
    const open = keyingRun(false);
    expect(() => open.engine.verifyUploadReceipt('site-b', open.runId, 1, altered)).not.toThrow();
  });
});
