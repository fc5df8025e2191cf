/**
 * Real processes over real mTLS on 127.0.0.1: a coordinator and three site agents
 * started with `cohort`, the key ceremony run with `cohort site key-ceremony`, and
 * encrypted (BFV), differentially private runs driven through the admin API with the
 * data scientist's kit.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRun, TERMINAL_RUN_STATES, watchRun } from '../../cli/commands/run.ts';
import { LocalConsortium } from '../../cli/demo/local-consortium.ts';
import { attributionGroups } from '../../models/explain/row.ts';
import { summarizeRun } from '../../cli/run-summary.ts';
import { loadKeyFile } from '../../core/crypto/at-rest.ts';
import { readChunk } from '../../core/secure-agg/chunk-format.ts';
import { signingKeyFingerprint } from '../../core/secure-agg/fingerprints.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { HeKeyStore } from '../../site-agent/he-keys.ts';
import { PrivacyLedger, privacyLedgerDir } from '../../site-agent/privacy/ledger.ts';
import type { LedgerEntry } from '../../site-agent/privacy/ledger-chain.ts';
import { waitForState } from '../../cli/demo/wait-for-state.ts';
import { loadSiteConfig } from '../../site-agent/site-config.ts';
import { prepareDataset } from '../../site-agent/data/prepare-dataset.ts';
import type { Matrix } from '../../models/features.ts';
import { concatRows } from '../../scripts/datasets/heart-disease.ts';
import { predictProbabilities } from '../../site-agent/training/local-trainer.ts';
import { selectBackend } from '../../site-agent/training/backend.ts';
import { accuracy, binaryAuc, binaryCrossEntropy } from '../../site-agent/training/metrics.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { filesUnder } from '../support/in-process-coordinator.ts';
import { holdsKeyBytes } from '../support/key-bytes.ts';

const SPEC = join(import.meta.dirname, '../../models/examples/demo-private.yaml');
/**
 * Generous on purpose: each wait below gives up on its own, with the state it last saw, once the
 * run stops changing (waitForState); this limit only catches a wait that never returns.
 */
const TEST_TIMEOUT_MS = 600_000;


