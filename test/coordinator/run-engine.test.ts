import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunEngine, type UpdateSource } from '../../coordinator/engine/run-engine.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { assertTransition, ROUND_TRANSITIONS, RUN_TRANSITIONS } from '../../coordinator/state/states.ts';
import { isCohortError, UpdateErrors, RunErrors } from '../../core/errors/index.ts';
import { plainDescriptor } from '../../core/update-codec/index.ts';
import { PlainUpdateEncoder } from '../../core/update-codec/plain-codec.ts';
import { consortiumMetrics, EVAL_VECTOR_LENGTH, evaluationVector, type ConsortiumMetrics } from '../../core/evaluation/summed-metrics.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { evaluationLayout, extendedMetrics } from '../../core/evaluation/evaluation-layout.ts';
import { survivalEvaluationVector } from '../../core/evaluation/survival-metrics.ts';
import { updateLayout } from '../../core/update-codec/update-layout.ts';
import { tinySpec } from '../support/tiny-spec.ts';

const spec = tinySpec();
const LENGTH = 3; // 2 parameters + the weight

function source(values: number[], trainLoss = 0.5): UpdateSource {
  const enc = new PlainUpdateEncoder(plainDescriptor(LENGTH));
  const chunks = [...enc.encode(Float64Array.from(values))];
  return { chunkCount: chunks.length, bytes: chunks.reduce((n, c) => n + c.byteLength, 0), trainLoss, readChunk: (i) => chunks[i] as Uint8Array };
}

function sumOf(engine: RunEngine, runId: string, round: number): number[] {
  const agg = engine.aggregateOf(runId, round);
  const out: number[] = [];
  for (const c of agg.chunks()) out.push(...new Float64Array(Uint8Array.from(c).buffer));
  return out;
}

/** A site's evaluation report: its evaluation vector of `scores` against `labels`, plain-encoded. */
function evaluation(hash: string, scores: number[], labels: number[], own?: { numExamples: number; loss: number; accuracy: number; auc: number }) {
  const enc = new PlainUpdateEncoder(plainDescriptor(EVAL_VECTOR_LENGTH));
  return { weightsSha256: hash, chunks: [...enc.encode(evaluationVector(scores, labels))], ...(own ? { own: { site: 'x', ...own } } : {}) };
}

const SOME = evaluation('a'.repeat(64), [0.9, 0.2], [1, 0]);

function evaluationSumOf(engine: RunEngine, runId: string, round: number): Float64Array {
  const agg = engine.evaluationSumOf(runId, round);
  const out: number[] = [];
  for (const c of agg.chunks()) out.push(...new Float64Array(Uint8Array.from(c).buffer));
  return Float64Array.from(out);
}

