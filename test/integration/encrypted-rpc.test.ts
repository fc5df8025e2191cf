/**
 * An encrypted (BFV) run through a real coordinator over real mTLS, with real kits, a real
 * key ceremony and real ciphertexts: the codec is fixed when recruiting ends, every bad
 * upload is refused with its code and leaves the persisted running sum byte-identical, the
 * aggregate decrypts to the plaintext weighted sum, and the final model is released only
 * with the weights the sites agreed on.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { type Kit } from '../../core/pki/kit.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { fromServiceError } from '../../core/rpc/status-errors.ts';
import { runStatus } from '../../coordinator/server/run-status.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { consortiumMetrics, evaluationCodec, evaluationVector } from '../../core/evaluation/summed-metrics.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { AdminServiceClient } from '../../protos/gen/cohort/v1/AdminService.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { ensureHeKey, publishExchangeKey, runKeyCeremony } from '../../site-agent/key-ceremony.ts';
import { exchangeKeyFingerprint, signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import { pseudoRandom, seededUniformSource } from '../core/secure-agg/bfv-fixtures.ts';
import { refusal, startTestConsortium } from '../support/in-process-coordinator.ts';

/** The heart-disease example without differential privacy, so sites send their example counts as weights. */
const PLAIN_SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), privacy: undefined };
/** Parameters + the weight: 14 + 1 (no site-level DP, so no count slot). */
const LENGTH = updateLayout(PLAIN_SPEC).length;


