/**
 * A bad upload costs its sender, not the round: over real mTLS with a real key ceremony and real
 * BFV ciphertexts, an upload whose chunk claims to sum two updates, or that was made under
 * another consortium key, is refused with its code, leaves the running sum byte-identical, and
 * is recorded as that site's failure; the round closes with the two good updates and their sum
 * decrypts to exactly them.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCoordinator } from '../../coordinator/coordinator.ts';
import { chargedToSender } from '../../coordinator/server/site-service.ts';
import type { Kit } from '../../core/pki/kit.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { fromServiceError } from '../../core/rpc/status-errors.ts';
import { CohortError, SecureAggErrors, UpdateErrors } from '../../core/errors/index.ts';
import { BfvChunkAdder } from '../../core/secure-agg/bfv-chunk-adder.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { readChunk } from '../../core/secure-agg/chunk-format.ts';
import { exchangeKeyFingerprint, signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import { generateConsortiumKey } from '../../core/secure-agg/keys.ts';
import { consortiumKeyContext } from '../../core/secure-agg/parameters.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/index.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import type { AdminServiceClient } from '../../protos/gen/cohort/v1/AdminService.ts';
import type { SiteServiceClient } from '../../protos/gen/cohort/v1/SiteService.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { ensureHeKey, publishExchangeKey, runKeyCeremony } from '../../site-agent/key-ceremony.ts';
import { pseudoRandom, seededUniformSource } from '../core/secure-agg/bfv-fixtures.ts';
import { caughtSync } from '../support/caught.ts';
import { refusal, startTestConsortium } from '../support/in-process-coordinator.ts';

// `masking: false`: this test uploads hand-made chunks for sites that have no agent, so it could
// not run the masked round's key and share exchange; the upload checks are the same in masked
// rounds (masked-rounds.test.ts runs those with real agents).
const SPEC = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), privacy: undefined, masking: false as const };
const LENGTH = updateLayout(SPEC).length;
const SITES = ['site-a', 'site-b', 'site-c', 'site-d'] as const;
type Site = (typeof SITES)[number];
const WEIGHTS: Record<Site, number> = { 'site-a': 120, 'site-b': 80, 'site-c': 50, 'site-d': 30 };

describe('a bad upload costs its sender, not the round', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let admin: AdminServiceClient;
  let db: Database.Database;
  let runId: string;
  let codec: BfvCodecDescriptor;
  const kits = new Map<string, Kit>();
  const stores = new Map<string, HeKeyStore>();
  const clients = new Map<string, SiteServiceClient>();
  const disposables: { dispose(): void }[] = [];
  const client = (s: string): SiteServiceClient => clients.get(s) as SiteServiceClient;
  const store = (s: string): HeKeyStore => stores.get(s) as HeKeyStore;

  const roundSums = (): string[] =>
    (db.prepare('SELECT chunk_index, data FROM round_sums WHERE run_id = ? ORDER BY chunk_index').all(runId) as { data: Buffer }[]).map((r) => r.data.toString('hex'));

  function upload(site: string, data: Uint8Array, run = runId): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const stream = client(site).uploadUpdate((err, res) => (err ? reject(fromServiceError(err)) : resolve(res)));
      stream.write({ header: { runId: run, round: 1, chunkCount: 1, totalBytes: '0', trainLoss: 0.1 } });
      stream.write({ chunk: { index: 0, data } });
      stream.end();
    });
  }

  function vectorOf(site: Site): Float64Array {
    const v = new Float64Array(LENGTH);
    pseudoRandom(LENGTH - 1, SITES.indexOf(site) + 1).forEach((x, i) => (v[i] = WEIGHTS[site] * 0.5 * x));
    v[LENGTH - 1] = WEIGHTS[site];
    return v;
  }

  async function encoder(site: string, descriptor: BfvCodecDescriptor = codec, key: Buffer = store(site).secretKey(codec.keyId) as Buffer): Promise<BfvUpdateEncoder> {
    const e = await BfvUpdateEncoder.create(descriptor, key, { random: seededUniformSource(site) });
    disposables.push(e);
    return e;
  }

  /** The site's one chunk of its round-1 update. */
  async function chunkOf(site: Site): Promise<Uint8Array> {
    return [...(await encoder(site)).encode(vectorOf(site))][0] as Uint8Array;
  }

  /** `chunk` with its header's summands set to `n` (the header is not authenticated: any site can write it). */
  function claimingSummands(chunk: Uint8Array, n: number): Uint8Array {
    const out = chunk.slice();
    new DataView(out.buffer).setUint32(12, n, true);
    return out;
  }

  beforeAll(async () => {
    const t = await startTestConsortium({ name: 'bad-upload', sites: SITES, users: [{ name: 'alice', role: 'data-scientist' }], recruitTimeoutMs: 600_000, siteGraceMs: 600_000 });
    ({ dir, coordinator } = t);
    for (const s of SITES) {
      kits.set(s, t.kit(s));
      clients.set(s, siteClient(t.kit(s), t.address));
      stores.set(s, new HeKeyStore(join(dir, `data-${s}`), randomBytes(32)));
      await unary((o, cb) => client(s).register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
    }
    admin = adminClient(t.kit('alice'), t.address);
    db = new Database(join(dir, 'state', 'coordinator.sqlite'), { readonly: true, fileMustExist: true });
    const others = SITES.slice(1);
    for (const s of others) await publishExchangeKey(client(s), kits.get(s) as Kit, store(s));
    const accept = new Map(others.map((s) => [s, exchangeKeyFingerprint(store(s).exchangeKey().publicKeyDer)]));
    const ceremony = await runKeyCeremony(client('site-a'), kits.get('site-a') as Kit, store('site-a'), { accept });
    for (const s of others) await ensureHeKey(client(s), kits.get(s) as Kit, store(s), ceremony.keyId, signingKeyFingerprint((kits.get('site-a') as Kit).certPem));
    runId = (await unary<{ runId: string }>((o, cb) => admin.submitRun({ specJson: JSON.stringify({ ...SPEC, rounds: 1, minSites: 2 }), codec: '' }, o, cb))).runId;
    for (const s of SITES) {
      await unary((o, cb) => client(s).respondToRun({ runId, accept: true, numExamples: String(WEIGHTS[s]), datasetFingerprint: 'f', reasonCode: '', reason: '' }, o, cb));
    }
    codec = JSON.parse(coordinator.engine.getRunOrThrow(runId).codec_json) as BfvCodecDescriptor;
  }, 120_000);

  afterAll(async () => {
    for (const d of disposables) d.dispose();
    db?.close();
    admin?.close();
    for (const c of clients.values()) c.close();
    await coordinator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without the check, one upload claiming two summands would make the round\'s sum unreadable', async () => {
    // What the coordinator summed before: the forged chunk first (it becomes the running sum as it is), then two honest ones.
    const adder = await BfvChunkAdder.create(codec);
    disposables.push(adder);
    const forged = claimingSummands(await chunkOf('site-c'), 2);
    const poisoned = adder.add(adder.add(forged, await chunkOf('site-a'), 0), await chunkOf('site-b'), 0);
    // Three sites contributed, the sum says four: its check slot (3) disagrees, so every site refuses to decrypt it.
    expect(readChunk(poisoned, 'sum').header.summands).toBe(4);
    const reader = await encoder('site-b');
    expect(caughtSync(() => reader.decodeAggregate([poisoned])).code).toBe('COHORT_E_SECURE_AGG_WRONG_KEY');
  });

  it('refuses an upload claiming zero summands as not single, an error charged to its sender like any count but one', async () => {
    const adder = await BfvChunkAdder.create(codec);
    disposables.push(adder);
    const zero = claimingSummands(await chunkOf('site-c'), 0);
    const err = caughtSync(() => adder.validate(zero, 0));
    expect(err.code).toBe('COHORT_E_UPDATE_NOT_SINGLE');
    expect(err.message).toBe('chunk 0: says it sums 0 updates; an upload carries exactly one');
    expect(chargedToSender(err)).toBe(err);
  });

  it('charges an upload whose receipt does not describe it (RECEIPT_INVALID) to its sender; framing faults and the round\'s state are not charged', () => {
    const receipt = new CohortError(SecureAggErrors.RECEIPT_INVALID, 'the upload\'s receipt does not describe this upload');
    expect(chargedToSender(receipt)).toBe(receipt);
    expect(chargedToSender(new CohortError(UpdateErrors.TRUNCATED, 'cut short'))).toBeUndefined();
    expect(chargedToSender(new CohortError(UpdateErrors.CHUNK_INDEX, 'out of order'))).toBeUndefined();
  });

  it('refuses an upload claiming two summands with COHORT_E_UPDATE_NOT_SINGLE and records it as the sender\'s failure', async () => {
    await upload('site-a', await chunkOf('site-a'));
    const before = roundSums();
    expect(before).toHaveLength(1);
    const err = await refusal(upload('site-c', claimingSummands(await chunkOf('site-c'), 2)));
    expect(err.code).toBe('COHORT_E_UPDATE_NOT_SINGLE');
    expect(err.message).toBe('chunk 0: says it sums 2 updates; an upload carries exactly one');
    expect(roundSums()).toEqual(before);
    expect(coordinator.engine.store.getRoundSite(runId, 1, 'site-c')).toMatchObject({ state: 'FAILED', failure_code: 'COHORT_E_UPDATE_NOT_SINGLE' });
    // Its failure is final for the round: the honest chunk it could send now is not counted either.
    expect((await refusal(upload('site-c', await chunkOf('site-c')))).code).toBe('COHORT_E_UPDATE_NOT_PARTICIPANT');
    expect(coordinator.engine.store.getRound(runId, 1)?.state).toBe('COLLECTING');
  });

  it('refuses an upload under another consortium key with COHORT_E_SECURE_AGG_PARAMS_MISMATCH, charged to its sender', async () => {
    const before = roundSums();
    const other = await generateConsortiumKey(await consortiumKeyContext());
    const foreign = [...(await encoder('site-d', { ...codec, keyId: other.params.keyId, paramsId: other.params.paramsId }, Buffer.from(other.secretKey))).encode(vectorOf('site-d'))][0] as Uint8Array;
    expect((await refusal(upload('site-d', foreign))).code).toBe('COHORT_E_SECURE_AGG_PARAMS_MISMATCH');
    expect(roundSums()).toEqual(before);
    expect(coordinator.engine.store.getRoundSite(runId, 1, 'site-d')).toMatchObject({ state: 'FAILED', failure_code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' });
    expect(coordinator.engine.getRunOrThrow(runId).state).toBe('RUNNING');
  });

  it('closes the round with the two good updates, whose sum decrypts to exactly theirs', async () => {
    await upload('site-b', await chunkOf('site-b'));
    expect(coordinator.engine.store.getRound(runId, 1)).toMatchObject({ state: 'AGGREGATED', contributors: 2 });
    expect(coordinator.engine.store.roundSites(runId, 1).map((s) => [s.site, s.state, s.failure_code])).toEqual([
      ['site-a', 'DELIVERED', null],
      ['site-b', 'DELIVERED', null],
      ['site-c', 'FAILED', 'COHORT_E_UPDATE_NOT_SINGLE'],
      ['site-d', 'FAILED', 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH'],
    ]);
    // Recorded by the coordinator (the sites reported nothing), naming the site charged.
    const failures = db.prepare("SELECT actor, detail_json FROM events WHERE run_id = ? AND action = 'site.failure' ORDER BY id").all(runId) as { actor: string; detail_json: string }[];
    expect(failures.map((f) => [f.actor, JSON.parse(f.detail_json) as unknown])).toEqual([
      ['coordinator', { round: 1, site: 'site-c', code: 'COHORT_E_UPDATE_NOT_SINGLE' }],
      ['coordinator', { round: 1, site: 'site-d', code: 'COHORT_E_SECURE_AGG_PARAMS_MISMATCH' }],
    ]);
    const agg = coordinator.engine.aggregateOf(runId, 1);
    const decoded = (await encoder('site-c')).decodeAggregate([...agg.chunks()]);
    expect(decoded.summands).toBe(2);
    expect(agg.contributors).toBe(2);
    expect(decoded.sum[LENGTH - 1]).toBe(WEIGHTS['site-a'] + WEIGHTS['site-b']);
    const a = vectorOf('site-a');
    const b = vectorOf('site-b');
    for (let i = 0; i < LENGTH - 1; i++) expect(Math.abs((decoded.sum[i] as number) - ((a[i] as number) + (b[i] as number))), `slot ${i}`).toBeLessThan(2 / codec.scale);
  });

  it('charges nothing to a site for the coordinator\'s own fault: a run codec it cannot build an adder from', async () => {
    const other = (await unary<{ runId: string }>((o, cb) => admin.submitRun({ specJson: JSON.stringify({ ...SPEC, rounds: 1, minSites: 2 }), codec: '' }, o, cb))).runId;
    for (const s of SITES) {
      await unary((o, cb) => client(s).respondToRun({ runId: other, accept: true, numExamples: String(WEIGHTS[s]), datasetFingerprint: 'f', reasonCode: '', reason: '' }, o, cb));
    }
    // The coordinator's own record of the run codec is broken (its paramsId no longer matches its parameters).
    const broken = { ...(JSON.parse(coordinator.engine.getRunOrThrow(other).codec_json) as BfvCodecDescriptor), paramsId: 'f'.repeat(64) };
    coordinator.engine.store.db.prepare('UPDATE runs SET codec_json = ? WHERE run_id = ?').run(JSON.stringify(broken), other);
    expect((await refusal(upload('site-a', await chunkOf('site-a'), other))).code).toBe('COHORT_E_SECURE_AGG_PARAMS_MISMATCH');
    expect(coordinator.engine.store.getRoundSite(other, 1, 'site-a')?.state).not.toBe('FAILED');
    expect(db.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ? AND action = 'site.failure'").get(other)).toEqual({ n: 0 });
  });
});
