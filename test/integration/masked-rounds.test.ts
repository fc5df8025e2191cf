/**
 * Pairwise masking in real federated rounds (docs/secure-aggregation.md): a coordinator and four
 * site agents as real processes over mTLS, an encrypted (BFV) run with `masking` in its spec.
 * Round 1: one site is SIGKILLed after training and before its upload (it is dropped: its
 * pairwise masks are removed with its rebuilt mask key). It is restarted once the coordinator
 * has recorded it failed. Round 2: another site is SIGKILLed right after its upload, before
 * unmasking (it is a survivor that never releases: its self-mask is rebuilt from the others'
 * shares). Both rounds must close with the exact sum of the survivors' own updates, which the
 * sites wrote out before masking (site-agent/test-hooks.ts) and which this test adds itself;
 * the sum is decrypted here with the key holder's HE key from the coordinator's stored state.
 *
 * Then, at the default threshold (3 of 4): a site SIGKILLed after the share exchange and before
 * its upload, and the round closes with the survivors' exact sum.
 *
 * Also the malicious coordinator, through a real site's own code (site-agent/masking.ts and
 * RunWorker.decodeAggregate on that site's sealed state): the aggregate handed out with one
 * receipt twice, or a partial sum with fewer receipts, is refused with a code.
 */
import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRun, TERMINAL_RUN_STATES } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { waitForState } from '../../cli/demo/wait-for-state.ts';
import { loadKeyFile } from '../../core/crypto/at-rest.ts';
import { SecureAggErrors } from '../../core/errors/index.ts';
import { BfvUpdateEncoder } from '../../core/secure-agg/bfv-update-encoder.ts';
import { verifyUnmaskRequest } from '../../core/secure-agg/masking/unmask-request.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/types.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { SiteMasking } from '../../site-agent/masking.ts';
import { RunStateStore } from '../../site-agent/run-state.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/demo-private.yaml');
const TEST_TIMEOUT_MS = 900_000;