describe('a local consortium over mTLS', () => {
  let dir: string;
  let c: LocalConsortium;
  let address: string;
  let ceremony: Awaited<ReturnType<LocalConsortium['keyCeremony']>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-it-'));
    // No privacy cap: these runs test the protocol; budgets have their own tests.
    // The coordinator's own clocks (a site's grace after a disconnect, recruiting) at their
    // defaults: on a loaded machine a site may take seconds to redial after the coordinator restarts.
    // The first site lets its own metrics go; the others keep theirs (the default).
    c = await LocalConsortium.create({ workdir: dir, sites: 3, seed: 11, rowsPerSite: 160, maxEpsilon: null, release: (_site, i) => (i === 0 ? { siteMetrics: true, recordCounts: 'exact' } : undefined) });
    address = `127.0.0.1:${c.port}`;
    c.startCoordinator();
    for (const s of c.siteNames) {
      c.initSite(s);
      c.startSite(s);
    }
    await c.waitForSites(3);
    ceremony = await c.keyCeremony();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await c?.stopAll();
    if (!process.env.COHORT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  /** `slow` makes local training long (many small DP-SGD steps) so that a test can act in the middle of a round. */
  /**
   * `unmasked`: the spec opts out of pairwise masking (`masking: false`). A masked round of these
   * 3 sites has the default threshold 3 and tolerates no site lost after the share exchange, and a
   * masked upload cut off by a coordinator restart is not sent again (the site sits the round out):
   * the crash and dropout tests below are about the unmasked round engine; masked-rounds.test.ts
   * kills sites and the coordinator in masked rounds of 4 sites.
   */
  function specFile(rounds: number, slow = false, unmasked = false): string {
    const base = loadSpecFile(SPEC);
    const p = join(dir, `spec-${rounds}-${slow}-${unmasked}.json`);
    const training = slow ? { ...base.training, epochs: 40, batchSize: 4 } : base.training;
    // Masked (the default): minSites 3, the least a masked spec may have; unmasked: minSites 2.
    writeFileSync(p, JSON.stringify({ ...base, rounds, minSites: unmasked ? 2 : 3, testFraction: 0.3, training, ...(unmasked ? { masking: false } : {}) }));
    return p;
  }

  /** Every site's held-out rows for `spec`, split as the sites split them, stacked. */
  async function pooledTestRows(spec: ModelSpec): Promise<Matrix> {
    const parts: Matrix[] = [];
    for (const s of c.siteNames) {
      const config = loadSiteConfig(join(dir, 'sites', s, 'site.yaml'));
      const mapping = config.datasets[spec.dataset]!;
      parts.push((await prepareDataset({ spec, mapping, phiAllowList: config.policy.phiAllowList, fingerprintKey: Buffer.alloc(32) })).test);
    }
    return concatRows(parts);
  }

  function modelWeights(modelId: string): Buffer {
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      return (db.prepare('SELECT weights FROM models WHERE model_id = ?').get(modelId) as { weights: Buffer }).weights;
    } finally {
      db.close();
    }
  }

  /** The consortium HE key as site `name` holds it (sealed at rest), or undefined. */
  function siteKey(name: string): Buffer | undefined {
    const config = loadSiteConfig(join(dir, 'sites', name, 'site.yaml'));
    return new HeKeyStore(config.dataDir, loadKeyFile(config.keyFile)).secretKey(ceremony.keyId);
  }

  it('seals the HE key to the other sites through the coordinator, which never holds it', () => {
    const [holder, ...others] = c.siteNames;
    expect(c.kit(others[0] as string).keyHolder).toBe(holder);
    // Every other site pins the key holder's certificate key (keyHolderKey): the encrypted runs below
    // only train because each opened its sealed copy under that pin.
    const pinned = c.siteNames.map((s) => loadSiteConfig(join(dir, 'sites', s, 'site.yaml')).keyHolderKey);
    expect(pinned).toEqual([undefined, ...others.map(() => signingKeyFingerprint(c.kit(holder as string).certPem))]);
    expect(ceremony.sealedFor).toEqual(others);
    expect(ceremony.refused).toEqual([]);
    // The key holder made it; the others do not hold it before their first encrypted run.
    expect(c.siteNames.map((s) => siteKey(s) !== undefined)).toEqual([true, false, false]);
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      const sealed = db.prepare('SELECT site FROM sealed_keys WHERE key_id = ? ORDER BY site').all(ceremony.keyId) as { site: string }[];
      expect(sealed.map((r) => r.site)).toEqual(others);
    } finally {
      db.close();
    }
  });

  it('trains an encrypted, private run to completion: same weights everywhere, spend reported, model released', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(3), 'bfv', address);
    const final = await watchRun(c.kit('alice'), runId, () => undefined, address);
    expect(final.state).toBe('COMPLETED');
    expect(final.codec).toBe('bfv');
    expect(final.sites.map((s) => s.state)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    expect(final.roundStatus.map((r) => [r.round, r.state, r.contributors])).toEqual([
      [1, 'CLOSED', 3],
      [2, 'CLOSED', 3],
      [3, 'CLOSED', 3],
    ]);
    const hashes = new Set(final.roundStatus[2]?.sites.map((s) => s.weightsSha256));
    expect(hashes.size).toBe(1);
    expect([...hashes][0]).toBe(final.finalWeightsSha256);
    // It learns through the noise: the synthetic extracts start near 0.4 accuracy.
    expect(final.roundStatus[2]?.metrics?.accuracy).toBeGreaterThan(0.55);
    // Only the site whose policy lets them go has metrics of its own on record, in every round.
    for (const r of final.roundStatus) expect(r.sites.map((s) => s.metrics !== null)).toEqual([true, false, false]);
    expect(summarizeRun(final).sites.map((s) => s.privacy?.planned?.siteMetrics)).toEqual([true, false, false]);
    // The run record holds the public parameters chosen for the 3 sites, with their headroom.
    const codec = JSON.parse(final.codecJson) as { kind: string; keyId: string; maxSummands: number; polyModulusDegree: number; headroom: { valueBits: number; noiseBits: number } };
    expect([codec.kind, codec.keyId, codec.maxSummands, codec.polyModulusDegree]).toEqual(['bfv', ceremony.keyId, 3, 4096]);
    expect(codec.headroom.valueBits).toBeGreaterThan(0);
    expect(codec.headroom.noiseBits).toBeGreaterThan(0);
    // Every site reports what the run spent, within what it planned when it accepted.
    for (const site of summarizeRun(final).sites) {
      expect(site.privacy?.spent?.epsilon).toBeGreaterThan(0);
      expect(site.privacy?.spent?.epsilon).toBeLessThanOrEqual(site.privacy?.planned?.epsilon ?? 0);
    }
    // The final model reaches the registry with the agreed hash.
    const released = await c.waitForRun(runId, 'the model release', (s) => s.modelId !== '');
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      const model = db.prepare('SELECT weights_sha256, run_id FROM models WHERE model_id = ?').get(released.modelId) as { weights_sha256: string; run_id: string };
      expect(model).toEqual({ weights_sha256: final.finalWeightsSha256, run_id: runId });
      // Masked by default (3 sites, no `masking` in the spec): recorded with the codec, and every round went through unmasking.
      const codecEvent = db.prepare("SELECT detail_json FROM events WHERE run_id = ? AND action = 'run.codec'").get(runId) as { detail_json: string };
      expect(JSON.parse(codecEvent.detail_json)).toMatchObject({ masked: true, masking: { threshold: 'default' } });
      const unmasked = db.prepare("SELECT COUNT(*) AS n FROM events WHERE run_id = ? AND action = 'round.unmasking'").get(runId) as { n: number };
      expect(unmasked.n).toBe(3);
    } finally {
      db.close();
    }
    // The last round's consortium metrics are those of the pooled held-out rows under the released weights.
    const spec = JSON.parse(readFileSync(specFile(3), 'utf8')) as ModelSpec;
    const pooled = await pooledTestRows(spec);
    const weights = new Float32Array(Uint8Array.from(modelWeights(released.modelId)).buffer);
    // The backend the agents chose ('auto'), so that the test's predictions are the sites' to the bit.
    await selectBackend('auto', spec.model.family);
    const probabilities = await predictProbabilities(spec, weights, pooled);
    const m = final.roundStatus[2]?.metrics;
    expect(Number(m?.numExamples)).toBe(pooled.rows);
    expect(m?.evaluators).toBe(3);
    expect(m?.accuracy).toBe(accuracy(probabilities, pooled.y));
    // Each site's loss sum is kept to 1/256 nat.
    expect(Math.abs((m?.loss ?? 0) - binaryCrossEntropy(probabilities, pooled.y))).toBeLessThan(3 / 256 / pooled.rows);
    expect(Math.abs((m?.auc ?? 0) - binaryAuc(probabilities, pooled.y))).toBeLessThanOrEqual((m?.aucResolution ?? 0) + 1e-12);
    // The version carries the final round's subgroup fairness and global explanations (issue 13), as the sites decrypted them.
    const registered = (() => {
      const rdb = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
      try {
        return rdb.prepare('SELECT fairness_json, explanations_json FROM models WHERE model_id = ?').get(released.modelId) as { fairness_json: string; explanations_json: string };
      } finally {
        rdb.close();
      }
    })();
    const fairness = JSON.parse(registered.fairness_json) as { attributes: string[]; groups: { attribute: string; group: string; n: number; accuracy: number }[]; reviewRequired: boolean; maxEqualizedOddsDifference: number };
    expect(fairness.attributes).toEqual(['sex', 'age']);
    expect(fairness.maxEqualizedOddsDifference).toBe(0.1);
    // sex is left unstandardised, so the pooled rows give each sex's count and accuracy directly.
    const sexColumn = spec.features.findIndex((f) => f.name === 'sex');
    // Both sexes are reported (the loop below would pass over none), and between them they hold every pooled test row; sex is
    // a feature too, so a row without it is dropped and "unrecorded" is empty.
    const sexGroups = fairness.groups.filter((x) => x.attribute === 'sex');
    expect(sexGroups.map((g) => [g.group, g.n > 0])).toEqual([['0', true], ['1', true], ['unrecorded', false]]);
    const sexes = sexGroups.filter((g) => g.n > 0);
    expect(sexes.reduce((n, g) => n + g.n, 0)).toBe(pooled.rows);
    for (const g of sexes) {
      const rows = Array.from({ length: pooled.rows }, (_, i) => i).filter((i) => String(pooled.x[i * pooled.cols + sexColumn]) === g.group);
      expect(g.n).toBe(rows.length);
      expect(g.accuracy).toBe(rows.filter((i) => (probabilities[i]! > 0.5) === (pooled.y[i] === 1)).length / rows.length);
    }
    // Global linear SHAP against the pooled test mean: per feature, mean |sum over its columns of w_j (x_j - mean_j)|.
    const { explanations } = JSON.parse(registered.explanations_json) as { explanations: { method: string; baseline: string; rows: number; global: { feature: string; meanAbsAttribution: number }[] } };
    expect(explanations).toMatchObject({ method: 'linear-shap', baseline: 'global-mean', rows: pooled.rows });
    const mean = Array.from({ length: pooled.cols }, (_, c) => Array.from({ length: pooled.rows }, (_, i) => pooled.x[i * pooled.cols + c]!).reduce((a, b) => a + b, 0) / pooled.rows);
    for (const g of attributionGroups(spec.features)) {
      let sum = 0;
      for (let i = 0; i < pooled.rows; i++) sum += Math.abs(g.columns.reduce((t, c) => t + weights[c]! * (pooled.x[i * pooled.cols + c]! - mean[c]!), 0));
      const got = explanations.global.find((x) => x.feature === g.feature)?.meanAbsAttribution ?? Number.NaN;
      // 1/256 per site's sums under BFV, in the attributions and in the baseline they are taken against.
      expect(Math.abs(got - sum / pooled.rows), g.feature).toBeLessThan((3 / 256 / pooled.rows) * (1 + 3 * Math.max(...weights.map(Math.abs))) + 1e-9);
    }
    // Now every site holds the key; no byte of it (raw, base64 or hex), nor the key envelope, is in the coordinator's state.
    expect(c.siteNames.map((s) => siteKey(s) !== undefined)).toEqual([true, true, true]);
    const key = siteKey(c.siteNames[1] as string)!;
    const files = filesUnder(join(dir, 'coordinator-state'));
    expect(files.some((f) => f.endsWith('coordinator.sqlite'))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      expect(bytes.includes(Buffer.from('CBSK')), `${f} contains the key envelope magic`).toBe(false);
      expect(holdsKeyBytes(bytes, key), `${f} contains key bytes`).toBe(false);
    }
  }, TEST_TIMEOUT_MS);

  it('resumes the round after the coordinator is SIGKILLed, counting each delivered update once', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(3, true, true), 'bfv', address);
    // Any round in which an update is committed and the round is still open will do: which
    // round the poll first sees that in depends on the machine's load.
    const before = await c.waitForRun(runId, 'a round collecting with an update delivered', (s) =>
      s.roundStatus.some((r) => r.state === 'COLLECTING' && r.sites.some((x) => x.state === 'DELIVERED')),
    );
    expect(before.state).toBe('RUNNING');
    await c.kill('coordinator', 'SIGKILL');
    c.startCoordinator();
    const final = await c.waitForRun(runId, 'the end of the run after the restart', (s) => TERMINAL_RUN_STATES.includes(s.state));
    expect(final.errorCode).toBe('');
    expect(final.state).toBe('COMPLETED');
    // Each round's encrypted sums must count exactly the delivered sites (the chunk headers say how
    // many updates they sum, and the sites' decryption checks it against the encrypted check slots):
    // nothing lost, nothing twice.
    const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
    try {
      for (const r of final.roundStatus) {
        const delivered = r.sites.filter((s) => s.state === 'DELIVERED').length;
        const sums = db.prepare('SELECT data FROM round_sums WHERE run_id = ? AND round = ? ORDER BY chunk_index').all(runId, r.round) as { data: Buffer }[];
        expect(sums.length).toBeGreaterThan(0);
        for (const [i, sum] of sums.entries()) expect(readChunk(sum.data, `round ${r.round} chunk ${i}`).header.summands).toBe(delivered);
        expect(r.contributors).toBe(delivered);
      }
    } finally {
      db.close();
    }
    await c.waitForSites(3);
  }, TEST_TIMEOUT_MS);

  it('records a site killed mid-run as failed and closes its rounds with the other two', async () => {
    const { runId } = await submitRun(c.kit('alice'), specFile(3, true, true), 'bfv', address);
    const victim = c.siteNames[2] as string;
    await c.waitForRun(runId, 'round 2 collecting', (s) => s.state === 'RUNNING' && s.roundStatus.some((r) => r.round === 2 && r.state === 'COLLECTING'));
    await c.kill(victim, 'SIGKILL');
    const final = await c.waitForRun(runId, 'the end of the run without the killed site', (s) => TERMINAL_RUN_STATES.includes(s.state));
    expect(final.state).toBe('COMPLETED');
    const round3 = final.roundStatus.find((r) => r.round === 3);
    expect(round3?.state).toBe('CLOSED');
    expect(round3?.contributors).toBe(2);
    const failed = round3?.sites.find((s) => s.site === victim);
    expect(failed?.state).toBe('FAILED');
    expect(failed?.failureCode).toBe('COHORT_E_RUN_SITE_DISCONNECTED');
    // Killed, it missed the run's end and still holds its reservation; restarted, it is sent the end, frees the rest and acknowledges.
    const config = loadSiteConfig(join(dir, 'sites', victim, 'site.yaml'));
    const ledger = (): LedgerEntry[] => PrivacyLedger.open(privacyLedgerDir(config.dataDir), loadKeyFile(config.keyFile)).entries().filter((e) => e.runId === runId);
    expect(ledger().map((e) => e.event)).not.toContain('stop');
    c.startSite(victim);
    await waitForState({
      what: `${victim} to acknowledge the end of ${runId}`,
      read: async () => {
        const db = new Database(join(dir, 'coordinator-state', 'coordinator.sqlite'), { readonly: true });
        try {
          return (db.prepare('SELECT finish_acked_ms FROM run_sites WHERE run_id = ? AND site = ?').get(runId, victim) as { finish_acked_ms: number | null }).finish_acked_ms;
        } finally {
          db.close();
        }
      },
      done: (acked) => acked !== null,
      describe: (acked) => `finish_acked_ms ${acked}`,
    });
    const stop = ledger().at(-1);
    expect(stop?.event).toBe('stop');
    // The stop's reservation is what was spent: nothing more stays held for the run.
    expect(stop?.reservedEpsilon).toBe(stop?.epsilon);
    await c.waitForSites(3);
  }, TEST_TIMEOUT_MS);
});
