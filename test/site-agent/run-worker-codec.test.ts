/**
 * A site checks the run's BFV parameters itself: it recomputes them from the spec and the
 * key's parameters, so a coordinator cannot hand it a scale that would wrap the sum.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalCodec, type RunCodec } from '../../core/update-codec/codec-plan.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';

describe('RunWorker encryption parameters', () => {
  let dir: string;
  let worker: RunWorker;
  let good: BfvCodecDescriptor;
  let request: RunCodec;
  let fresh: () => RunWorker;
  // minSites 3: an encrypted run masks unless its spec opts out, and a masked spec needs minSites >= 3.
  const spec: ModelSpec = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/demo-private.yaml')), rounds: 2, minSites: 3 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-worker-codec-'));
    const [h] = await generateHospitals({ sites: 1, seed: 9, rowsPerSite: 120, outDir: join(dir, 'extracts') });
    const config = SiteConfigSchema.parse({ dataDir: join(dir, 'state'), keyFile: join(dir, 'at-rest.key'), datasets: { heart: { path: h!.path, columns: syntheticColumnMapping() } }, policy: { privacy: { maxEpsilon: null } } });
    const atRest = initSiteStorage(config);
    const key = await generateConsortiumKey(await consortiumKeyContext());
    const heKeys = new HeKeyStore(config.dataDir, atRest);
    heKeys.save(key.params, key.secretKey);
    // A new worker over the same run state: the agent after a restart.
    fresh = () => new RunWorker({ site: 'hospital-a', runId: 'run-x', spec, config, states: new RunStateStore(config.dataDir, atRest), heKeys, ledger: PrivacyLedger.open(privacyLedgerDir(config.dataDir), atRest) });
    worker = fresh();
    request = { kind: 'bfv-pending', length: updateLayout(spec).length, key: key.params };
    expect((await worker.decide('alice', request)).accept).toBe(true);
    good = finalCodec(spec, request, [{ num_examples: 80 }, { num_examples: 90 }, { num_examples: 60 }]) as BfvCodecDescriptor;
  }, 60_000);

  afterAll(() => {
    worker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a descriptor whose scale is not the one the spec and key give', async () => {
    await expect(worker.encoderFor({ ...good, scale: good.scale * 2 })).rejects.toMatchObject({ code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' });
  });

  it('refuses a site count below the spec\'s minSites, and weights under site-level DP', async () => {
    await expect(worker.encoderFor({ ...good, maxSummands: 1 })).rejects.toMatchObject({ code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' });
    await expect(worker.encoderFor({ ...good, maxWeight: 90 })).rejects.toMatchObject({ code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' });
  });

  it('accepts the descriptor the coordinator computes for the accepted sites', async () => {
    expect([good.maxSummands, good.maxWeight]).toEqual([3, 1]);
    const encoder = await worker.encoderFor(good);
    expect(encoder.chunkCount).toBe(1);
  });

  it('a worker that already holds an encoder still refuses another codec kind, key or scale (masking cannot be switched off by a later task)', async () => {
    await worker.encoderFor(good);
    // "BFV" is not the accepted kind "bfv": read as another kind, it would also read as an unmasked run.
    await expect(worker.encoderFor({ ...good, kind: 'BFV' } as unknown as BfvCodecDescriptor)).rejects.toMatchObject({ code: 'COHORT_E_SITE_CODEC_REFUSED' });
    await expect(worker.encoderFor({ ...good, keyId: 'another-key' })).rejects.toMatchObject({ code: 'COHORT_E_SITE_CODEC_REFUSED' });
    await expect(worker.encoderFor({ ...good, scale: good.scale * 2 })).rejects.toMatchObject({ code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' });
    expect((await worker.encoderFor(good)).chunkCount).toBe(1);
  });

  it('seals the final descriptor on first use: after a restart another valid one (more summands, a larger weight cap) is refused', async () => {
    await worker.encoderFor(good);
    const more = finalCodec(spec, request, [{ num_examples: 80 }, { num_examples: 90 }, { num_examples: 60 }, { num_examples: 70 }]) as BfvCodecDescriptor;
    expect(more.maxSummands).toBe(4);
    const restarted = fresh();
    try {
      const err = await restarted.encoderFor(more).then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'COHORT_E_SITE_TASK_UNBOUND', details: { runId: 'run-x', field: 'codec' } });
      expect((await restarted.encoderFor(good)).chunkCount).toBe(1);
    } finally {
      restarted.dispose();
    }
  });
});