describe('an encrypted run over mTLS', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let address: string;
  let runId: string;
  let codec: BfvCodecDescriptor & { headroom?: unknown };
  const kits = new Map<string, Kit>();
  const stores = new Map<string, HeKeyStore>();
  const clients = new Map<string, SiteServiceClient>();
  let admin: AdminServiceClient;
  let sums: Database.Database;
  const encoders: BfvUpdateEncoder[] = [];
  /** Each site's accepted round-1 upload, for the replay. */
  const round1 = new Map<string, Uint8Array>();
  const WEIGHTS = { 'site-a': 120, 'site-b': 80 } as const;

  const kit = (name: string): Kit => kits.get(name) as Kit;
  const store = (name: string): HeKeyStore => stores.get(name) as HeKeyStore;
  const client = (name: string): SiteServiceClient => clients.get(name) as SiteServiceClient;

  /** Every persisted running sum, as SQLite holds it. */
  const roundSums = (): { run_id: string; round: number; chunk_index: number; hex: string }[] =>
    (sums.prepare('SELECT run_id, round, chunk_index, data FROM round_sums ORDER BY run_id, round, chunk_index').all() as { run_id: string; round: number; chunk_index: number; data: Buffer }[]).map(
      ({ data, ...row }) => ({ ...row, hex: data.toString('hex') }),
    );

  function upload(site: string, messages: object[]): Promise<{ chunks: number }> {
    return new Promise((resolve, reject) => {
      const stream = client(site).uploadUpdate((err, res) => (err ? reject(fromServiceError(err)) : resolve(res as { chunks: number })));
      for (const m of messages) stream.write(m);
      stream.end();
    });
  }
  const header = (round: number): object => ({ header: { runId, round, chunkCount: 1, totalBytes: '0', trainLoss: 0.1 } });
  const chunk = (data: Uint8Array, index = 0): object => ({ chunk: { index, data } });

  async function encoderFor(site: string): Promise<BfvUpdateEncoder> {
    const e = await BfvUpdateEncoder.create(codec, store(site).secretKey(codec.keyId) as Buffer, { random: seededUniformSource(site) });
    encoders.push(e);
    return e;
  }
  /** [w * delta..., w] with |delta| <= 0.5, a pseudo-random update per site and round. */
  function vectorOf(site: keyof typeof WEIGHTS, round: number): Float64Array {
    const w = WEIGHTS[site];
    const v = new Float64Array(LENGTH);
    pseudoRandom(LENGTH - 1, round * 10 + (site === 'site-a' ? 1 : 2)).forEach((x, i) => (v[i] = w * 0.5 * x));
    v[LENGTH - 1] = w;
    return v;
  }
  /** Each site's held-out predictions: the pooled metrics are computed from these by hand below. */
  const HELD_OUT = { 'site-a': { scores: [0.9, 0.35, 0.6], labels: [1, 0, 1] }, 'site-b': { scores: [0.2, 0.7], labels: [0, 0] } } as const;
  async function evalEncoderFor(site: string): Promise<BfvUpdateEncoder> {
    const e = await BfvUpdateEncoder.create(evaluationCodec(codec) as BfvCodecDescriptor, store(site).secretKey(codec.keyId) as Buffer, { random: seededUniformSource(`${site}-eval`) });
    encoders.push(e);
    return e;
  }
  /** The site's evaluation, encrypted under the consortium key, and no metrics of its own. */
  async function evaluate(site: keyof typeof HELD_OUT, round: number, hash: string): Promise<unknown> {
    const { scores, labels } = HELD_OUT[site];
    const evaluationChunks = [...(await evalEncoderFor(site)).encode(evaluationVector(scores, labels))];
    return unary((o, cb) => client(site).reportEvaluation({ runId, round, weightsSha256: hash, evaluationChunks }, o, cb));
  }
  function download(site: string, round: number, what: 'aggregate' | 'evaluation' = 'aggregate'): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      const out: Uint8Array[] = [];
      const call = what === 'aggregate' ? client(site).downloadAggregate({ runId, round }) : client(site).downloadEvaluation({ runId, round });
      call.on('data', (c: { data: Uint8Array }) => out.push(c.data));
      call.on('error', (e: Error) => reject(e));
      call.on('end', () => resolve(out));
    });
  }

  beforeAll(async () => {
    // Nothing may time out while the test drives the run.
    const t = await startTestConsortium({ name: 'encrypted-test', sites: ['site-a', 'site-b', 'site-c'], users: [{ name: 'alice', role: 'data-scientist' }], recruitTimeoutMs: 600_000, siteGraceMs: 600_000 });
    ({ dir, coordinator, address } = t);
    for (const name of ['coordinator', 'site-a', 'site-b', 'site-c', 'alice']) kits.set(name, t.kit(name));
    admin = adminClient(kit('alice'), address);
    for (const name of ['site-a', 'site-b', 'site-c']) {
      clients.set(name, siteClient(kit(name), address));
      stores.set(name, new HeKeyStore(join(dir, `data-${name}`), randomBytes(32)));
    }
    // site-c never registers: it is not invited and takes no part in the run.
    for (const name of ['site-a', 'site-b']) await unary((o, cb) => client(name).register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
    sums = new Database(join(dir, 'state', 'coordinator.sqlite'), { readonly: true, fileMustExist: true });
  }, 60_000);

  afterAll(async () => {
    for (const e of encoders) e.dispose();
    sums?.close();
    admin?.close();
    for (const c of clients.values()) c.close();
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // masking: false: this test runs two sites and uploads hand-made chunks, and a masked spec needs minSites >= 3.
  const submit = (masked = false): Promise<{ runId: string }> =>
    unary<{ runId: string }>((o, cb) => admin.submitRun({ specJson: JSON.stringify({ ...PLAIN_SPEC, rounds: 2, minSites: 2, ...(masked ? {} : { masking: false }) }), codec: '' }, o, cb));

  it('refuses an encrypted run (the default codec) before the key ceremony with SECURE_AGG_NO_KEY', async () => {
    const err = await refusal(submit());
    expect(err.code).toBe('COHORT_E_SECURE_AGG_NO_KEY');
    expect(coordinator.engine.store.listRuns()).toEqual([]);
  });

  it('records a pending bfv codec at submission and the full descriptor with headroom once both sites accept', async () => {
    await publishExchangeKey(client('site-b'), kit('site-b'), store('site-b'));
    // The key holder's IT confirms site-b by its exchange-key fingerprint (--accept), as it would after comparing it out of band.
    const accept = new Map([['site-b', exchangeKeyFingerprint(store('site-b').exchangeKey().publicKeyDer)]]);
    const ceremony = await runKeyCeremony(client('site-a'), kit('site-a'), store('site-a'), { accept });
    expect(ceremony.sealedFor).toEqual(['site-b']);
    await ensureHeKey(client('site-b'), kit('site-b'), store('site-b'), ceremony.keyId, signingKeyFingerprint(kit('site-a').certPem));

    // An encrypted spec that masks (masking absent: on) with minSites 2 is refused at submission, and nothing is stored.
    const masked = await refusal(submit(true));
    expect(masked.code).toBe('COHORT_E_SPEC_MASKED_MIN_SITES');
    expect(coordinator.engine.store.listRuns()).toEqual([]);
    runId = (await submit()).runId;
    // `cohort run status` shows it unmasked (masking: false).
    expect(runStatus(coordinator.engine.store, runId)).toMatchObject({ codec: 'bfv', masked: false });
    expect(JSON.parse(coordinator.engine.getRunOrThrow(runId).codec_json)).toEqual({ kind: 'bfv-pending', length: LENGTH, key: ceremony.params });
    for (const site of ['site-a', 'site-b'] as const) {
      await unary((o, cb) => client(site).respondToRun({ runId, accept: true, numExamples: String(WEIGHTS[site]), datasetFingerprint: 'f', reasonCode: '', reason: '' }, o, cb));
    }
    const run = coordinator.engine.getRunOrThrow(runId);
    expect(run.state).toBe('RUNNING');
    codec = JSON.parse(run.codec_json) as typeof codec;
    // K = 2 accepted sites, W = the larger count 120, C = maxUpdateNorm 100, 20 bits: scale 2^20 / 100.
    // sumBound = 2 * (120 * 100 * scale + 1) = 251658242; valueBits = log2((t-1)/2) - log2(sumBound)
    // = 43.0 - 27.907 = 15.09; noiseBits = log2(q) - log2(2 * 22 * 2 * t) = 58.0 - 50.459 = 7.54.
    expect(codec).toEqual({
      kind: 'bfv',
      length: LENGTH,
      polyModulusDegree: 4096,
      coeffModulusBits: [58],
      plainModulus: '17592186028033',
      scale: 2 ** 20 / 100,
      ciphertextsPerChunk: 15,
      maxSummands: 2,
      maxAbsValue: 100,
      maxWeight: 120,
      keyId: ceremony.keyId,
      paramsId: ceremony.params.paramsId,
      headroom: { valueBits: 15.09, noiseBits: 7.54 },
    });
    expect(coordinator.engine.store.getRound(runId, 1)?.state).toBe('COLLECTING');
  });

  it('accepts site-a\'s encrypted update into the running sum', async () => {
    const data = [...(await encoderFor('site-a')).encode(vectorOf('site-a', 1))];
    expect(data.length).toBe(1);
    round1.set('site-a', data[0] as Uint8Array);
    expect((await upload('site-a', [header(1), chunk(data[0] as Uint8Array)])).chunks).toBe(1);
    expect(roundSums().map((r) => [r.run_id, r.round, r.chunk_index])).toEqual([[runId, 1, 0]]);
  });

  it('refuses every bad upload with its code and leaves the running sum byte-identical', async () => {
    const before = roundSums();
    const good = [...(await encoderFor('site-b')).encode(vectorOf('site-b', 1))][0] as Uint8Array;

    const expectRefused = async (what: string, site: string, code: string, messages: object[]): Promise<void> => {
      const err = await refusal(upload(site, messages));
      expect(err.code, what).toBe(code);
      expect(roundSums(), what).toEqual(before);
      expect(coordinator.engine.store.getRoundSite(runId, 1, 'site-b')?.state, what).toBe('PENDING');
    };
    // Framing faults cost the site nothing (it may send again); an upload under another key or
    // claiming a sum is its failure in the round (test/integration/bad-upload.test.ts).
    await expectRefused('a stream that ends after its header', 'site-b', 'COHORT_E_UPDATE_TRUNCATED', [header(1)]);
    await expectRefused('a chunk cut short', 'site-b', 'COHORT_E_UPDATE_CHUNK_MALFORMED', [header(1), chunk(good.subarray(0, good.byteLength - 100))]);
    await expectRefused('one chunk more than the codec has', 'site-b', 'COHORT_E_UPDATE_OVERSIZED', [header(1), chunk(good), chunk(good, 1)]);
    await expectRefused('a second update from site-a', 'site-a', 'COHORT_E_UPDATE_DUPLICATE', [header(1), chunk(good)]);

    round1.set('site-b', good);
    await upload('site-b', [header(1), chunk(good)]);
    expect(coordinator.engine.store.getRound(runId, 1)).toMatchObject({ state: 'AGGREGATED', contributors: 2 });
  });

  it('streams an aggregate that decrypts at a site to the plaintext weighted sum within quantization', async () => {
    const chunks = await download('site-b', 1);
    const decoded = (await encoderFor('site-b')).decodeAggregate(chunks);
    expect(decoded.summands).toBe(2);
    expect(decoded.sum[LENGTH - 1]).toBe(200);
    const a = vectorOf('site-a', 1);
    const b = vectorOf('site-b', 1);
    for (let i = 0; i < LENGTH - 1; i++) {
      // Two sites' stochastic rounding: less than one step 1/scale each.
      expect(Math.abs((decoded.sum[i] as number) - ((a[i] as number) + (b[i] as number))), `slot ${i}`).toBeLessThan(2 / codec.scale);
    }
  });

  it('streams a run\'s aggregate only to its participants: every site holds the key', async () => {
    // A stream fails with a raw gRPC error (not a CohortError, which refusal() requires): decoded here.
    const err = await download('site-c', 1).then(
      () => {
        throw new Error('expected site-c\'s download to be refused');
      },
      (e: unknown) => e,
    );
    expect(fromServiceError(err as Parameters<typeof fromServiceError>[0]).code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
  });

  const weightsOf = (round: number): Buffer => Buffer.from(Float32Array.from({ length: LENGTH - 1 }, (_, i) => round + i / 16).buffer);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  it('sums the sites\' encrypted evaluations, and with two of them opens none: each site would read the other\'s by subtracting its own', async () => {
    await evaluate('site-a', 1, sha(weightsOf(1)));
    await evaluate('site-b', 1, sha(weightsOf(1)));
    // The coordinator holds one chunk: a BFV ciphertext of the two sites' sum (it decrypts only under the key, below).
    const held = sums.prepare('SELECT data FROM eval_sums WHERE run_id = ? AND round = 1').all(runId) as { data: Buffer }[];
    expect(held).toHaveLength(1);
    // The sum decrypts to the two vectors' sum (what a site would learn, and why it is not opened).
    const sum = (await evalEncoderFor('site-a')).decodeAggregate(held.map((h) => h.data));
    expect(sum.summands).toBe(2);
    expect(consortiumMetrics(sum.sum)).toMatchObject({ numExamples: 5, evaluators: 2, accuracy: 4 / 5, auc: 5 / 6 });
    // Nor does any site's own metric reach the coordinator, and the round closes without consortium metrics.
    expect(coordinator.engine.store.roundSites(runId, 1).map((r) => r.eval_json)).toEqual([null, null]);
    expect(coordinator.engine.store.getRound(runId, 1)).toMatchObject({ state: 'CLOSED', metrics_json: null });
    const err = await download('site-a', 1, 'evaluation').then(
      () => {
        throw new Error('expected the summed evaluation to be refused');
      },
      (e: unknown) => e,
    );
    expect(fromServiceError(err as Parameters<typeof fromServiceError>[0]).code).toBe('COHORT_E_RUN_AGGREGATE_NOT_READY');
  });

  it('refuses a replay of a round-1 update once round 2 collects, and a release before completion', async () => {
    expect(coordinator.engine.getRunOrThrow(runId).current_round).toBe(2);
    const before = roundSums();
    const replay = await refusal(upload('site-b', [header(1), chunk(round1.get('site-b') as Uint8Array)]));
    expect(replay.code).toBe('COHORT_E_UPDATE_WRONG_ROUND');
    expect(roundSums()).toEqual(before);

    const early = await refusal(unary((o, cb) => client('site-a').releaseModel({ runId, weights: weightsOf(1), weightsSha256: sha(weightsOf(1)) }, o, cb)));
    expect(early.code).toBe('COHORT_E_RUN_RELEASE_REFUSED');
    expect(early.message).toBe(`run ${runId} is RUNNING; only a completed run's model can be released`);
  });

  it('releases the final model only to a participant with the agreed weights, idempotently', async () => {
    for (const site of ['site-a', 'site-b'] as const) {
      const data = [...(await encoderFor(site)).encode(vectorOf(site, 2))][0] as Uint8Array;
      await upload(site, [header(2), chunk(data)]);
    }
    const agreed = weightsOf(2);
    await evaluate('site-a', 2, sha(agreed));
    await evaluate('site-b', 2, sha(agreed));
    expect(coordinator.engine.getRunOrThrow(runId)).toMatchObject({ state: 'COMPLETED', final_weights_sha256: sha(agreed) });

    const release = (site: string, weights: Buffer): Promise<{ modelId: string; weightsSha256: string }> =>
      unary<{ modelId: string; weightsSha256: string }>((o, cb) => client(site).releaseModel({ runId, weights, weightsSha256: sha(weights) }, o, cb));
    const outsider = await refusal(release('site-c', agreed));
    expect(outsider.code).toBe('COHORT_E_RUN_RELEASE_REFUSED');
    expect(outsider.message).toBe(`site site-c did not take part in run ${runId}`);
    const other = weightsOf(3);
    const wrong = await refusal(release('site-a', other));
    expect(wrong.code).toBe('COHORT_E_RUN_RELEASE_REFUSED');
    expect(wrong.message).toBe(`the uploaded weights hash to ${sha(other)}, the sites agreed on ${sha(agreed)}; not released`);
    // The agreed weights, but the site's own hash of them differs: the bytes changed on the way.
    const altered = await refusal(unary((o, cb) => client('site-a').releaseModel({ runId, weights: agreed, weightsSha256: sha(other) }, o, cb)));
    expect(altered.code).toBe('COHORT_E_RUN_RELEASE_REFUSED');
    expect(altered.message).toBe(`the uploaded weights hash to ${sha(agreed)}, the uploading site says ${sha(other)}; not released`);
    expect(coordinator.engine.store.modelOfRun(runId)).toBeUndefined();

    const receipt = await release('site-b', agreed);
    expect(receipt.modelId).toMatch(/^model-[0-9a-f]{8}$/);
    expect(receipt.weightsSha256).toBe(sha(agreed));
    expect((await release('site-a', agreed)).modelId).toBe(receipt.modelId);
    expect(coordinator.engine.store.modelOfRun(runId)).toMatchObject({ model_id: receipt.modelId, weights_sha256: sha(agreed), released_by: 'site-b' });
  });
});
