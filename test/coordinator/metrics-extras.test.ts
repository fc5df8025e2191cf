/**
 * The coordinator's check of the fairness and explanation reports beside the consortium metrics
 * (coordinator/engine/metrics-extras.ts), through a real RunEngine on a real SQLite state file:
 * reports not laid out as the spec lays them out are refused (an empty `fairness: {}`, a group
 * the spec does not name, a reported group of 1 to 10 patients, a rate out of range); a
 * `survival` part is left to its own check; fairness is kept only from the final round (not in
 * an earlier round's stored metrics); the released record recomputes the differences from the
 * reported groups, and a final round with its metrics withheld releases a record that requires
 * review (before the fix: no record, and `fairness: {}` made the release throw).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunEngine } from '../../coordinator/engine/run-engine.ts';
import type { FairnessRecord } from '../../coordinator/registry/fairness-review.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { evaluationLayout, extendedMetrics, layoutVector, type ExtendedMetrics } from '../../core/evaluation/evaluation-layout.ts';
import { fairnessVector } from '../../core/evaluation/fairness-metrics.ts';
import { evaluationVector } from '../../core/evaluation/summed-metrics.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { PlainUpdateEncoder } from '../../core/update-codec/plain-codec.ts';
import { caughtSync } from '../support/caught.ts';
import { tinySpec } from '../support/tiny-spec.ts';

const spec = tinySpec({ fairness: { attributes: [{ name: 'sex', type: 'categorical', groups: ['F', 'M'] }] } });
const layout = evaluationLayout(spec);
const SITES = ['site-a', 'site-b', 'site-c'] as const;
const WEIGHTS = Buffer.from('final weights');
const HASH = createHash('sha256').update(WEIGHTS).digest('hex');
const LENGTH = 3;

/** One site's rows: 20 women all predicted right, 20 men with half the positives missed (TPR gap 0.5 pooled). */
function siteVector(): Float64Array {
  const s: number[] = [];
  const y: number[] = [];
  const g: number[] = [];
  for (const group of [0, 1]) {
    for (let i = 0; i < 20; i++) {
      const positive = i < 10;
      y.push(positive ? 1 : 0);
      s.push(positive && (group === 0 || i < 5) ? 0.9 : 0.1);
      g.push(group);
    }
  }
  const v = layoutVector(layout, evaluationVector(s, y));
  fairnessVector(layout.fairness, s, y, [g], v, layout.fairnessOffset);
  return v;
}