describe('RunEngine', () => {
  let dir: string;
  let store: StateStore;
  let now: number;
  let engine: RunEngine;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-engine-'));
    store = new StateStore(join(dir, 'state.sqlite'));
    now = 1_000_000;
    engine = new RunEngine(store, { siteGraceMs: 5_000, recruitTimeoutMs: 10_000, now: () => now });
    for (const s of ['site-a', 'site-b', 'site-c']) {
      engine.registerSite(s, '0.1.0', 'cpu');
      engine.presence.connected(s);
    }
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every site delivers and evaluates round `round`; returns the consortium metrics its evaluation sum decrypts to. */
  function evaluatedRound(runId: string, round: number): ConsortiumMetrics {
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, runId, round, source([1, 1, 1]));
    for (const s of ['site-a', 'site-b', 'site-c']) engine.reportEvaluation(s, runId, round, SOME);
    return consortiumMetrics(evaluationSumOf(engine, runId, round));
  }

  function startedRun(): string {
    const run = engine.submitRun({ spec, codec: plainDescriptor(LENGTH), submittedBy: 'alice' });
    for (const s of ['site-a', 'site-b', 'site-c']) engine.respondToRun(s, run.run_id, true, { reasonCode: '', reason: '', numExamples: 10, fingerprint: 'f' });
    return run.run_id;
  }

  it('starts a run when every invited site answered and enough accepted', () => {
    const runId = startedRun();
    expect(store.getRun(runId)?.state).toBe('RUNNING');
    expect(store.getRound(runId, 1)?.state).toBe('COLLECTING');
    expect(engine.pendingTasks('site-a').map((t) => t.kind)).toEqual(['TASK_KIND_TRAIN']);
  });

  it('fails a run that fewer sites accept than minSites, with the coded reason', () => {
    const run = engine.submitRun({ spec, codec: plainDescriptor(LENGTH), submittedBy: 'alice' });
    engine.respondToRun('site-a', run.run_id, true, { reasonCode: '', reason: '', numExamples: 10, fingerprint: 'f' });
    engine.respondToRun('site-b', run.run_id, false, { reasonCode: 'COHORT_E_SITE_COHORT_TOO_SMALL', reason: 'small', numExamples: 0, fingerprint: '' });
    engine.respondToRun('site-c', run.run_id, false, { reasonCode: 'COHORT_E_SITE_DATASET_UNKNOWN', reason: 'none', numExamples: 0, fingerprint: '' });
    const after = store.getRun(run.run_id);
    expect(after?.state).toBe('FAILED');
    expect(after?.error_code).toBe(RunErrors.NOT_ENOUGH_SITES.code);
  });

  it('sums the delivered updates exactly once per site and closes collection when all delivered', () => {
    const runId = startedRun();
    engine.commitUpdate('site-a', runId, 1, source([1, 2, 10]));
    engine.commitUpdate('site-b', runId, 1, source([3, 4, 20]));
    expect(store.getRound(runId, 1)?.state).toBe('COLLECTING');
    engine.commitUpdate('site-c', runId, 1, source([5, 6, 30]));
    expect(store.getRound(runId, 1)?.state).toBe('AGGREGATED');
    expect(store.getRound(runId, 1)?.contributors).toBe(3);
    expect(sumOf(engine, runId, 1)).toEqual([9, 12, 60]);
  });

  it('refuses a second update from the same site in one round without touching the sum', () => {
    const runId = startedRun();
    engine.commitUpdate('site-a', runId, 1, source([1, 2, 10]));
    let err: unknown;
    try {
      engine.commitUpdate('site-a', runId, 1, source([100, 100, 100]));
    } catch (e) {
      err = e;
    }
    expect(isCohortError(err, UpdateErrors.DUPLICATE)).toBe(true);
    expect([...new Float64Array(Uint8Array.from(store.getSum(runId, 1, 0) as Buffer).buffer)]).toEqual([1, 2, 10]);
  });

  it('refuses a replayed update for an earlier round', () => {
    const runId = startedRun();
    const metrics = evaluatedRound(runId, 1);
    for (const s of ['site-a', 'site-b', 'site-c']) engine.reportConsortiumMetrics(s, runId, 1, metrics);
    expect(store.getRun(runId)?.current_round).toBe(2);
    expect(() => engine.commitUpdate('site-a', runId, 1, source([1, 1, 1]))).toThrow(expect.objectContaining({ code: UpdateErrors.WRONG_ROUND.code }));
  });

  it('records a site that stays disconnected past the grace period as failed and closes with the others', () => {
    const runId = startedRun();
    engine.commitUpdate('site-a', runId, 1, source([1, 1, 1]));
    engine.commitUpdate('site-b', runId, 1, source([1, 1, 1]));
    engine.presence.disconnected('site-c', now);
    now += 5_001;
    engine.tick();
    const c = store.getRoundSite(runId, 1, 'site-c');
    expect(c?.state).toBe('FAILED');
    expect(c?.failure_code).toBe(RunErrors.SITE_DISCONNECTED.code);
    expect(store.getRound(runId, 1)?.state).toBe('AGGREGATED');
    expect(store.getRound(runId, 1)?.contributors).toBe(2);
  });

  it('fails the run with QUORUM_LOST when the deadline passes with too few updates', () => {
    const runId = startedRun();
    engine.commitUpdate('site-a', runId, 1, source([1, 1, 1]));
    now += 60_001;
    engine.tick();
    expect(store.getRoundSite(runId, 1, 'site-b')?.failure_code).toBe(RunErrors.ROUND_DEADLINE.code);
    expect(store.getRun(runId)?.state).toBe('FAILED');
    expect(store.getRun(runId)?.error_code).toBe(RunErrors.QUORUM_LOST.code);
  });

  it('stops the run when sites report different global weights', () => {
    const runId = startedRun();
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, runId, 1, source([1, 1, 1]));
    engine.reportEvaluation('site-a', runId, 1, SOME);
    engine.reportEvaluation('site-b', runId, 1, SOME);
    engine.reportEvaluation('site-c', runId, 1, { ...SOME, weightsSha256: 'b'.repeat(64) });
    expect(store.getRun(runId)?.state).toBe('FAILED');
    expect(store.getRun(runId)?.error_code).toBe(RunErrors.HASH_MISMATCH.code);
  });

  it('sums the evaluations, lets the sites decrypt them, and closes with the metrics they agree on', () => {
    const runId = startedRun();
    const scores = { 'site-a': [0.9, 0.4, 0.7], 'site-b': [0.1, 0.8], 'site-c': [0.3] };
    const labels = { 'site-a': [1, 0, 0], 'site-b': [0, 1], 'site-c': [1] };
    const sites = ['site-a', 'site-b', 'site-c'] as const;
    for (const round of [1, 2]) {
      for (const s of sites) engine.commitUpdate(s, runId, round, source([1, 1, 1]));
      // site-b shares its own metrics (its policy allows), the others do not.
      for (const s of sites) engine.reportEvaluation(s, runId, round, evaluation('c'.repeat(64), scores[s], labels[s], s === 'site-b' ? { numExamples: 2, loss: 0.16, accuracy: 1, auc: 1 } : undefined));
      expect(store.getRound(runId, round)?.state).toBe('SCORING');
      expect(engine.pendingTasks('site-a').map((t) => t.kind)).toEqual(['TASK_KIND_SCORE']);
      const sum = evaluationSumOf(engine, runId, round);
      expect(engine.evaluationSumOf(runId, round).contributors).toBe(3);
      const metrics = consortiumMetrics(sum);
      for (const s of sites) engine.reportConsortiumMetrics(s, runId, round, metrics);
    }
    const run = store.getRun(runId);
    expect(run?.state).toBe('COMPLETED');
    expect(run?.final_weights_sha256).toBe('c'.repeat(64));
    const m = JSON.parse(store.getRound(runId, 2)?.metrics_json ?? '{}') as ConsortiumMetrics;
    // Pooled by hand: 6 rows, 3 positives; correct at 0.5: 0.9(1) 0.4(0) 0.1(0) 0.8(1) = 4 of 6.
    expect(m.numExamples).toBe(6);
    expect(m.evaluators).toBe(3);
    expect(m.accuracy).toBe(4 / 6);
    // Positives 0.9, 0.8, 0.3 against negatives 0.4, 0.7, 0.1: 0.9 and 0.8 beat all three, 0.3 beats 0.1: 7 of 9 pairs.
    expect(m.auc).toBe(7 / 9);
    expect(m.aucResolution).toBe(0);
    const loss = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.3) + Math.log(0.9) + Math.log(0.8) + Math.log(0.3)) / 6;
    expect(m.loss).toBeCloseTo(loss, 12);
    // Only the sharing site's own metrics are on record.
    expect(store.roundSites(runId, 2).map((r) => [r.site, r.eval_json === null])).toEqual([['site-a', true], ['site-b', false], ['site-c', true]]);
  });

  it('takes a survival report (the C-index) only with a cox-ph run, and requires it there; stored and compared with the base metrics', () => {
    const binary = startedRun();
    const metrics = evaluatedRound(binary, 1);
    const survival = { cIndex: 0.75, meanCIndex: 0.7, comparablePairs: 8, events: 3, sitesWithPairs: 3 };
    expect(() => engine.reportConsortiumMetrics('site-a', binary, 1, { ...metrics, survival })).toThrow(expect.objectContaining({ code: RunErrors.INVALID_REQUEST.code }));

    const cox = parseSpec({ ...spec, label: { type: 'survival', time: 'T', event: 'E' }, model: { family: 'cox-ph' }, loss: undefined });
    const coxLength = updateLayout(cox).length;
    const run = engine.submitRun({ spec: cox, codec: plainDescriptor(coxLength), submittedBy: 'alice' });
    for (const s of ['site-a', 'site-b', 'site-c']) engine.respondToRun(s, run.run_id, true, { reasonCode: '', reason: '', numExamples: 10, fingerprint: 'f' });
    const update = new PlainUpdateEncoder(plainDescriptor(coxLength));
    const chunks = [...update.encode(Float64Array.from({ length: coxLength }, () => 1))];
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, run.run_id, 1, { chunkCount: 1, bytes: chunks[0]!.byteLength, trainLoss: 0.5, readChunk: () => chunks[0]! });
    const enc = new PlainUpdateEncoder(plainDescriptor(EVAL_VECTOR_LENGTH));
    // Risks 3 > 2 > 1 for times 1 < 2 < 3, all events: every pair concordant.
    for (const s of ['site-a', 'site-b', 'site-c']) engine.reportEvaluation(s, run.run_id, 1, { weightsSha256: 'a'.repeat(64), chunks: [...enc.encode(survivalEvaluationVector([3, 2, 1], [1, 2, 3], [1, 1, 1]))] });
    const { metrics: m } = extendedMetrics(evaluationLayout(cox), evaluationSumOf(engine, run.run_id, 1));
    expect(m).toEqual({ numExamples: 9, evaluators: 3, loss: Number.NaN, accuracy: Number.NaN, auc: 1, aucResolution: 0, survival: { cIndex: 1, meanCIndex: 1, comparablePairs: 9, events: 9, sitesWithPairs: 3 } });
    expect(() => engine.reportConsortiumMetrics('site-a', run.run_id, 1, { ...m, survival: undefined })).toThrow(expect.objectContaining({ code: RunErrors.INVALID_REQUEST.code }));
    for (const s of ['site-a', 'site-b', 'site-c']) engine.reportConsortiumMetrics(s, run.run_id, 1, m);
    expect(JSON.parse(store.getRound(run.run_id, 1)?.metrics_json ?? 'null')).toEqual({ numExamples: 9, evaluators: 3, loss: null, accuracy: null, auc: 1, aucResolution: 0, survival: { cIndex: 1, meanCIndex: 1, comparablePairs: 9, events: 9, sitesWithPairs: 3 } });
    expect(store.getRun(run.run_id)?.current_round).toBe(2);
  });

  it('fails the run when sites decrypt different consortium metrics', () => {
    const runId = startedRun();
    const metrics = evaluatedRound(runId, 1);
    engine.reportConsortiumMetrics('site-a', runId, 1, metrics);
    engine.reportConsortiumMetrics('site-b', runId, 1, metrics);
    engine.reportConsortiumMetrics('site-c', runId, 1, { ...metrics, accuracy: 0.99 });
    expect(store.getRun(runId)?.state).toBe('FAILED');
    expect(store.getRun(runId)?.error_code).toBe(RunErrors.METRICS_MISMATCH.code);
    expect(store.getRound(runId, 1)?.state).toBe('FAILED');
  });

  it('closes a round without consortium metrics when fewer than minSites evaluations came in', () => {
    const runId = startedRun();
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, runId, 1, source([1, 1, 1]));
    engine.reportEvaluation('site-a', runId, 1, SOME);
    engine.reportFailure('site-b', runId, 1, 'COHORT_E_SITE_TRAINING_FAILED', 'gone');
    engine.reportFailure('site-c', runId, 1, 'COHORT_E_SITE_TRAINING_FAILED', 'gone');
    expect(store.getRound(runId, 1)?.state).toBe('CLOSED');
    expect(store.getRound(runId, 1)?.metrics_json).toBeNull();
    expect(() => engine.evaluationSumOf(runId, 1)).toThrow(expect.objectContaining({ code: RunErrors.AGGREGATE_NOT_READY.code }));
    expect(store.getRun(runId)?.current_round).toBe(2);
  });

  it('opens no sum of two evaluations even at minSites 2 (each site would read the other\'s), and closes without metrics when no site reports in time', () => {
    const runId = startedRun();
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, runId, 1, source([1, 1, 1]));
    engine.reportEvaluation('site-a', runId, 1, SOME);
    engine.reportEvaluation('site-b', runId, 1, SOME);
    engine.reportFailure('site-c', runId, 1, 'COHORT_E_SITE_TRAINING_FAILED', 'gone');
    expect(store.getRound(runId, 1)).toMatchObject({ state: 'CLOSED', metrics_json: null });
    // Round 2: three evaluations, but no site reports before the deadline: the round still closes, the run goes on.
    evaluatedRound(runId, 2);
    expect(store.getRound(runId, 2)?.state).toBe('SCORING');
    now += 60_001;
    engine.tick();
    expect(store.roundSites(runId, 2).map((s) => s.score_state)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(store.getRound(runId, 2)).toMatchObject({ state: 'CLOSED', metrics_json: null });
    expect(store.getRun(runId)?.state).toBe('COMPLETED');
  });

  it('stops the run when a site refuses the summed evaluation (a coordinator fault or attack)', () => {
    const runId = startedRun();
    const metrics = evaluatedRound(runId, 1);
    engine.reportConsortiumMetrics('site-a', runId, 1, metrics);
    engine.reportConsortiumMetrics('site-b', runId, 1, metrics);
    engine.reportFailure('site-c', runId, 1, 'COHORT_E_SITE_EVALUATION_INVALID', 'the sum holds 2 evaluations, fewer than the 3 it needs');
    expect(store.getRun(runId)).toMatchObject({ state: 'FAILED', error_code: 'COHORT_E_SITE_EVALUATION_INVALID' });
    expect(store.getRun(runId)?.error).toBe('round 1: site-c refused the summed evaluation: the sum holds 2 evaluations, fewer than the 3 it needs');
    expect(store.getRound(runId, 1)?.state).toBe('FAILED');
  });

  it('refuses an evaluation whose chunks are not the run\'s evaluation codec, and adds nothing', () => {
    const runId = startedRun();
    for (const s of ['site-a', 'site-b', 'site-c']) engine.commitUpdate(s, runId, 1, source([1, 1, 1]));
    const short = { weightsSha256: 'a'.repeat(64), chunks: [new Uint8Array(16)] };
    expect(() => engine.reportEvaluation('site-a', runId, 1, short)).toThrow(expect.objectContaining({ code: UpdateErrors.CHUNK_SIZE.code }));
    expect(store.getSum(runId, 1, 0, 'evaluation')).toBeUndefined();
    expect(store.getRoundSite(runId, 1, 'site-a')?.eval_state).toBe('PENDING');
  });

  it('marks a site that does not report the consortium metrics in time as failed and closes with the others', () => {
    const runId = startedRun();
    const metrics = evaluatedRound(runId, 1);
    engine.reportConsortiumMetrics('site-a', runId, 1, metrics);
    engine.reportConsortiumMetrics('site-b', runId, 1, metrics);
    now += 60_001;
    engine.tick();
    expect(store.getRoundSite(runId, 1, 'site-c')?.score_state).toBe('FAILED');
    expect(store.getRoundSite(runId, 1, 'site-c')?.failure_code).toBe(RunErrors.ROUND_DEADLINE.code);
    expect(store.getRound(runId, 1)?.state).toBe('CLOSED');
    expect((JSON.parse(store.getRound(runId, 1)?.metrics_json ?? '{}') as ConsortiumMetrics).numExamples).toBe(6);
  });

  it('keeps a run\'s end pending for every invited site until that site acknowledges it, across a reopen', () => {
    const runId = startedRun();
    engine.cancelRun(runId, 'alice');
    const finish = { taskId: `${runId}:finish`, kind: 'TASK_KIND_FINISH', runId, runState: 'CANCELLED', message: 'run cancelled' };
    for (const s of ['site-a', 'site-b', 'site-c']) expect(engine.pendingTasks(s)).toEqual([expect.objectContaining({ ...finish, modelId: '' })]);
    // Beside a running run, the old end comes first and the current work is still there.
    const running = startedRun();
    expect(engine.pendingTasks('site-b').map((t) => [t.kind, t.runId])).toEqual([
      ['TASK_KIND_FINISH', runId],
      ['TASK_KIND_TRAIN', running],
    ]);
    engine.acknowledgeEnd('site-a', runId);
    engine.acknowledgeEnd('site-a', runId); // idempotent, and recorded once
    expect(store.db.prepare("SELECT COUNT(*) AS n FROM events WHERE action = 'run.end-acknowledged'").get()).toEqual({ n: 1 });
    store.close();
    store = new StateStore(join(dir, 'state.sqlite'));
    engine = new RunEngine(store, { siteGraceMs: 5_000, recruitTimeoutMs: 10_000, now: () => now });
    expect(engine.pendingTasks('site-a').map((t) => t.kind)).toEqual(['TASK_KIND_TRAIN']);
    expect(engine.pendingTasks('site-b')[0]).toEqual(expect.objectContaining(finish));
    // A running run's end cannot be acknowledged, nor one the site was never invited to.
    expect(() => engine.acknowledgeEnd('site-b', running)).toThrow(expect.objectContaining({ code: RunErrors.INVALID_REQUEST.code }));
    expect(() => engine.acknowledgeEnd('site-z', runId)).toThrow(expect.objectContaining({ code: RunErrors.INVALID_REQUEST.code }));
  });

  it('survives a reopen of the state file mid-round: delivered updates stay counted once', () => {
    const runId = startedRun();
    engine.commitUpdate('site-a', runId, 1, source([1, 2, 10]));
    store.close();
    store = new StateStore(join(dir, 'state.sqlite'));
    engine = new RunEngine(store, { siteGraceMs: 5_000, recruitTimeoutMs: 10_000, now: () => now });
    for (const s of ['site-a', 'site-b', 'site-c']) engine.presence.connected(s);
    expect(engine.pendingTasks('site-a')).toEqual([]);
    expect(engine.pendingTasks('site-b').map((t) => t.taskId)).toEqual([`${runId}:train:1`]);
    expect(() => engine.commitUpdate('site-a', runId, 1, source([1, 2, 10]))).toThrow(expect.objectContaining({ code: UpdateErrors.DUPLICATE.code }));
    engine.commitUpdate('site-b', runId, 1, source([3, 4, 20]));
    engine.commitUpdate('site-c', runId, 1, source([5, 6, 30]));
    expect(sumOf(engine, runId, 1)).toEqual([9, 12, 60]);
  });

  it('refuses to cancel a run that already ended', () => {
    const runId = startedRun();
    engine.cancelRun(runId, 'olga');
    expect(store.getRun(runId)?.state).toBe('CANCELLED');
    expect(store.getRound(runId, 1)?.state).toBe('FAILED');
    expect(() => engine.cancelRun(runId, 'olga')).toThrow(expect.objectContaining({ code: RunErrors.ALREADY_ENDED.code }));
  });
});

describe('state transitions', () => {
  it('allows only the listed transitions', () => {
    expect(() => assertTransition(RUN_TRANSITIONS, 'run', 'RECRUITING', 'RUNNING')).not.toThrow();
    expect(() => assertTransition(RUN_TRANSITIONS, 'run', 'COMPLETED', 'RUNNING')).toThrow('illegal run transition COMPLETED -> RUNNING');
    expect(() => assertTransition(ROUND_TRANSITIONS, 'round', 'CLOSED', 'COLLECTING')).toThrow('illegal round transition CLOSED -> COLLECTING');
  });
});