describe('masked rounds over real processes', () => {
  let dir: string;
  let records: string;
  let c: LocalConsortium;
  let address: string;
  let keyId: string;
  let runId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-masked-'));
    records = join(dir, 'updates');
    // A short grace (just above the agents' 5 s reconnect backoff): the killed sites are recorded failed within seconds.
    c = await LocalConsortium.create({ workdir: dir, sites: 4, seed: 23, rowsPerSite: 140, maxEpsilon: null, siteGraceMs: 6_000 });
    address = `127.0.0.1:${c.port}`;
    c.startCoordinator();
    const [, , third, fourth] = c.siteNames as [string, string, string, string];
    const exitAt: Record<string, string> = { [third]: 'before-upload@1', [fourth]: 'after-upload@2' };
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s, { NODE_ENV: 'test', COHORT_TEST_RECORD_UPDATES: records, ...(exitAt[s] ? { COHORT_TEST_SITE_EXIT_AT: exitAt[s] } : {}) });
    }
    await c.waitForSites(4);
    keyId = (await c.keyCeremony()).keyId;
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (!process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  function db<T>(fn: (d: Database.Database) => T): T {
    const d = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      return fn(d);
    } finally {
      d.close();
    }
  }

  function siteState(name: string): { states: RunStateStore; heKeys: HeKeyStore } {
    const config = loadSiteConfig(join(dir, 'sites', name, 'site.yaml'));
    const key = loadKeyFile(config.keyFile);
    return { states: new RunStateStore(config.dataDir, key), heKeys: new HeKeyStore(config.dataDir, key) };
  }

  /**
   * The round's published survivors and dropped sites, as the coordinator stored them: signed with
   * the coordinator's certificate key, which verifies against the consortium CA as the sites check it.
   */
  function published(round: number): { survivors: readonly string[]; dropped: readonly string[] } {
    const stored = db((d) => (d.prepare("SELECT json FROM mask_messages WHERE run_id = ? AND round = ? AND kind = 'unmask'").get(runId, round) as { json: string }).json);
    const site = c.kit(c.siteNames[0] as string);
    return verifyUnmaskRequest(stored, { caPem: site.caPem, consortium: site.consortium, run: runId, round, isRevoked: () => false });
  }

  /** Waits for a site's process to exit and for the coordinator to record it failed in round 1, then starts it again, recording its updates. */
  async function restartOnceFailed(proc: ChildProcess, site: string): Promise<void> {
    await new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
    await waitForState({
      what: `${site} recorded failed in round 1`,
      read: async () => db((d) => d.prepare('SELECT state FROM round_sites WHERE run_id = ? AND round = 1 AND site = ?').get(runId, site) as { state: string } | undefined),
      done: (r) => r?.state === 'FAILED',
      describe: (r) => r?.state ?? 'no row',
      intervalMs: 200,
    });
    c.startSite(site, { NODE_ENV: 'test', COHORT_TEST_RECORD_UPDATES: records });
  }

  function storedSum(round: number): Buffer[] {
    return db((d) => (d.prepare('SELECT data FROM round_sums WHERE run_id = ? AND round = ? ORDER BY chunk_index').all(runId, round) as { data: Buffer }[]).map((r) => r.data));
  }

  function recorded(site: string, round: number): number[] {
    return JSON.parse(readFileSync(join(records, `${site}.${runId}.${round}.json`), 'utf8')) as number[];
  }

  it('closes a round with a site lost before uploading and one lost after uploading, each with the survivors\' exact sum', async () => {
    const [a, b, third, fourth] = c.siteNames as [string, string, string, string];
    const base = loadSpecFile(SPEC);
    const specPath = join(dir, 'spec.json');
    // minSites 3 (the least a masked spec may have) with four sites; `majority` lets a cohort of three unmask with two releases.
    writeFileSync(specPath, JSON.stringify({ ...base, rounds: 2, minSites: 3, roundTimeoutSeconds: 600, masking: { threshold: 'majority' } }));
    runId = (await submitRun(c.kit('alice'), specPath, 'bfv', address)).runId;

    // Round 1: the third site dies before its upload; once recorded failed it comes back.
    await restartOnceFailed(c.processes.get(third)!, third);

    const final = await c.waitForRun(runId, 'the end of the masked run', (s) => TERMINAL_RUN_STATES.includes(s.state));
    expect([final.state, final.errorCode]).toEqual(['COMPLETED', '']);
    expect(c.processes.get(fourth)?.signalCode).toBe('SIGKILL');

    const round1 = published(1);
    expect(round1).toMatchObject({ survivors: [a, b, fourth].sort(), dropped: [third] });
    const round2 = published(2);
    // The fourth site delivered in round 2 and is a survivor; the third is back in the cohort unless it missed the keying.
    expect(round2.survivors).toContain(fourth);
    expect(round2.survivors).toEqual(expect.arrayContaining([a, b]));
    expect(round2.dropped).toEqual([]);
    // The fourth site never released in round 2: the coordinator rebuilt its self-mask from the others.
    const released2 = db((d) => (d.prepare("SELECT from_site FROM mask_messages WHERE run_id = ? AND round = 2 AND kind = 'release' ORDER BY from_site").all(runId) as { from_site: string }[]).map((r) => r.from_site));
    expect(released2).toEqual(round2.survivors.filter((s) => s !== fourth));

    const codec = JSON.parse(final.codecJson) as BfvCodecDescriptor;
    const key = siteState(a).heKeys.secretKey(keyId);
    if (key === undefined) throw new Error('the key holder holds no HE key');
    const encoder = await BfvUpdateEncoder.create(codec, key);
    try {
      for (const [round, pub] of [[1, round1], [2, round2]] as const) {
        // The check slots say exactly |U|: no mask left in, nobody counted twice.
        const { sum, summands } = encoder.decodeAggregate(storedSum(round), { contributors: pub.survivors.length });
        expect(summands).toBe(pub.survivors.length);
        const expected = new Float64Array(sum.length);
        for (const s of pub.survivors) recorded(s, round).forEach((v, i) => (expected[i] = (expected[i] ?? 0) + v));
        // Each site's encoding rounds once to the codec's step.
        const tolerance = pub.survivors.length / codec.scale + 1e-9;
        const worst = Math.max(...Array.from(sum, (v, i) => Math.abs(v - (expected[i] ?? 0))));
        expect(worst).toBeLessThanOrEqual(tolerance);
        // Not vacuous: the dropped site's own update (written before it died) is not in the sum.
        if (round === 1) {
          const withDropped = recorded(third, 1);
          const gap = Math.max(...withDropped.map((v) => Math.abs(v)));
          expect(gap).toBeGreaterThan(tolerance * 100);
        }
      }
    } finally {
      encoder.dispose();
      key.fill(0);
    }
    expect(existsSync(join(records, `${fourth}.${runId}.2.json`))).toBe(true);
  }, TEST_TIMEOUT_MS);

  it('a real site refuses the aggregate with a receipt counted twice or fewer receipts than the sum holds', async () => {
    const a = c.siteNames[0] as string;
    const { states } = siteState(a);
    const masking = new SiteMasking({ me: c.kit(a), states, isRevoked: () => false });
    const receipts = db((d) => (d.prepare("SELECT json FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'receipt' ORDER BY from_site").all(runId) as { json: string }[]).map((r) => JSON.parse(r.json) as unknown));
    const chunks = storedSum(1).length;
    // As served: three valid receipts of the cohort.
    expect(masking.verifyReceipts(runId, 1, JSON.stringify(receipts), chunks, 2)).toBe(3);
    // One site's receipt twice (K copies of its upload claimed as others'):
    expect(() => masking.verifyReceipts(runId, 1, JSON.stringify([receipts[0], receipts[0], receipts[1]]), chunks, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.RECEIPT_DUPLICATE.code }));
    // A forged receipt (the signature no longer covers it):
    const forged = { ...(receipts[1] as Record<string, unknown>), chunksSha256: '0'.repeat(64) };
    expect(() => masking.verifyReceipts(runId, 1, JSON.stringify([receipts[0], forged, receipts[2]]), chunks, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.RECEIPT_INVALID.code }));
    // A full sum handed out with two receipts: the check slots say 3, not 2.
    const codec = JSON.parse(db((d) => (d.prepare('SELECT codec_json FROM runs WHERE run_id = ?').get(runId) as { codec_json: string }).codec_json)) as BfvCodecDescriptor;
    const key = siteState(a).heKeys.secretKey(keyId);
    if (key === undefined) throw new Error('the key holder holds no HE key');
    const encoder = await BfvUpdateEncoder.create(codec, key);
    try {
      // The receipts must be signed by exactly the survivors this site released for: two of three are refused.
      expect(() => masking.verifyReceipts(runId, 1, JSON.stringify(receipts.slice(0, 2)), chunks, 2)).toThrow(expect.objectContaining({ code: SecureAggErrors.RECEIPT_INVALID.code }));
      expect(() => encoder.decodeAggregate(storedSum(1), { contributors: 2 })).toThrow(expect.objectContaining({ code: SecureAggErrors.SUM_UNVERIFIED.code }));
    } finally {
      encoder.dispose();
      key.fill(0);
    }
  }, TEST_TIMEOUT_MS);

  it('a coordinator SIGKILLed mid-sharing and mid-unmasking resumes the masked round, each update and release counted once', async () => {
    const fourth = c.siteNames[3] as string;
    await c.kill('coordinator');
    // The fourth site was killed in the first run; it comes back without hooks but recording.
    c.startSite(fourth, { NODE_ENV: 'test', COHORT_TEST_RECORD_UPDATES: records });
    const coordinator = (point: string | undefined): Promise<void> => {
      const p = c.startCoordinator(point ? { NODE_ENV: 'test', COHORT_TEST_CRASH_AT: point } : {});
      return new Promise((resolve) => p.once('exit', () => resolve()));
    };
    let exited = coordinator('mask.shares@2');
    await c.waitForSites(4);
    const base = loadSpecFile(SPEC);
    const specPath = join(dir, 'spec-crash.json');
    // minSites 3: the least a masked spec may have.
    writeFileSync(specPath, JSON.stringify({ ...base, rounds: 1, minSites: 3, roundTimeoutSeconds: 600, masking: { threshold: 'majority' } }));
    runId = (await submitRun(c.kit('alice'), specPath, 'bfv', address)).runId;
    await exited;
    // Killed right after the second site's shares committed: the round is still SHARING with two of four dealt.
    expect(db((d) => [(d.prepare('SELECT state FROM rounds WHERE run_id = ? AND round = 1').get(runId) as { state: string }).state, (d.prepare("SELECT COUNT(DISTINCT from_site) AS n FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'share'").get(runId) as { n: number }).n])).toEqual(['SHARING', 2]);
    exited = coordinator('mask.release@1');
    await exited;
    expect(db((d) => [(d.prepare('SELECT state FROM rounds WHERE run_id = ? AND round = 1').get(runId) as { state: string }).state, (d.prepare("SELECT COUNT(*) AS n FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'release'").get(runId) as { n: number }).n])).toEqual(['UNMASKING', 1]);
    coordinator(undefined).catch(() => undefined);
    const final = await c.waitForRun(runId, 'the end of the masked run after two coordinator crashes', (s) => TERMINAL_RUN_STATES.includes(s.state));
    expect([final.state, final.errorCode]).toEqual(['COMPLETED', '']);
    const pub = published(1);
    // The published cohort digest is the one every member signed (each site's relayed signature).
    const signed = db((d) => (d.prepare("SELECT json FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'signature' ORDER BY from_site").all(runId) as { json: string }[]).map((r) => (JSON.parse(r.json) as { cohort: string }).cohort));
    expect(signed).toHaveLength(4);
    expect(new Set(signed).size).toBe(1);
    expect(pub).toEqual({ consortium: 'demo-consortium', run: runId, round: 1, cohort: signed[0], survivors: [...c.siteNames].sort(), dropped: [] });
    const released = db((d) => (d.prepare("SELECT from_site FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'release' ORDER BY from_site").all(runId) as { from_site: string }[]).map((r) => r.from_site));
    expect(released).toEqual(pub.survivors);
    const codec = JSON.parse(final.codecJson) as BfvCodecDescriptor;
    const key = siteState(c.siteNames[0] as string).heKeys.secretKey(keyId);
    if (key === undefined) throw new Error('the key holder holds no HE key');
    const encoder = await BfvUpdateEncoder.create(codec, key);
    try {
      const { sum, summands } = encoder.decodeAggregate(storedSum(1), { contributors: 4 });
      expect(summands).toBe(4);
      const expected = new Float64Array(sum.length);
      for (const s of pub.survivors) recorded(s, 1).forEach((v, i) => (expected[i] = (expected[i] ?? 0) + v));
      expect(Math.max(...Array.from(sum, (v, i) => Math.abs(v - (expected[i] ?? 0))))).toBeLessThanOrEqual(4 / codec.scale + 1e-9);
    } finally {
      encoder.dispose();
      key.fill(0);
    }
  }, TEST_TIMEOUT_MS);

  it('at the default threshold: 4 sites, one killed after the share exchange and before its upload, the round closes with the survivors\' exact sum', async () => {
    const [a, b, third, fourth] = c.siteNames as [string, string, string, string];
    // The third site comes back with a hook: it dies in round 1 of the next run, after it received its shares and trained.
    await c.kill(third);
    const dying = c.startSite(third, { NODE_ENV: 'test', COHORT_TEST_RECORD_UPDATES: records, COHORT_TEST_SITE_EXIT_AT: 'before-upload@1' });
    await c.waitForSites(4);
    const specPath = join(dir, 'spec-default.json');
    // The default threshold (masking absent): 3 of a cohort of 4, so one dropout leaves exactly enough releases.
    writeFileSync(specPath, JSON.stringify({ ...loadSpecFile(SPEC), rounds: 1, minSites: 3, roundTimeoutSeconds: 600 }));
    runId = (await submitRun(c.kit('alice'), specPath, 'bfv', address)).runId;
    await restartOnceFailed(dying, third);
    expect(dying.signalCode).toBe('SIGKILL');
    const final = await c.waitForRun(runId, 'the end of the masked run at the default threshold', (st) => TERMINAL_RUN_STATES.includes(st.state));
    expect([final.state, final.errorCode]).toEqual(['COMPLETED', '']);
    const pub = published(1);
    expect(pub).toMatchObject({ survivors: [a, b, fourth].sort(), dropped: [third] });
    // The third site died after the share exchange: it was dealt into the cohort and signed it.
    expect(db((d) => (d.prepare("SELECT COUNT(DISTINCT from_site) AS n FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'share'").get(runId) as { n: number }).n)).toBe(4);
    const released = db((d) => (d.prepare("SELECT from_site FROM mask_messages WHERE run_id = ? AND round = 1 AND kind = 'release' ORDER BY from_site").all(runId) as { from_site: string }[]).map((r) => r.from_site));
    expect(released).toEqual(pub.survivors);
    const codec = JSON.parse(final.codecJson) as BfvCodecDescriptor;
    const key = siteState(a).heKeys.secretKey(keyId);
    if (key === undefined) throw new Error('the key holder holds no HE key');
    const encoder = await BfvUpdateEncoder.create(codec, key);
    try {
      const { sum, summands } = encoder.decodeAggregate(storedSum(1), { contributors: 3 });
      expect(summands).toBe(3);
      const expected = new Float64Array(sum.length);
      for (const s of pub.survivors) recorded(s, 1).forEach((v, i) => (expected[i] = (expected[i] ?? 0) + v));
      const tolerance = 3 / codec.scale + 1e-9;
      expect(Math.max(...Array.from(sum, (v, i) => Math.abs(v - (expected[i] ?? 0))))).toBeLessThanOrEqual(tolerance);
      // Not vacuous: the dropped site's own update (written before it died) is not in the sum.
      expect(Math.max(...recorded(third, 1).map((v) => Math.abs(v)))).toBeGreaterThan(tolerance * 100);
    } finally {
      encoder.dispose();
      key.fill(0);
    }
  }, TEST_TIMEOUT_MS);
});