describe('the coordinator checks the evaluation extras against the spec', () => {
  let dir: string;
  let store: StateStore;
  let engine: RunEngine;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-extras-'));
    store = new StateStore(join(dir, 'state.sqlite'));
    engine = new RunEngine(store, { siteGraceMs: 5_000, recruitTimeoutMs: 10_000, now: () => 1_000_000 });
    for (const s of SITES) {
      engine.registerSite(s, '0.1.0', 'cpu');
      engine.presence.connected(s);
    }
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every site trains and evaluates `round`; returns the metrics the summed evaluation decrypts to. */
  function scoring(runId: string, round: number): ExtendedMetrics {
    const enc = new PlainUpdateEncoder(plainDescriptor(LENGTH));
    const update = [...enc.encode(Float64Array.from([1, 1, 1]))];
    for (const s of SITES) engine.commitUpdate(s, runId, round, { chunkCount: update.length, bytes: update.reduce((n, c) => n + c.byteLength, 0), trainLoss: 0.5, readChunk: (i) => update[i] as Uint8Array });
    const evalEnc = new PlainUpdateEncoder(plainDescriptor(layout.length));
    for (const s of SITES) engine.reportEvaluation(s, runId, round, { weightsSha256: HASH, chunks: [...evalEnc.encode(siteVector())] });
    const out: number[] = [];
    for (const c of engine.evaluationSumOf(runId, round).chunks()) out.push(...new Float64Array(Uint8Array.from(c).buffer));
    return extendedMetrics(layout, Float64Array.from(out)).metrics;
  }

  function startedRun(): string {
    const run = engine.submitRun({ spec, codec: plainDescriptor(LENGTH), submittedBy: 'alice' });
    for (const s of SITES) engine.respondToRun(s, run.run_id, true, { reasonCode: '', reason: '', numExamples: 40, fingerprint: 'f' });
    return run.run_id;
  }

  it('refuses reports not laid out as the spec lays them out, and a survival part outside a cox-ph run', () => {
    const runId = startedRun();
    const m = scoring(runId, 1);
    const f = m.fairness!;
    const refused = (bad: unknown): string => {
      const e = caughtSync(() => engine.reportConsortiumMetrics('site-a', runId, 1, bad as ExtendedMetrics));
      expect(e.code).toBe('COHORT_E_RUN_INVALID_REQUEST');
      return e.message;
    };
    expect(refused({ ...m, fairness: {} })).toMatch(/fairness and explanation reports/);
    expect(refused({ ...m, fairness: undefined })).toMatch(/the spec asks for a fairness report/);
    expect(refused({ ...m, fairness: { ...f, groups: [...f.groups, { ...f.groups[0]!, group: 'X' }] } })).toMatch(/every group of the spec must appear once/);
    expect(refused({ ...m, fairness: { ...f, groups: f.groups.map((g, i) => (i === 0 ? { ...g, n: 5 } : g)) } })).toMatch(/reported group has 1 to 10 patients/);
    expect(refused({ ...m, fairness: { ...f, groups: f.groups.map((g, i) => (i === 0 ? { ...g, tpr: 1.5 } : g)) } })).toMatch(/fairness and explanation reports/);
    expect(refused({ ...m, fairness: { ...f, attributes: ['race'] } })).toMatch(/attributes must be the spec's/);
    expect(refused({ ...m, explanations: null })).toMatch(/the spec asks for no global explanations/);
    // Complementary suppression checked at the coordinator: with F and M reported (60 each), a suppressed rest of 4 rows
    // would be those 4 patients by subtraction; a rest below zero is no possible report.
    const unrecorded = f.groups.find((g) => g.group === 'unrecorded')!;
    const restOf = (numExamples: number) => ({ ...m, numExamples, fairness: { ...f, groups: f.groups.filter((g) => g !== unrecorded), suppressed: [{ attribute: 'sex', group: 'unrecorded' }] } });
    expect(refused(restOf(124))).toMatch(/suppressed groups of fairness attribute "sex" hold 1 to 10 rows/);
    expect(refused(restOf(119))).toMatch(/suppressed groups of fairness attribute "sex" hold a negative number of rows/);
    // A survival report belongs to a cox-ph run only (fairness is refused beside a survival label).
    expect(refused({ ...m, survival: { cIndex: 0.7, meanCIndex: 0.7, comparablePairs: 10, events: 3, sitesWithPairs: 3 } })).toMatch(/survival report comes with a cox-ph run/);
    expect(store.getRoundSite(runId, 1, 'site-a')?.score_state).toBe('PENDING');
    engine.reportConsortiumMetrics('site-a', runId, 1, m);
    expect(store.getRoundSite(runId, 1, 'site-a')?.score_state).toBe('REPORTED');
  });

  it('keeps fairness from the final round only, and releases a record whose differences it recomputed', () => {
    const runId = startedRun();
    const first = scoring(runId, 1);
    expect(first.fairness?.groups.map((g) => [g.group, g.n])).toEqual([['F', 60], ['M', 60], ['unrecorded', 0]]);
    for (const s of SITES) engine.reportConsortiumMetrics(s, runId, 1, first);
    expect(JSON.parse(store.getRound(runId, 1)!.metrics_json!)).not.toHaveProperty('fairness');
    expect(JSON.parse(store.getRoundSite(runId, 1, 'site-a')!.score_json!)).not.toHaveProperty('fairness');
    expect(JSON.parse(store.getRound(runId, 1)!.metrics_json!)).toMatchObject({ numExamples: 120 });
    // Every site reports the same forged difference: the coordinator does not take it.
    const last = scoring(runId, 2);
    const forged = { ...last, fairness: { ...last.fairness!, equalizedOddsDifference: { sex: 0 }, demographicParityDifference: { sex: 0 } } };
    for (const s of SITES) engine.reportConsortiumMetrics(s, runId, 2, forged);
    expect(JSON.parse(store.getRound(runId, 2)!.metrics_json!)).toHaveProperty('fairness');
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
    const id = engine.releaseModel('site-a', runId, WEIGHTS);
    const record = JSON.parse(store.modelInfo(id)!.fairness_json!) as FairnessRecord;
    expect(record).toMatchObject({ equalizedOddsDifference: { sex: 0.5 }, demographicParityDifference: { sex: 0.25 }, reviewRequired: true, maxEqualizedOddsDifference: 0.1 });
  });

  it('releases a record that requires review when the final round\'s metrics were withheld', () => {
    const runId = startedRun();
    const first = scoring(runId, 1);
    for (const s of SITES) engine.reportConsortiumMetrics(s, runId, 1, first);
    scoring(runId, 2);
    for (const s of SITES) engine.reportFailure(s, runId, 2, 'COHORT_E_SITE_DISCONNECTED', 'gone');
    expect(store.getRound(runId, 2)?.metrics_json).toBeNull();
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
    const id = engine.releaseModel('site-b', runId, WEIGHTS);
    const record = JSON.parse(store.modelInfo(id)!.fairness_json!) as FairnessRecord;
    expect(record).toMatchObject({ withheld: true, reviewRequired: true, groups: [], equalizedOddsDifference: { sex: null } });
    expect(record.reviewReasons[0]).toMatch(/released no fairness report/);
  });
});
