/**
 * Sites bind what they accepted: the accept seals the spec's SHA-256 (the coordinator's own
 * spec_sha256), the spec and the codec in the encrypted run state; after a restart the site
 * works from that spec whatever task comes first, and refuses, with COHORT_E_SITE_TASK_UNBOUND,
 * a task naming another spec, another minSites or a round outside 1..spec.rounds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskingOf } from '../../core/secure-agg/masked-run.ts';
import { RunEngine } from '../../coordinator/engine/run-engine.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { generateHospitals, syntheticColumnMapping } from '../../scripts/datasets/synthetic-hospitals.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import { acceptedSpec, boundSpec, type BoundTask } from '../../site-agent/run-binding.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { releasableWeights, RunWorker } from '../../site-agent/run-worker.ts';
import { SiteConfigSchema, type SiteConfig } from '../../site-agent/site-config.ts';
import { initSiteStorage } from '../../site-agent/site-init.ts';
import { caught, caughtSync } from '../support/caught.ts';

describe('a site binds the run it accepted', () => {
  let dir: string;
  let config: SiteConfig;
  let atRest: Buffer;
  let spec: ModelSpec;
  let specJson: string;
  let coordinatorSha: string;
  const runId = 'run-bound';

  const states = (): RunStateStore => new RunStateStore(config.dataDir, atRest);
  const worker = (s: ModelSpec, id = runId): RunWorker =>
    new RunWorker({ site: 'hospital-a', runId: id, spec: s, config, states: states(), heKeys: new HeKeyStore(config.dataDir, atRest), ledger: PrivacyLedger.open(privacyLedgerDir(config.dataDir), atRest) });
  /** A task as the agent binds it: with the masking parameters its spec names (agent.ts taskMasking; masking is on unless the spec opts out). */
  const task = (kind: string, round: number, json = specJson, id = runId): BoundTask => {
    let masking: unknown;
    try {
      masking = maskingOf(JSON.parse(json) as ModelSpec);
    } catch {
      masking = undefined;
    }
    return { runId: id, kind, round, specJson: json, ...(masking === undefined ? {} : { masking }) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-binding-'));
    const [h] = await generateHospitals({ sites: 1, seed: 3, rowsPerSite: 100, outDir: join(dir, 'extracts') });
    config = SiteConfigSchema.parse({
      dataDir: join(dir, 'state'),
      keyFile: join(dir, 'at-rest.key'),
      datasets: { heart: { path: h!.path, columns: syntheticColumnMapping() } },
      policy: { allowPlaintext: true, privacy: { maxEpsilon: null } },
    });
    atRest = initSiteStorage(config);
    // The spec as the coordinator records it and sends it in every task: its spec_json and spec_sha256.
    const base = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));
    const coordinatorState = new StateStore(join(dir, 'coordinator.sqlite'));
    try {
      const run = new RunEngine(coordinatorState, { siteGraceMs: 60_000, recruitTimeoutMs: 60_000 }).submitRun({
        // minSites 3: the spec is also offered encrypted below, and a masked encrypted spec needs minSites >= 3.
        spec: { ...base, privacy: undefined, rounds: 2, minSites: 3 },
        codec: plainDescriptor(updateLayout({ ...base, privacy: undefined }).length),
        submittedBy: 'alice',
      });
      specJson = run.spec_json;
      coordinatorSha = run.spec_sha256;
    } finally {
      coordinatorState.close();
    }
    spec = JSON.parse(specJson) as ModelSpec;
    const offered = boundSpec(states(), task('TASK_KIND_OFFER', 0));
    const w = worker(offered);
    try {
      expect((await w.decide('alice', { kind: 'plain' })).accept).toBe(true);
    } finally {
      w.dispose();
    }
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('seals the accepted spec, its SHA-256 (the coordinator\'s spec_sha256) and codec in the encrypted run state', () => {
    const accepted = states().acceptedRun(runId);
    expect(accepted).toEqual({ specSha256: coordinatorSha, specJson, codec: { kind: 'plain' }, masking: { threshold: 'default' } });
    // Encrypted at rest: the spec's text is not in the file.
    const raw = readFileSync(join(config.dataDir, 'runs', runId, 'accepted.state'));
    expect(raw.includes(Buffer.from('"minSites"'))).toBe(false);
    expect(raw.includes(Buffer.from(coordinatorSha))).toBe(false);
  });

  it('works from the stored spec after a restart, for tasks naming it and a round in 1..rounds', () => {
    for (const [kind, round] of [['TASK_KIND_MASK_KEYS', 1], ['TASK_KIND_MASK_SHARES', 2], ['TASK_KIND_TRAIN', 1], ['TASK_KIND_UNMASK', 2], ['TASK_KIND_EVALUATE', 2], ['TASK_KIND_SCORE', 2]] as const) {
      expect(boundSpec(states(), task(kind, round))).toEqual(spec);
    }
  });

  it.each([
    ['another spec (its learning rate changed)', () => task('TASK_KIND_TRAIN', 1, JSON.stringify({ ...spec, training: { ...spec.training, learningRate: 0.5 } })), 'spec'],
    ['another minSites', () => task('TASK_KIND_TRAIN', 1, JSON.stringify({ ...spec, minSites: 1 })), 'minSites'],
    ['more rounds, and a round beyond the accepted ones', () => task('TASK_KIND_TRAIN', 3, JSON.stringify({ ...spec, rounds: 3 })), 'spec'],
    ['a round beyond spec.rounds', () => task('TASK_KIND_TRAIN', 3), 'round'],
    ['round 0', () => task('TASK_KIND_EVALUATE', 0), 'round'],
    ['a spec that is not JSON', () => task('TASK_KIND_SCORE', 1, '{'), 'spec'],
    ['an offer of another spec for the accepted run', () => task('TASK_KIND_OFFER', 0, JSON.stringify({ ...spec, minSites: 4 })), 'minSites'],
    ['a round task of a run this site never accepted', () => task('TASK_KIND_TRAIN', 1, specJson, 'run-other'), 'run'],
    // A masked round's steps are round tasks too: no keys, shares or release for a round past the run, or for another spec.
    ['mask keys for a round beyond spec.rounds', () => task('TASK_KIND_MASK_KEYS', 3), 'round'],
    ['mask shares for round 0', () => task('TASK_KIND_MASK_SHARES', 0), 'round'],
    ['an unmask request for a round beyond spec.rounds', () => task('TASK_KIND_UNMASK', 3), 'round'],
    ['mask keys for another spec', () => task('TASK_KIND_MASK_KEYS', 1, JSON.stringify({ ...spec, rounds: 3 })), 'spec'],
    ['mask keys for a run this site never accepted', () => task('TASK_KIND_MASK_KEYS', 1, specJson, 'run-other'), 'run'],
    ['an unmask request for a run this site never accepted', () => task('TASK_KIND_UNMASK', 1, specJson, 'run-other'), 'run'],
  ])('refuses %s with COHORT_E_SITE_TASK_UNBOUND', (_what, make, field) => {
    const t = make();
    const err = caughtSync(() => boundSpec(states(), t));
    expect(err.code).toBe('COHORT_E_SITE_TASK_UNBOUND');
    expect(err.details).toEqual({ runId: t.runId, kind: t.kind, round: t.round, field });
  });

  it('refuses other masking parameters once the accepted run has them', () => {
    states().saveAcceptedRun('run-masked', { specSha256: coordinatorSha, specJson, codec: { kind: 'plain' }, masking: { threshold: 2 } });
    const masked = (masking: unknown): BoundTask => ({ ...task('TASK_KIND_TRAIN', 1, specJson, 'run-masked'), masking });
    expect(boundSpec(states(), masked({ threshold: 2 }))).toEqual(spec);
    expect(caughtSync(() => boundSpec(states(), masked({ threshold: 1 }))).details).toMatchObject({ field: 'masking' });
    expect(caughtSync(() => boundSpec(states(), masked(undefined))).details).toMatchObject({ field: 'masking' });
  });

  it('binds a run accepted by an older agent (only its codec on record) on first use: the first task\'s spec is sealed and required afterwards', () => {
    const id = 'run-legacy';
    states().saveAcceptedCodec(id, { kind: 'plain' });
    // A first task naming a round outside its own spec's rounds seals nothing.
    expect(caughtSync(() => boundSpec(states(), task('TASK_KIND_TRAIN', 3, specJson, id))).details).toEqual({ runId: id, kind: 'TASK_KIND_TRAIN', round: 3, field: 'round' });
    expect(states().acceptedRun(id)).toBeUndefined();
    expect(boundSpec(states(), task('TASK_KIND_TRAIN', 1, specJson, id))).toEqual(spec);
    expect(states().acceptedRun(id)).toEqual({ specSha256: coordinatorSha, specJson, codec: { kind: 'plain' } });
    const swapped = JSON.stringify({ ...spec, minSites: 1, rounds: 50 });
    expect(caughtSync(() => boundSpec(states(), task('TASK_KIND_TRAIN', 2, swapped, id))).details).toEqual({ runId: id, kind: 'TASK_KIND_TRAIN', round: 2, field: 'minSites' });
    expect(caughtSync(() => boundSpec(states(), task('TASK_KIND_TRAIN', 40, JSON.stringify({ ...spec, rounds: 50 }), id))).details).toMatchObject({ field: 'spec' });
    expect(boundSpec(states(), task('TASK_KIND_EVALUATE', 2, specJson, id))).toEqual(spec);
  });

  it('never rewrites the sealed codec on a second offer: a downgrade to plaintext or another key is refused, the same codec gets the same answer', async () => {
    const id = 'run-reoffer';
    const offer = async (codec: Parameters<RunWorker['decide']>[1]) => {
      const w = worker(boundSpec(states(), task('TASK_KIND_OFFER', 0, specJson, id)), id);
      try {
        return await w.decide('alice', codec);
      } finally {
        w.dispose();
      }
    };
    expect((await offer({ kind: 'bfv-pending', key: { keyId: 'K1' } })).accept).toBe(true);
    for (const codec of [{ kind: 'plain' }, { kind: 'bfv-pending', key: { keyId: 'K2' } }]) {
      const err = await caught(offer(codec));
      expect(err.code).toBe('COHORT_E_SITE_TASK_UNBOUND');
      expect(err.details).toEqual({ runId: id, kind: 'TASK_KIND_OFFER', round: 0, field: 'codec' });
      expect(states().acceptedRun(id)?.codec).toEqual({ kind: 'bfv', keyId: 'K1' });
    }
    expect((await offer({ kind: 'bfv-pending', key: { keyId: 'K1' } })).accept).toBe(true);
    expect(states().acceptedRun(id)?.codec).toEqual({ kind: 'bfv', keyId: 'K1' });
  });

  it('trains only with the fit configuration the accepted spec\'s strategy gives for the task\'s round', async () => {
    const w = worker(spec);
    try {
      expect(spec.strategy).toEqual({ name: 'fedavg' });
      expect(w.fitFor(2, JSON.stringify({ round: 2, proximalMu: 0 }))).toEqual({ round: 2, proximalMu: 0 });
      for (const offered of [JSON.stringify({ round: 2, proximalMu: 0.5 }), JSON.stringify({ round: 1, proximalMu: 0 }), '{', '']) {
        expect(caughtSync(() => w.fitFor(2, offered)).details).toEqual({ runId, round: 2, field: 'fit' });
      }
      // FedProx's proximal term on a FedAvg run is refused before any training.
      const err = await caught(w.train({ round: 1, proximalMu: 5 }, plainDescriptor(updateLayout(spec).length)));
      expect(err.code).toBe('COHORT_E_SITE_TASK_UNBOUND');
      expect(err.details).toEqual({ runId, round: 1, field: 'fit' });
    } finally {
      w.dispose();
    }
  });

  it('does not train for a round past spec.rounds, whatever the fit configuration says', async () => {
    const w = worker(spec);
    try {
      const err = await caught(w.train({ round: 3 } as Parameters<RunWorker['train']>[0], plainDescriptor(updateLayout(spec).length)));
      expect(err.code).toBe('COHORT_E_SITE_TASK_UNBOUND');
      expect(err.details).toEqual({ runId, round: 3, field: 'round' });
    } finally {
      w.dispose();
    }
  });

  it('trains no round before the last one trained, nor one whose aggregate it applied (no replays)', async () => {
    const w = worker(spec);
    const codec = plainDescriptor(updateLayout(spec).length);
    try {
      await w.encoderFor(codec);
      await w.train(w.fitFor(2, { round: 2, proximalMu: 0 }), codec);
      const err = await caught(w.train(w.fitFor(1, { round: 1, proximalMu: 0 }), codec));
      expect(err.code).toBe('COHORT_E_SITE_TASK_UNBOUND');
      expect(err.details).toEqual({ runId, round: 1, field: 'round' });
      // Round 2 again (an upload that may not have been counted) is trained.
      expect((await w.train(w.fitFor(2, { round: 2, proximalMu: 0 }), codec)).vector).toHaveLength(codec.length);
    } finally {
      w.dispose();
    }
    const applied = worker(spec, 'run-applied');
    states().saveAcceptedRun('run-applied', states().acceptedRun(runId)!);
    try {
      applied.applyAggregate(1, new Float64Array(updateLayout(spec).length).fill(0).map((_, i, a) => (i === a.length - 1 ? 2 : 0)));
      const err = await caught(applied.train(applied.fitFor(1, { round: 1, proximalMu: 0 }), plainDescriptor(updateLayout(spec).length)));
      expect(err.details).toEqual({ runId: 'run-applied', round: 1, field: 'round' });
    } finally {
      applied.dispose();
    }
  });

  it('offers the final model only once the last round is applied, whatever round a FINISH comes at', () => {
    const weights = new Float32Array([1, 2, 3]);
    expect(acceptedSpec(states(), runId)).toEqual(spec);
    expect(acceptedSpec(states(), 'run-unknown')).toBeUndefined();
    expect(releasableWeights(spec, { round: spec.rounds, weights, serverState: {} })).toBe(weights);
    expect(releasableWeights(spec, { round: spec.rounds - 1, weights, serverState: {} })).toBeUndefined();
    expect(releasableWeights(spec, { round: 0, weights, serverState: {} })).toBeUndefined();
    expect(releasableWeights(undefined, { round: spec.rounds, weights, serverState: {} })).toBeUndefined();
  });
});
