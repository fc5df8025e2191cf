/**
 * The round engine: moves runs and rounds through their state machines. It orchestrates
 * (invite, collect, aggregate, evaluate, close) and never branches on the algorithm: the
 * strategy supplies the fit configuration and the metric aggregation, and the sites run
 * its server step. All state lives in the StateStore; this class holds only caches.
 */
import { EventEmitter } from 'node:events';
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { CohortError, GeneralErrors, RunErrors, SecureAggErrors, SiteErrors, UpdateErrors } from '../../core/errors/index.ts';
import { evaluationCodec, evaluationsNeeded, type ConsortiumMetrics } from '../../core/evaluation/summed-metrics.ts';
import { evaluationLayout, type ExtendedMetrics, type SurvivalReport } from '../../core/evaluation/evaluation-layout.ts';
import { SUPPRESS_AT_MOST } from '../../core/evaluation/fairness-metrics.ts';
import { fairnessRecord } from '../registry/fairness-review.ts';
import { extrasSchema } from './metrics-extras.ts';
import { strategyFromSpec, type SiteEvaluation, type Strategy } from '../../core/strategies/index.ts';
import { createChunkAdder, type ChunkAdder, type CodecDescriptor } from '../../core/update-codec/index.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import type { StateStore, RunRow, SumKind, MaskMessageKind } from '../state/store.ts';
import { assertTransition, ROUND_TRANSITIONS, RUN_TRANSITIONS, TERMINAL_RUN_STATES, type RoundState, type RunState } from '../state/states.ts';
import { finalCodec, type RunCodec } from '../../core/update-codec/codec-plan.ts';
import { isMaskedRun, maskedCohortRefusal, maskingOf, maskThreshold, MIN_MASK_COHORT, type PublishedUnmask } from '../../core/secure-agg/masked-run.ts';
import { rebuildSecrets, type PublicMaskKeys, type Release } from '../../core/secure-agg/masking/reconstruct.ts';
import { BfvChunkUnmasker } from '../../core/secure-agg/masking/unmasker.ts';
import { requestOfStored, signUnmaskRequest } from '../../core/secure-agg/masking/unmask-request.ts';
import { verifyMaskKeys } from '../../core/secure-agg/masking/protocol.ts';
import { verifyReceiptSignature, type ContributionReceipt } from '../../core/secure-agg/masking/receipts.ts';
import { loadSeal } from '../../core/secure-agg/seal-library.ts';
import type { BfvCodecDescriptor } from '../../core/update-codec/types.ts';
import { COHORT_VERSION } from '../../core/version.ts';
import { Presence } from './presence.ts';
import { finishTask, pendingTasksFor, type SiteTask } from './tasks.ts';

export interface EngineOptions {
  /** The consortium's name, bound into a masked round's published survivors (default 'cohort'). */
  consortium?: string;
  /** How long a site may stay disconnected during a round before it is recorded as failed. */
  siteGraceMs: number;
  /** How long a run waits for sites to answer its offer. */
  recruitTimeoutMs: number;
  now?: () => number;
  /** Whether a site registering now may be invited into a recruiting run submitted before (agreements before access); all may when absent. */
  mayInvite?: (site: string, runId: string) => boolean;
  /**
   * The coordinator's certificate and key (the ones that sign its audit checkpoints): sign each
   * masked round's unmask request (survivors and dropped), which sites verify before releasing
   * any share. Without it a masked round cannot be unmasked and its run fails.
   */
  unmaskSigner?: { readonly certPem: string; readonly keyPem: string | KeyObject };
  /**
   * The consortium CA and the CRL in force: the coordinator verifies each site's signed mask-key
   * advertisement (KEYING) and each masked upload's receipt against them as they arrive, and
   * refuses a bad one as its sender's failure. Absent (engine unit tests): neither is verified here.
   */
  verifier?: { readonly caPem: string; readonly isRevoked: (serial: string) => boolean };
}

export interface SubmitRunInput {
  spec: ModelSpec;
  codec: RunCodec;
  submittedBy: string;
  /** The sites to invite; every registered site when absent. */
  sites?: readonly string[];
}

/** Source of one site's validated update chunks, read in index order during the commit. */
export interface UpdateSource {
  chunkCount: number;
  bytes: number;
  trainLoss: number;
  readChunk(index: number): Uint8Array;
  /** Masked rounds: the sender's signed receipt (receipts.ts), checked against these chunks. */
  receiptJson?: string;
}

export interface EngineEvents {
  /** A site's pending tasks may have changed. */
  tasks: [site: string];
  /** A task to push to one site that is not derivable from state (run finished). */
  push: [site: string, task: SiteTask];
  /** A run's status changed. */
  run: [runId: string];
}

/** Summed chunks as the coordinator streams them back. */
export interface SummedChunks {
  chunks: () => Iterable<Buffer>;
  chunkCount: number;
  contributors: number;
  /** Masked rounds: the signed receipts of the survivors (a JSON array), sent with the first chunk. */
  receiptsJson?: string;
}

/** One site's evaluation report, as the engine takes it. */
export interface EvaluationInput {
  readonly weightsSha256: string;
  /** The site's evaluation vector under the run's evaluation codec. */
  readonly chunks: readonly Uint8Array[];
  /** The site's own metrics, only when its release policy lets them go. */
  readonly own?: SiteEvaluation;
  readonly privacyJson?: string;
}

type RoundSite = ReturnType<StateStore['roundSites']>[number];

/** What each open round state waits for from a site, and how a site that does not answer is marked. */
const STAGES: Partial<Record<RoundState, { what: string; pending: (s: RoundSite) => boolean; failed: Partial<RoundSite> }>> = {
  KEYING: { what: 'round mask keys', pending: (s) => s.mask_state === 'PENDING', failed: { mask_state: 'FAILED' } },
  SHARING: { what: 'sealed mask shares', pending: (s) => s.mask_state === 'PENDING', failed: { mask_state: 'FAILED' } },
  COLLECTING: { what: 'update', pending: (s) => s.state === 'PENDING', failed: { state: 'FAILED' } },
  UNMASKING: { what: 'released mask shares', pending: (s) => s.mask_state === 'PENDING', failed: { mask_state: 'FAILED' } },
  AGGREGATED: { what: 'evaluation', pending: (s) => s.eval_state === 'PENDING', failed: { eval_state: 'FAILED' } },
  SCORING: { what: 'report of the consortium metrics', pending: (s) => s.score_state === 'PENDING', failed: { score_state: 'FAILED' } },
};

/**
 * Metrics as stored and compared: JSON with NaN written as null, so equal numbers give equal
 * text; the fairness and explanation extras (when the spec asks) after the base metrics.
 */
function metricsJson(m: ExtendedMetrics): string {
  const extras = {
    ...(m.survival !== undefined ? { survival: survivalJson(m.survival) } : {}),
    ...(m.fairness !== undefined ? { fairness: m.fairness } : {}),
    ...(m.explanations !== undefined ? { explanations: m.explanations } : {}),
    ...(m.explanationsUnavailable !== undefined ? { explanationsUnavailable: m.explanationsUnavailable } : {}),
  };
  return JSON.stringify({ numExamples: m.numExamples, evaluators: m.evaluators, loss: m.loss, accuracy: m.accuracy, auc: m.auc, aucResolution: m.aucResolution, ...extras });
}

/** A survival report in a fixed key order with numbers only (NaN as null), so that equal reports give equal text. */
function survivalJson(r: SurvivalReport): SurvivalReport {
  const num = (x: unknown): number => (typeof x === 'number' ? x : Number.NaN);
  return { cIndex: num(r.cIndex), meanCIndex: num(r.meanCIndex), comparablePairs: num(r.comparablePairs), events: num(r.events), sitesWithPairs: num(r.sitesWithPairs) };
}

/**
 * The base metrics of a stored round (its fairness and explanations go to their own columns at
 * release); a cox-ph run's survival report (the C-index) stays with them.
 */
function baseMetrics(m: ExtendedMetrics): ConsortiumMetrics & { survival?: SurvivalReport } {
  return { numExamples: m.numExamples, evaluators: m.evaluators, loss: m.loss, accuracy: m.accuracy, auc: m.auc, aucResolution: m.aucResolution, ...(m.survival ? { survival: m.survival } : {}) };
}

export class RunEngine extends EventEmitter<EngineEvents> {
  readonly presence: Presence;
  private readonly now: () => number;
  /** Per run: the adder of its updates and the adder of its evaluation vectors. */
  private readonly adders = new Map<string, Record<SumKind, ChunkAdder>>();
  private readonly strategies = new Map<string, Strategy>();
  /** Unmasking jobs in flight, by run and round (the work is async; its result commits in one transaction). */
  private readonly unmasking = new Set<string>();

  constructor(
    readonly store: StateStore,
    private readonly options: EngineOptions,
  ) {
    super();
    // One task-stream listener per connected site and one per watcher: no fixed cap applies.
    this.setMaxListeners(0);
    this.now = options.now ?? Date.now;
    this.presence = new Presence(this.now());
  }

  // ---- runs -------------------------------------------------------------------------

  submitRun(input: SubmitRunInput): RunRow {
    // An encrypted run masks unless its spec opts out, and a masked run needs minSites >= 3 (masked-run.ts).
    if (input.codec.kind === 'bfv-pending' || input.codec.kind === 'bfv') {
      const refused = maskedCohortRefusal(input.spec);
      if (refused) throw refused;
    }
    const now = this.now();
    const specJson = JSON.stringify(input.spec);
    const run: RunRow = {
      run_id: `run-${randomUUID().slice(0, 8)}`,
      name: input.spec.name,
      state: 'RECRUITING',
      spec_json: specJson,
      spec_sha256: createHash('sha256').update(specJson).digest('hex'),
      codec_json: JSON.stringify(input.codec),
      strategy: input.spec.strategy.name,
      rounds: input.spec.rounds,
      min_sites: input.spec.minSites,
      round_timeout_ms: input.spec.roundTimeoutSeconds * 1000,
      current_round: 0,
      submitted_by: input.submittedBy,
      recruit_deadline_ms: now + this.options.recruitTimeoutMs,
      error_code: null,
      error: null,
      final_weights_sha256: null,
      created_at_ms: now,
      updated_at_ms: now,
    };
    const sites = input.sites ?? this.store.sites().map((s) => s.site);
    this.store.tx(() => {
      this.store.insertRun(run);
      for (const site of sites) this.invite(run.run_id, site, now);
      this.store.appendEvent(input.submittedBy, 'run.submit', run.run_id, { specSha256: run.spec_sha256, codec: input.codec.kind }, now);
    });
    for (const site of sites) this.emit('tasks', site);
    this.emit('run', run.run_id);
    return run;
  }

  getRunOrThrow(runId: string): RunRow {
    const run = this.store.getRun(runId);
    if (!run) throw new CohortError(RunErrors.NOT_FOUND, `no run with id "${runId}"`, { details: { runId } });
    return run;
  }

  cancelRun(runId: string, by: string): RunRow {
    const run = this.getRunOrThrow(runId);
    if (TERMINAL_RUN_STATES.includes(run.state)) {
      throw new CohortError(RunErrors.ALREADY_ENDED, `run ${runId} is already ${run.state}`, { details: { runId, state: run.state } });
    }
    this.endRun(run, 'CANCELLED', null, `cancelled by ${by}`);
    return this.getRunOrThrow(runId);
  }

  private invite(runId: string, site: string, now: number): void {
    this.store.upsertRunSite({ run_id: runId, site, state: 'INVITED', reason_code: null, reason: null, num_examples: 0, dataset_fingerprint: null, updated_at_ms: now });
  }

  private setRunState(run: RunRow, to: RunState, fields: Partial<RunRow> = {}): void {
    assertTransition(RUN_TRANSITIONS, 'run', run.state, to);
    this.store.updateRun(run.run_id, { ...fields, state: to }, this.now());
  }

  private endRun(run: RunRow, to: RunState, errorCode: string | null, message: string): void {
    this.store.tx(() => this.endRunRows(run, to, errorCode, message))();
  }

  /**
   * The rows of a run's end, inside the caller's transaction; returns what to do once it has
   * committed (free the adders, tell the sites).
   */
  private endRunRows(run: RunRow, to: RunState, errorCode: string | null, message: string): () => void {
    const now = this.now();
    const participants = this.store.runSites(run.run_id).map((s) => s.site);
    this.setRunState(run, to, { error_code: errorCode, error: errorCode ? message : null });
    const round = this.store.getRound(run.run_id, run.current_round);
    // An open round (one with a stage still waiting on sites) fails with the run.
    if (round && STAGES[round.state]) this.setRoundState(run.run_id, round.round, round.state, 'FAILED');
    this.store.appendEvent('coordinator', `run.${to.toLowerCase()}`, run.run_id, { errorCode, message }, now);
    return () => {
      this.disposeAdders(run.run_id);
      for (const site of participants) this.emit('push', site, finishTask(run.run_id, to, message));
      this.emit('run', run.run_id);
    };
  }

  // ---- sites ------------------------------------------------------------------------

  registerSite(site: string, agentVersion: string, backend: string): void {
    const now = this.now();
    const joining = this.store.runsInState('RECRUITING').filter((run) => !this.store.getRunSite(run.run_id, site) && (this.options.mayInvite?.(site, run.run_id) ?? true));
    this.store.tx(() => {
      this.store.upsertSite(site, agentVersion, backend, now);
      for (const run of joining) this.invite(run.run_id, site, now);
      this.store.appendEvent(site, 'site.register', null, { agentVersion, backend }, now);
    });
    this.emit('tasks', site);
  }

  heartbeat(site: string): void {
    this.store.touchSite(site, this.now());
  }

  respondToRun(site: string, runId: string, accept: boolean, detail: { reasonCode: string; reason: string; numExamples: number; fingerprint: string; plannedJson?: string }): void {
    const run = this.getRunOrThrow(runId);
    const membership = this.store.getRunSite(runId, site);
    if (!membership) throw new CohortError(RunErrors.INVALID_REQUEST, `site ${site} was not invited to run ${runId}`);
    if (run.state !== 'RECRUITING' || membership.state !== 'INVITED') return; // late or repeated answer: idempotent
    // 0 is a withheld count (the site's release policy); an accepting site never has 0 rows.
    if (accept && !(Number.isSafeInteger(detail.numExamples) && detail.numExamples >= 0)) {
      throw new CohortError(RunErrors.INVALID_REQUEST, 'an accepting site must report num_examples as an integer >= 0 (0: withheld)', { details: { field: 'num_examples' } });
    }
    const now = this.now();
    this.store.tx(() => {
      this.store.upsertRunSite({
        run_id: runId,
        site,
        state: accept ? 'ACCEPTED' : 'DECLINED',
        reason_code: accept ? null : detail.reasonCode,
        reason: accept ? null : detail.reason,
        num_examples: accept ? detail.numExamples : 0,
        dataset_fingerprint: accept ? detail.fingerprint : null,
        updated_at_ms: now,
      });
      if (accept && detail.plannedJson) this.store.setRunSitePrivacy(runId, site, { planned_json: detail.plannedJson });
      this.store.appendEvent(site, accept ? 'run.accept' : 'run.decline', runId, { reasonCode: detail.reasonCode }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  /** The site has handled the end of a run it was invited to: its FINISH task is no longer pending. Idempotent. */
  acknowledgeEnd(site: string, runId: string): void {
    const run = this.getRunOrThrow(runId);
    if (!TERMINAL_RUN_STATES.includes(run.state)) {
      throw new CohortError(RunErrors.INVALID_REQUEST, `run ${runId} is ${run.state}; only an ended run's end can be acknowledged`, { details: { runId, state: run.state } });
    }
    if (!this.store.getRunSite(runId, site)) throw new CohortError(RunErrors.INVALID_REQUEST, `site ${site} was not invited to run ${runId}`);
    const now = this.now();
    this.store.tx(() => {
      // Recorded once: a repeated acknowledgement adds nothing to the event log.
      if (this.store.acknowledgeEnd(runId, site, now)) this.store.appendEvent(site, 'run.end-acknowledged', runId, {}, now);
    });
  }

  pendingTasks(site: string): SiteTask[] {
    return pendingTasksFor(this.store, site, (runId, round) => JSON.stringify(this.strategyOf(runId).configureFit(round)));
  }

  // ---- rounds -----------------------------------------------------------------------

  private setRoundState(runId: string, round: number, from: RoundState, to: RoundState, fields: Record<string, unknown> = {}): void {
    assertTransition(ROUND_TRANSITIONS, 'round', from, to);
    this.store.updateRound(runId, round, { ...fields, state: to });
  }

  /**
   * Opens `round`, inside the caller's transaction (the one that moved the run to RUNNING or
   * closed the previous round: no crash can leave a running run between rounds); returns what
   * to do once it has committed (tell the participants).
   */
  private openRound(run: RunRow, round: number): () => void {
    const now = this.now();
    const participants = this.store.runSites(run.run_id).filter((s) => s.state === 'ACCEPTED').map((s) => s.site);
    const masked = this.isMasked(run);
    // A masked round first collects the sites' signed round mask keys (KEYING).
    this.store.insertRound({ run_id: run.run_id, round, state: masked ? 'KEYING' : 'COLLECTING', opened_at_ms: now, deadline_ms: now + run.round_timeout_ms, closed_at_ms: null, contributors: 0, metrics_json: null });
    for (const site of participants) {
      this.store.insertRoundSite({ run_id: run.run_id, round, site, state: 'PENDING', updated_at_ms: now });
      if (masked) this.store.updateRoundSite(run.run_id, round, site, { mask_state: 'PENDING' });
    }
    this.store.updateRun(run.run_id, { current_round: round }, now);
    this.store.appendEvent('coordinator', 'round.open', run.run_id, { round, participants, masked }, now);
    return () => {
      for (const site of participants) this.emit('tasks', site);
      this.emit('run', run.run_id);
    };
  }

  /** Whether the run masks its updates (a BFV run of 3+ accepted sites whose spec does not opt out; core/secure-agg/masked-run.ts). */
  isMasked(run: RunRow): boolean {
    return isMaskedRun(JSON.parse(run.spec_json) as ModelSpec, JSON.parse(run.codec_json) as { kind: string; maxSummands?: number });
  }

  /** The adder of a running run's updates, or (`evaluation`) of its evaluation vectors, whose codec derives from the run's. */
  adderOf(run: RunRow, kind: SumKind = 'update'): ChunkAdder {
    let adders = this.adders.get(run.run_id);
    if (!adders) {
      const codec = JSON.parse(run.codec_json) as CodecDescriptor;
      const update = createChunkAdder(codec);
      try {
        adders = { update, evaluation: createChunkAdder(evaluationCodec(codec, evaluationLayout(JSON.parse(run.spec_json) as ModelSpec).length)) };
      } catch (e) {
        update.dispose();
        throw e;
      }
      this.adders.set(run.run_id, adders);
    }
    return adders[kind];
  }

  private disposeAdders(runId: string): void {
    const adders = this.adders.get(runId);
    adders?.update.dispose();
    adders?.evaluation.dispose();
    this.adders.delete(runId);
  }

  strategyOf(runId: string): Strategy {
    let s = this.strategies.get(runId);
    if (!s) {
      const spec = JSON.parse(this.getRunOrThrow(runId).spec_json) as ModelSpec;
      s = strategyFromSpec(spec.strategy);
      this.strategies.set(runId, s);
    }
    return s;
  }

  /** Checks that `site` may upload for (runId, round) now; throws the coded refusal otherwise. */
  checkUploadAllowed(site: string, runId: string, round: number): RunRow {
    const run = this.getRunOrThrow(runId);
    const rs = this.store.getRoundSite(runId, round, site);
    const r = this.store.getRound(runId, round);
    if (run.state !== 'RUNNING' || !r || r.state !== 'COLLECTING' || round !== run.current_round) {
      throw new CohortError(UpdateErrors.WRONG_ROUND, `round ${round} of run ${runId} is not collecting updates (current round ${run.current_round}, run ${run.state})`, {
        details: { runId, round, currentRound: run.current_round },
      });
    }
    if (!rs) throw new CohortError(UpdateErrors.NOT_PARTICIPANT, `site ${site} is not a participant of round ${round} of run ${runId}`);
    if (rs.state === 'DELIVERED') throw new CohortError(UpdateErrors.DUPLICATE, `site ${site} already delivered its update for round ${round} of run ${runId}`);
    if (rs.state === 'FAILED') {
      throw new CohortError(UpdateErrors.NOT_PARTICIPANT, `site ${site} was recorded as failed in round ${round} (${rs.failure_code ?? 'unknown'}); its update is not counted`);
    }
    return run;
  }

  /**
   * Folds one site's complete, validated update into the round's running sums and marks the
   * site delivered, in one transaction: after a crash either both happened or neither did.
   */
  commitUpdate(site: string, runId: string, round: number, source: UpdateSource): void {
    const now = this.now();
    this.store.tx(() => {
      const run = this.checkUploadAllowed(site, runId, round);
      const masked = this.isMasked(run);
      if (masked && source.receiptJson === undefined) {
        throw new CohortError(SecureAggErrors.RECEIPT_INVALID, `round ${round} of run ${runId} is masked: an upload must carry its signed receipt`, { details: { runId, round } });
      }
      if (masked && source.receiptJson !== undefined) this.store.putMaskMessage(runId, round, 'receipt', site, '', source.receiptJson);
      const adder = this.adderOf(run);
      for (let i = 0; i < adder.chunkCount; i++) {
        const sum = adder.add(this.store.getSum(runId, round, i), source.readChunk(i), i);
        this.store.putSum(runId, round, i, sum);
      }
      this.store.updateRoundSite(runId, round, site, { state: 'DELIVERED', chunks: source.chunkCount, bytes: source.bytes, train_loss: source.trainLoss, updated_at_ms: now });
      this.store.appendEvent(site, 'update.commit', runId, { round, chunks: source.chunkCount, bytes: source.bytes }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  /** The summed chunks of a round whose collection has closed. */
  aggregateOf(runId: string, round: number): SummedChunks {
    const r = this.store.getRound(runId, round);
    const masked = this.isMasked(this.getRunOrThrow(runId));
    if (!r || ['KEYING', 'SHARING', 'COLLECTING', 'UNMASKING'].includes(r.state) || (r.state === 'FAILED' && (r.contributors === 0 || masked))) {
      throw new CohortError(RunErrors.AGGREGATE_NOT_READY, `the aggregate of round ${round} of run ${runId} is not available (${r?.state ?? 'no such round'})`);
    }
    const summed = this.summed(runId, round, 'update', r.contributors);
    if (!masked) return summed;
    // The survivors' signed receipts: every site checks them before it decrypts.
    const survivors = new Set(this.store.roundSites(runId, round).filter((s) => s.state === 'DELIVERED').map((s) => s.site));
    const receipts = this.store.maskMessages(runId, round, 'receipt').filter((m) => survivors.has(m.from_site)).map((m) => JSON.parse(m.json) as unknown);
    return { ...summed, receiptsJson: JSON.stringify(receipts) };
  }

  /**
   * The summed evaluation vectors of a round whose evaluations are all in (SCORING, or CLOSED
   * with consortium metrics). `contributors` is the number of evaluations summed.
   */
  evaluationSumOf(runId: string, round: number): SummedChunks {
    const r = this.store.getRound(runId, round);
    if (!r || !(r.state === 'SCORING' || (r.state === 'CLOSED' && r.metrics_json !== null))) {
      throw new CohortError(RunErrors.AGGREGATE_NOT_READY, `the summed evaluation of round ${round} of run ${runId} is not available (${r?.state ?? 'no such round'})`);
    }
    const evaluators = this.store.roundSites(runId, round).filter((s) => s.eval_state === 'EVALUATED').length;
    return this.summed(runId, round, 'evaluation', evaluators);
  }

  private summed(runId: string, round: number, kind: SumKind, contributors: number): SummedChunks {
    const chunkCount = this.adderOf(this.getRunOrThrow(runId), kind).chunkCount;
    const store = this.store;
    return {
      chunkCount,
      contributors,
      *chunks() {
        for (let i = 0; i < chunkCount; i++) {
          const c = store.getSum(runId, round, i, kind);
          if (!c) throw new CohortError(RunErrors.AGGREGATE_NOT_READY, `${kind} chunk ${i} of round ${round} is missing`);
          yield c;
        }
      },
    };
  }

  /**
   * A site's evaluation of round `round`'s model: the hash of the weights it now holds, its
   * evaluation vector under the run's codec (added into the round's evaluation sum in the same
   * transaction that marks it evaluated), and its own metrics only if its policy lets them go.
   */
  reportEvaluation(site: string, runId: string, round: number, report: EvaluationInput): void {
    const run = this.getRunOrThrow(runId);
    const r = this.store.getRound(runId, round);
    const rs = this.store.getRoundSite(runId, round, site);
    if (!r || !rs || run.state !== 'RUNNING' || r.state !== 'AGGREGATED' || rs.eval_state !== 'PENDING') return; // late or repeated: idempotent
    if (!/^[0-9a-f]{64}$/.test(report.weightsSha256)) throw new CohortError(RunErrors.INVALID_REQUEST, 'weights_sha256 must be 64 hex characters');
    const adder = this.adderOf(run, 'evaluation');
    if (report.chunks.length !== adder.chunkCount) {
      throw new CohortError(UpdateErrors.TRUNCATED, `an evaluation has ${adder.chunkCount} chunk(s) under this run's codec, the report holds ${report.chunks.length}`, {
        details: { chunks: report.chunks.length, expected: adder.chunkCount },
      });
    }
    // Every chunk is checked before any is added: a bad one changes nothing.
    report.chunks.forEach((c, i) => adder.validate(c, i));
    const now = this.now();
    this.store.tx(() => {
      for (const [i, chunk] of report.chunks.entries()) this.store.putSum(runId, round, i, adder.add(this.store.getSum(runId, round, i, 'evaluation'), chunk, i), 'evaluation');
      this.store.updateRoundSite(runId, round, site, {
        eval_state: 'EVALUATED',
        weights_sha256: report.weightsSha256,
        eval_json: report.own ? JSON.stringify(report.own) : null,
        updated_at_ms: now,
      });
      if (report.privacyJson) this.store.setRunSitePrivacy(runId, site, { privacy_json: report.privacyJson });
      this.store.appendEvent(site, 'round.evaluation', runId, { round }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  /**
   * The consortium metrics a site decrypted from the round's summed evaluation. Recorded per
   * site; the round closes with them only if every reporting site gives the same numbers.
   */
  reportConsortiumMetrics(site: string, runId: string, round: number, metrics: ExtendedMetrics): void {
    const run = this.getRunOrThrow(runId);
    const r = this.store.getRound(runId, round);
    const rs = this.store.getRoundSite(runId, round, site);
    if (!r || !rs || run.state !== 'RUNNING' || r.state !== 'SCORING' || rs.score_state !== 'PENDING') return; // late or repeated: idempotent
    const counts = [metrics.numExamples, metrics.evaluators];
    const rates = [metrics.loss, metrics.accuracy, metrics.auc, metrics.aucResolution];
    if (!counts.every((x) => Number.isSafeInteger(x) && x >= 0) || !rates.every((x) => Number.isFinite(x) || Number.isNaN(x))) {
      throw new CohortError(RunErrors.INVALID_REQUEST, 'consortium metrics: counts must be non-negative integers and rates finite or NaN', { details: { field: 'metrics' } });
    }
    // The extras the spec asks for, and only those, laid out as the spec lays them out (metrics-extras.ts): every site decrypts the same sum, so they compare as the base metrics do.
    const layout = evaluationLayout(JSON.parse(run.spec_json) as ModelSpec);
    if ((metrics.survival !== undefined) !== layout.survival) {
      throw new CohortError(RunErrors.INVALID_REQUEST, 'consortium metrics: a survival report comes with a cox-ph run, and only with one', { details: { field: 'extras' } });
    }
    const baseKeys = new Set(Object.keys(baseMetrics(metrics)));
    const extras = extrasSchema(layout).safeParse(Object.fromEntries(Object.entries(metrics).filter(([k, v]) => !baseKeys.has(k) && v !== undefined)));
    if (!extras.success) {
      throw new CohortError(RunErrors.INVALID_REQUEST, `consortium metrics: the fairness and explanation reports must be those the run's spec asks for (${extras.error.issues.map((i) => i.message).join('; ')})`, { details: { field: 'extras' } });
    }
    // Complementary suppression (fairness-metrics.ts suppressedGroups), checked rather than trusted: what the reported
    // groups leave of the consortium's rows is an attribute's suppressed set, which must be empty or more than SUPPRESS_AT_MOST.
    for (const attribute of metrics.fairness?.attributes ?? []) {
      const rest = metrics.numExamples - (metrics.fairness?.groups ?? []).filter((g) => g.attribute === attribute).reduce((n, g) => n + g.n, 0);
      if (rest < 0 || (rest >= 1 && rest <= SUPPRESS_AT_MOST)) {
        throw new CohortError(RunErrors.INVALID_REQUEST, `consortium metrics: the suppressed groups of fairness attribute "${attribute}" hold ${rest < 0 ? 'a negative number of' : `1 to ${SUPPRESS_AT_MOST}`} rows by subtraction from the consortium's`, { details: { field: 'extras' } });
      }
    }
    // Fairness is kept and released from the final round only: group sizes of two rounds whose evaluator sets differ would give one site's group sizes by subtraction (docs/fairness.md).
    const kept: ExtendedMetrics = round >= run.rounds ? metrics : { ...metrics, fairness: undefined };
    const now = this.now();
    this.store.tx(() => {
      this.store.updateRoundSite(runId, round, site, { score_state: 'REPORTED', score_json: metricsJson(kept), updated_at_ms: now });
      this.store.appendEvent(site, 'round.metrics', runId, { round }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  /** A site's failure in the current stage of a round: as the site reports it, or (`recordedBy` 'coordinator') as the coordinator charges it. */
  reportFailure(site: string, runId: string, round: number, code: string, message: string, recordedBy = site): void {
    const run = this.store.getRun(runId);
    if (!run) return;
    const now = this.now();
    if (run.state === 'RECRUITING') {
      this.respondToRun(site, runId, false, { reasonCode: code, reason: message, numExamples: 0, fingerprint: '' });
      return;
    }
    const rs = this.store.getRoundSite(runId, round, site);
    const r = this.store.getRound(runId, round);
    if (!rs || !r) return;
    const stage = STAGES[r.state];
    this.store.tx(() => {
      if (stage?.pending(rs)) this.store.updateRoundSite(runId, round, site, { ...stage.failed, failure_code: code, failure: message, updated_at_ms: now });
      this.store.appendEvent(recordedBy, 'site.failure', runId, recordedBy === site ? { round, code } : { round, site, code }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  // ---- the clock --------------------------------------------------------------------

  /** Advances every active run as far as its state allows. Called on every change and periodically. */
  tick(): void {
    for (const run of this.store.runsInState('RECRUITING', 'RUNNING')) {
      try {
        if (run.state === 'RECRUITING') this.advanceRecruiting(run);
        else this.advanceRound(run);
      } catch (e) {
        this.endRun(this.getRunOrThrow(run.run_id), 'FAILED', GeneralErrors.INTERNAL.code, `engine error: ${(e as Error).message}`);
      }
    }
  }

  private advanceRecruiting(run: RunRow): void {
    const sites = this.store.runSites(run.run_id);
    const accepted = sites.filter((s) => s.state === 'ACCEPTED').length;
    const waiting = sites.filter((s) => s.state === 'INVITED').length;
    const expired = this.now() >= run.recruit_deadline_ms;
    if (waiting > 0 && !expired) return;
    if (accepted >= run.min_sites) {
      let codec: CodecDescriptor;
      try {
        codec = finalCodec(JSON.parse(run.spec_json) as ModelSpec, JSON.parse(run.codec_json) as RunCodec, sites.filter((s) => s.state === 'ACCEPTED'));
      } catch (e) {
        if (!(e instanceof CohortError)) throw e;
        this.endRun(run, 'FAILED', e.code, e.message);
        return;
      }
      // RUNNING and its first round in one transaction: a crash leaves the run recruiting or running round 1.
      this.store.tx(() => {
        this.setRunState(run, 'RUNNING', { codec_json: JSON.stringify(codec) });
        // Whether the run masks follows from its spec and codec kind alone (masked-run.ts isMaskedRun); recorded here.
        const spec = JSON.parse(run.spec_json) as ModelSpec;
        const masking = isMaskedRun(spec, codec) ? maskingOf(spec) : undefined;
        this.store.appendEvent('coordinator', 'run.codec', run.run_id, { codec, masked: masking !== undefined, ...(masking === undefined ? {} : { masking }) }, this.now());
        // Sites that never answered are no longer invited.
        for (const s of sites.filter((x) => x.state === 'INVITED')) {
          this.store.upsertRunSite({ ...s, state: 'DECLINED', reason_code: RunErrors.ROUND_DEADLINE.code, reason: 'did not answer the offer in time', updated_at_ms: this.now() });
        }
        return this.openRound(this.getRunOrThrow(run.run_id), 1);
      })();
    } else {
      this.endRun(run, 'FAILED', RunErrors.NOT_ENOUGH_SITES.code, `${accepted} of ${sites.length} sites accepted; the run needs ${run.min_sites}`);
    }
  }

  private advanceRound(run: RunRow): void {
    const now = this.now();
    const round = this.store.getRound(run.run_id, run.current_round);
    if (!round || round.state === 'CLOSED') {
      this.repairBetweenRounds(run, round?.round ?? 0);
      return;
    }
    const sites = this.store.roundSites(run.run_id, round.round);
    const pastDeadline = now >= round.deadline_ms;
    // Failures are data: late and disconnected sites are recorded, the round goes on.
    const stage = STAGES[round.state];
    this.store.tx(() => {
      for (const s of sites) {
        if (!stage?.pending(s)) continue;
        let failure: { code: string; message: string } | undefined;
        if (pastDeadline) failure = { code: RunErrors.ROUND_DEADLINE.code, message: `no ${stage.what} before the round deadline` };
        else if (this.presence.awayFor(s.site, now) > this.options.siteGraceMs) {
          failure = { code: RunErrors.SITE_DISCONNECTED.code, message: `disconnected for more than ${this.options.siteGraceMs} ms` };
        }
        if (!failure) continue;
        const field = stage.failed;
        this.store.updateRoundSite(run.run_id, round.round, s.site, { ...field, failure_code: failure.code, failure: failure.message, updated_at_ms: now });
        this.store.appendEvent('coordinator', 'site.failure', run.run_id, { round: round.round, site: s.site, code: failure.code }, now);
      }
    });
    const fresh = this.store.roundSites(run.run_id, round.round);
    if (round.state === 'KEYING') this.maybeCloseKeying(run, round.round, fresh);
    else if (round.state === 'SHARING') this.maybeCloseSharing(run, round.round, fresh);
    else if (round.state === 'UNMASKING') this.maybeUnmask(run, round.round, fresh);
    else if (round.state === 'COLLECTING') this.maybeCloseCollection(run, round.round, fresh);
    else if (round.state === 'AGGREGATED') this.maybeCloseEvaluation(run, round.round, fresh);
    else if (round.state === 'SCORING') this.maybeCloseScoring(run, round.round, fresh);
  }

  private maybeCloseCollection(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    if (sites.some((s) => s.state === 'PENDING')) return;
    const delivered = sites.filter((s) => s.state === 'DELIVERED');
    if (delivered.length < run.min_sites) {
      this.endRun(run, 'FAILED', RunErrors.QUORUM_LOST.code, `round ${round}: ${delivered.length} updates delivered, the run needs ${run.min_sites}`);
      return;
    }
    const now = this.now();
    if (this.isMasked(run)) {
      this.publishSurvivors(run, round, sites);
      return;
    }
    this.store.tx(() => {
      this.setRoundState(run.run_id, round, 'COLLECTING', 'AGGREGATED', { contributors: delivered.length, deadline_ms: now + run.round_timeout_ms });
      // Every accepted site applies the aggregate, including ones that failed to deliver, so all stay in step.
      for (const s of sites) this.store.updateRoundSite(run.run_id, round, s.site, { eval_state: 'PENDING', updated_at_ms: now });
      this.store.appendEvent('coordinator', 'round.aggregated', run.run_id, { round, contributors: delivered.length }, now);
    });
    for (const s of sites) this.emit('tasks', s.site);
    this.emit('run', run.run_id);
  }

  // ---- masked rounds (docs/secure-aggregation.md) -------------------------------------------

  /** The fewest sites a masked round of this run goes on with. */
  private maskQuorum(run: RunRow): number {
    return Math.max(MIN_MASK_COHORT, run.min_sites);
  }

  /** The round's cohort: the sites whose signed round keys the coordinator holds, in site order. */
  private maskCohortOf(runId: string, round: number): { site: string; json: string }[] {
    return this.store.maskMessages(runId, round, 'keys').map((m) => ({ site: m.from_site, json: m.json }));
  }

  /**
   * A site's part in a masked round's masking: its signed round keys (KEYING), its sealed shares
   * for the cohort (SHARING) or its released shares (UNMASKING). Stored as sent, with the site's
   * stage done, in one transaction; a repeat of what is stored already is answered as done.
   * The coordinator opens nothing: the sites verify the signatures and seals themselves.
   */
  submitMaskMessage(site: string, runId: string, round: number, kind: string, json: string): void {
    const stage = ({ keys: 'KEYING', shares: 'SHARING', release: 'UNMASKING' } as const)[kind as 'keys' | 'shares' | 'release'];
    if (stage === undefined) throw new CohortError(RunErrors.INVALID_REQUEST, `mask message kind "${kind}" is not keys, shares or release`, { details: { field: 'kind' } });
    const run = this.getRunOrThrow(runId);
    const r = this.store.getRound(runId, round);
    const rs = this.store.getRoundSite(runId, round, site);
    if (!rs) throw new CohortError(UpdateErrors.NOT_PARTICIPANT, `site ${site} is not a participant of round ${round} of run ${runId}`);
    if (rs.mask_state === 'DONE' && r?.state === stage) return; // repeated: idempotent
    if (run.state !== 'RUNNING' || !r || r.state !== stage || run.current_round !== round || rs.mask_state !== 'PENDING') {
      throw new CohortError(UpdateErrors.WRONG_ROUND, `round ${round} of run ${runId} does not wait for ${kind} from ${site} (round ${r?.state ?? 'absent'}, site ${rs.mask_state})`, {
        details: { runId, round, kind },
      });
    }
    const bad = (what: string): CohortError => new CohortError(SecureAggErrors.MASKING, `${kind} from ${site} for round ${round}: ${what}`, { details: { runId, round, kind, site } });
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw bad('not JSON');
    }
    const ok = (o: unknown, from: string): o is Record<string, unknown> =>
      typeof o === 'object' && o !== null && (o as Record<string, unknown>).run === runId && (o as Record<string, unknown>).round === round && (o as Record<string, unknown>)[from] === site;
    const now = this.now();
    const rows: { kind: MaskMessageKind; to: string; json: string }[] = [];
    if (kind === 'keys') {
      if (!ok(parsed, 'site')) throw bad('not this site\'s keys for this round');
      this.verifyContribution(site, runId, round, 'mask keys', () => {
        const v = this.options.verifier;
        if (v) verifyMaskKeys(json, { caPem: v.caPem, context: { consortium: this.consortium, run: runId, round }, site, isRevoked: v.isRevoked });
      });
      rows.push({ kind: 'keys', to: '', json });
    } else if (kind === 'shares') {
      // { signature: CohortSignature, shares: SealedShare[] }: the signature over the cohort digest
      // is relayed to every member with its TRAIN task (each confirms all members' signatures).
      const cohort = this.maskCohortOf(runId, round).map((m) => m.site);
      const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { signature?: unknown; shares?: unknown };
      const sig = body.signature as Record<string, unknown> | undefined;
      if (typeof sig !== 'object' || sig === null || sig.site !== site || typeof sig.cohort !== 'string' || !/^[0-9a-f]{64}$/.test(sig.cohort)) throw bad('carries no cohort signature of this site');
      const list = body.shares;
      if (!Array.isArray(list) || list.length !== cohort.length || !list.every((x) => ok(x, 'from'))) throw bad(`needs one share from ${site} for each of the ${cohort.length} cohort members`);
      const to = list.map((x) => String((x as Record<string, unknown>).to));
      if (new Set(to).size !== cohort.length || !cohort.every((c) => to.includes(c))) throw bad('the shares are not addressed to the cohort, one each');
      for (const x of list) rows.push({ kind: 'share', to: String((x as Record<string, unknown>).to), json: JSON.stringify(x) });
      rows.push({ kind: 'signature', to: '', json: JSON.stringify(sig) });
    } else {
      if (!ok(parsed, 'from')) throw bad('not this site\'s release for this round');
      rows.push({ kind: 'release', to: '', json });
    }
    this.store.tx(() => {
      for (const row of rows) this.store.putMaskMessage(runId, round, row.kind, site, row.to, row.json);
      this.store.updateRoundSite(runId, round, site, { mask_state: 'DONE', updated_at_ms: now });
      this.store.appendEvent(site, `mask.${kind}`, runId, { round }, now);
    });
    this.emit('run', runId);
    this.tick();
  }

  /** The Shamir threshold of a masked round of `run` over a cohort of `n` (its spec's masking parameters). */
  private maskThresholdOf(run: RunRow, n: number): number {
    return maskThreshold(n, maskingOf(JSON.parse(run.spec_json) as ModelSpec) ?? { threshold: 'default' });
  }

  private get consortium(): string {
    return this.options.consortium ?? 'cohort';
  }

  /**
   * Runs `check` on a site's signed masking message (its mask keys, or its upload's receipt);
   * a failure is recorded as that site's failure in the round (charged by the coordinator, the
   * round goes on without it) and thrown as SECURE_AGG_CONTRIBUTION_REFUSED.
   */
  private verifyContribution(site: string, runId: string, round: number, what: string, check: () => void): void {
    try {
      check();
    } catch (e) {
      const err = new CohortError(SecureAggErrors.CONTRIBUTION_REFUSED, `${what} of ${site} for round ${round} of run ${runId}: ${(e as Error).message}`, {
        details: { runId, round, site, cause: e instanceof CohortError ? e.code : 'unknown' },
        cause: e,
      });
      this.reportFailure(site, runId, round, err.code, err.message, 'coordinator');
      throw err;
    }
  }

  /**
   * Verifies a masked upload's signed receipt as it arrives (site-service.ts, before the update is
   * committed): signed under a valid, unrevoked consortium certificate of the sender. A bad one is
   * the sender's failure in the round (SECURE_AGG_CONTRIBUTION_REFUSED).
   */
  verifyUploadReceipt(site: string, runId: string, round: number, receiptJson: string): void {
    const v = this.options.verifier;
    if (!v) return;
    this.verifyContribution(site, runId, round, 'the upload receipt', () => {
      verifyReceiptSignature(JSON.parse(receiptJson) as ContributionReceipt, { caPem: v.caPem, consortium: this.consortium, isRevoked: v.isRevoked });
    });
  }

  /** Every site advertised its round keys or failed to: the advertisers are the cohort, and deal their shares (SHARING). */
  private maybeCloseKeying(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    if (sites.some((s) => s.mask_state === 'PENDING')) return;
    const cohort = sites.filter((s) => s.mask_state === 'DONE');
    if (cohort.length < this.maskQuorum(run)) {
      this.endRun(run, 'FAILED', RunErrors.QUORUM_LOST.code, `round ${round}: ${cohort.length} sites advertised mask keys, a masked round of this run needs ${this.maskQuorum(run)}`);
      return;
    }
    const now = this.now();
    this.store.tx(() => {
      this.setRoundState(run.run_id, round, 'KEYING', 'SHARING', { deadline_ms: now + run.round_timeout_ms });
      for (const s of sites) {
        // A site outside the cohort takes no further part in the round.
        if (s.mask_state === 'DONE') this.store.updateRoundSite(run.run_id, round, s.site, { mask_state: 'PENDING', updated_at_ms: now });
        else this.store.updateRoundSite(run.run_id, round, s.site, { state: 'FAILED', updated_at_ms: now });
      }
      this.store.appendEvent('coordinator', 'round.sharing', run.run_id, { round, cohort: cohort.map((s) => s.site) }, now);
    });
    for (const s of cohort) this.emit('tasks', s.site);
    this.emit('run', run.run_id);
  }

  /**
   * Every cohort member dealt its shares, or one failed to: then no one could rebuild that
   * member's secrets, and the round fails (the sites have masked nothing yet).
   */
  private maybeCloseSharing(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    const cohort = new Set(this.maskCohortOf(run.run_id, round).map((m) => m.site));
    const members = sites.filter((s) => cohort.has(s.site));
    if (members.some((s) => s.mask_state === 'PENDING')) return;
    const missing = members.filter((s) => s.mask_state !== 'DONE');
    if (missing.length > 0) {
      this.endRun(run, 'FAILED', SecureAggErrors.MASKING.code, `round ${round}: ${missing.map((s) => s.site).join(', ')} dealt no mask shares; the round cannot be unmasked`);
      return;
    }
    const now = this.now();
    this.store.tx(() => {
      this.setRoundState(run.run_id, round, 'SHARING', 'COLLECTING', { deadline_ms: now + run.round_timeout_ms });
      for (const s of members) this.store.updateRoundSite(run.run_id, round, s.site, { mask_state: 'WAITING', updated_at_ms: now });
      this.store.appendEvent('coordinator', 'round.collecting', run.run_id, { round }, now);
    });
    for (const s of members) this.emit('tasks', s.site);
    this.emit('run', run.run_id);
  }

  /**
   * Uploads closed: the survivors U (delivered) and dropped D (the rest of the cohort) are
   * published with the round moving to UNMASKING, in one transaction; the survivors release shares.
   */
  private publishSurvivors(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    const cohort = this.maskCohortOf(run.run_id, round).map((m) => m.site);
    const delivered = new Set(sites.filter((s) => s.state === 'DELIVERED').map((s) => s.site));
    const survivors = cohort.filter((s) => delivered.has(s));
    const needed = Math.max(this.maskThresholdOf(run, cohort.length), this.maskQuorum(run));
    if (survivors.length < needed) {
      this.endRun(run, 'FAILED', RunErrors.QUORUM_LOST.code, `round ${round}: ${survivors.length} masked updates delivered; unmasking needs ${needed}`);
      return;
    }
    // The cohort digest the members signed: one for all, or the coordinator relayed two views.
    const digests = new Set(this.store.maskMessages(run.run_id, round, 'signature').map((m) => (JSON.parse(m.json) as { cohort: string }).cohort));
    if (digests.size !== 1) {
      this.endRun(run, 'FAILED', SecureAggErrors.MASKING.code, `round ${round}: the cohort members signed ${digests.size} different cohort digests; the round cannot be unmasked`);
      return;
    }
    const published: PublishedUnmask = { consortium: this.consortium, run: run.run_id, round, cohort: [...digests][0] as string, survivors, dropped: cohort.filter((s) => !delivered.has(s)) };
    // Signed with the coordinator's certificate key: the sites release nothing for an unsigned set,
    // and two different signed sets for one round are the coordinator's own proof of equivocation.
    const signer = this.options.unmaskSigner;
    if (signer === undefined) {
      this.endRun(run, 'FAILED', SecureAggErrors.UNMASK_UNSIGNED.code, `round ${round}: this coordinator has no signing key for the unmask request; the round cannot be unmasked`);
      return;
    }
    const signed = signUnmaskRequest(published, signer);
    const now = this.now();
    this.store.tx(() => {
      this.setRoundState(run.run_id, round, 'COLLECTING', 'UNMASKING', { contributors: survivors.length, deadline_ms: now + run.round_timeout_ms });
      this.store.putMaskMessage(run.run_id, round, 'unmask', '', '', JSON.stringify(signed));
      for (const s of survivors) this.store.updateRoundSite(run.run_id, round, s, { mask_state: 'PENDING', updated_at_ms: now });
      this.store.appendEvent('coordinator', 'round.unmasking', run.run_id, { round, survivors, dropped: published.dropped }, now);
    });
    for (const s of survivors) this.emit('tasks', s);
    this.emit('run', run.run_id);
  }

  /**
   * Every survivor released its shares or failed to: rebuild the survivors' self-mask seeds and
   * the dropped sites' mask keys, add the masks' negation to the encrypted sum as plaintexts (no
   * key), and commit the unmasked sum with AGGREGATED in one transaction. The work is async; a
   * crash before the commit leaves the round UNMASKING, and the next start does it again.
   */
  private maybeUnmask(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    if (sites.some((s) => s.mask_state === 'PENDING')) return;
    const job = `${run.run_id}:${round}`;
    if (this.unmasking.has(job)) return;
    this.unmasking.add(job);
    void this.unmask(run, round)
      .catch((e: unknown) => {
        const current = this.store.getRound(run.run_id, round);
        if (current?.state !== 'UNMASKING') return;
        const code = e instanceof CohortError ? e.code : GeneralErrors.INTERNAL.code;
        this.endRun(this.getRunOrThrow(run.run_id), 'FAILED', code, `round ${round}: unmasking failed: ${(e as Error).message}`);
      })
      .finally(() => {
        this.unmasking.delete(job);
        this.tick();
      });
  }

  private async unmask(run: RunRow, round: number): Promise<void> {
    const stored = this.store.maskMessages(run.run_id, round, 'unmask')[0];
    const published = stored === undefined ? null : requestOfStored(stored.json);
    if (!published) throw new CohortError(SecureAggErrors.UNMASK_FAILED, `round ${round}: no published survivors`);
    const context = { consortium: published.consortium, run: published.run, round: published.round };
    const members: PublicMaskKeys[] = this.maskCohortOf(run.run_id, round).map((m) => {
      const a = JSON.parse(m.json) as { maskPublicKey: string; selfSeedCommitment: string; certificatePem: string };
      return { site: m.site, maskPublicKeyDer: Buffer.from(a.maskPublicKey, 'base64'), selfSeedCommitment: a.selfSeedCommitment, certificatePem: a.certificatePem };
    });
    const releases = this.store.maskMessages(run.run_id, round, 'release').map((m) => JSON.parse(m.json) as Release);
    const threshold = this.maskThresholdOf(run, members.length);
    const rebuilt = await rebuildSecrets(context, members, threshold, published.survivors, releases, published.cohort);
    if (rebuilt.rejected.length > 0) {
      // Bad shares were dropped (enough good ones remained): the releasers at fault are recorded.
      this.store.appendEvent('coordinator', 'round.shares_rejected', run.run_id, { round, rejected: rebuilt.rejected.map((r) => ({ from: r.from, site: r.site ?? null, culprit: r.culprit, reason: r.reason })) }, this.now());
    }
    const codec = JSON.parse(run.codec_json) as BfvCodecDescriptor;
    const unmasker = new BfvChunkUnmasker(await loadSeal(), codec, context, members, rebuilt);
    try {
      const chunkCount = this.adderOf(run).chunkCount;
      const unmasked: Uint8Array[] = [];
      for (let i = 0; i < chunkCount; i++) {
        const sum = this.store.getSum(run.run_id, round, i);
        if (!sum) throw new CohortError(RunErrors.AGGREGATE_NOT_READY, `update chunk ${i} of round ${round} is missing`);
        unmasked.push(unmasker.unmask(sum, i));
      }
      const now = this.now();
      let committed = false;
      this.store.tx(() => {
        const r = this.store.getRound(run.run_id, round);
        if (r?.state !== 'UNMASKING') return;
        unmasked.forEach((c, i) => this.store.putSum(run.run_id, round, i, c));
        this.setRoundState(run.run_id, round, 'UNMASKING', 'AGGREGATED', { deadline_ms: now + run.round_timeout_ms });
        for (const s of this.store.roundSites(run.run_id, round)) this.store.updateRoundSite(run.run_id, round, s.site, { eval_state: 'PENDING', updated_at_ms: now });
        this.store.appendEvent('coordinator', 'round.aggregated', run.run_id, { round, contributors: published.survivors.length, unmasked: true, dropped: published.dropped }, now);
        committed = true;
      });
      if (committed) {
        for (const s of this.store.roundSites(run.run_id, round)) this.emit('tasks', s.site);
        this.emit('run', run.run_id);
      }
    } finally {
      unmasker.dispose();
    }
  }

  /**
   * Every evaluation is in: the sites must hold the same weights. Then the sites decrypt the
   * evaluations' sum (SCORING), unless it holds fewer than minSites of them (and never fewer
   * than 3: with two, each site would read the other's by subtracting its own), which the sites
   * would refuse: that round closes without consortium metrics.
   */
  private maybeCloseEvaluation(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    if (sites.some((s) => s.eval_state === 'PENDING')) return;
    const evaluated = sites.filter((s) => s.eval_state === 'EVALUATED');
    const hashes = new Set(evaluated.map((s) => s.weights_sha256));
    if (evaluated.length === 0) {
      this.endRun(run, 'FAILED', RunErrors.QUORUM_LOST.code, `round ${round}: no site evaluated the new model`);
      return;
    }
    if (hashes.size > 1) {
      const bySite = Object.fromEntries(evaluated.map((s) => [s.site, s.weights_sha256]));
      this.endRun(run, 'FAILED', RunErrors.HASH_MISMATCH.code, `round ${round}: sites hold different global weights ${JSON.stringify(bySite)}`);
      return;
    }
    const hash = [...hashes][0] ?? null;
    const now = this.now();
    if (evaluated.length < evaluationsNeeded(run.min_sites)) {
      this.closeRound(run, round, 'AGGREGATED', null, () => {
        this.store.updateRun(run.run_id, { final_weights_sha256: hash }, now);
        this.store.appendEvent('coordinator', 'round.metrics-withheld', run.run_id, { round, evaluations: evaluated.length, needed: evaluationsNeeded(run.min_sites) }, now);
      });
      return;
    }
    this.store.tx(() => {
      this.setRoundState(run.run_id, round, 'AGGREGATED', 'SCORING', { deadline_ms: now + run.round_timeout_ms });
      this.store.updateRun(run.run_id, { final_weights_sha256: hash }, now);
      for (const s of evaluated) this.store.updateRoundSite(run.run_id, round, s.site, { score_state: 'PENDING', updated_at_ms: now });
      this.store.appendEvent('coordinator', 'round.evaluated', run.run_id, { round, evaluations: evaluated.length, weightsSha256: hash }, now);
    });
    for (const s of evaluated) this.emit('tasks', s.site);
    this.emit('run', run.run_id);
  }

  /**
   * Every report of the consortium metrics is in: they must agree, and become the round's
   * metrics. With no report (every site failed: deadline, disconnect) the round closes without
   * metrics, as with too few evaluations: the sites already agreed on the weights.
   */
  private maybeCloseScoring(run: RunRow, round: number, sites: ReturnType<StateStore['roundSites']>): void {
    if (sites.some((s) => s.score_state === 'PENDING')) return;
    // A site that refused the sum (too few evaluations, a count that does not match) saw a
    // coordinator fault or attack: the run stops, as on a weights mismatch.
    const refused = sites.filter((s) => s.score_state === 'FAILED' && s.failure_code === SiteErrors.EVALUATION_INVALID.code);
    if (refused.length > 0) {
      this.endRun(run, 'FAILED', SiteErrors.EVALUATION_INVALID.code, `round ${round}: ${refused.map((s) => s.site).join(', ')} refused the summed evaluation: ${refused[0]?.failure ?? ''}`);
      return;
    }
    const reported = sites.filter((s) => s.score_state === 'REPORTED');
    if (reported.length === 0) {
      this.closeRound(run, round, 'SCORING', null, () => this.store.appendEvent('coordinator', 'round.metrics-withheld', run.run_id, { round, reports: 0 }, this.now()));
      return;
    }
    const values = new Set(reported.map((s) => s.score_json));
    if (values.size > 1) {
      const bySite = Object.fromEntries(reported.map((s) => [s.site, JSON.parse(s.score_json ?? 'null') as unknown]));
      this.endRun(run, 'FAILED', RunErrors.METRICS_MISMATCH.code, `round ${round}: sites decrypted different consortium metrics ${JSON.stringify(bySite)}`);
      return;
    }
    this.closeRound(run, round, 'SCORING', [...values][0] ?? null);
  }

  /**
   * Closes `round` and, in the same transaction, opens the next one or completes the run: no
   * crash leaves a running run with its last round closed. `first` adds rows of the caller's
   * to that transaction.
   */
  private closeRound(run: RunRow, round: number, from: RoundState, metricsJson: string | null, first?: () => void): void {
    const now = this.now();
    this.store.tx(() => {
      first?.();
      const weightsSha256 = this.getRunOrThrow(run.run_id).final_weights_sha256;
      this.setRoundState(run.run_id, round, from, 'CLOSED', { closed_at_ms: now, metrics_json: metricsJson });
      this.store.appendEvent('coordinator', 'round.close', run.run_id, { round, weightsSha256 }, now);
      return this.afterClosed(this.getRunOrThrow(run.run_id), round);
    })();
  }

  /** What follows a closed round (inside the caller's transaction): the next round, or the run's completion. */
  private afterClosed(run: RunRow, round: number): () => void {
    return round >= run.rounds ? this.endRunRows(run, 'COMPLETED', null, `completed ${round} rounds`) : this.openRound(run, round + 1);
  }

  /**
   * Repairs a running run found between rounds (no round yet, or its current round closed):
   * a state this engine never commits, but one a coordinator before issue 9 could leave when
   * killed between two transactions. It goes on as the interrupted transition would have.
   */
  private repairBetweenRounds(run: RunRow, closed: number): void {
    this.store.tx(() => {
      this.store.appendEvent('coordinator', 'run.repair', run.run_id, { closedRound: closed, rounds: run.rounds }, this.now());
      return this.afterClosed(run, closed);
    })();
  }

  // ---- release --------------------------------------------------------------------------

  /**
   * Accepts a completed run's final weights into the registry, only from a site that took
   * part and only if their SHA-256 is the hash every site reported for the last round.
   * Idempotent for the same weights; returns the registry id.
   */
  releaseModel(site: string, runId: string, weights: Buffer, claimedSha256 = ''): string {
    const run = this.getRunOrThrow(runId);
    if (run.state !== 'COMPLETED') {
      throw new CohortError(RunErrors.RELEASE_REFUSED, `run ${runId} is ${run.state}; only a completed run's model can be released`, { details: { runId, state: run.state } });
    }
    const membership = this.store.getRunSite(runId, site);
    if (membership?.state !== 'ACCEPTED') throw new CohortError(RunErrors.RELEASE_REFUSED, `site ${site} did not take part in run ${runId}`);
    const hash = createHash('sha256').update(weights).digest('hex');
    // The site's own hash must match too: a mismatch means the bytes changed on the way.
    if (claimedSha256 !== '' && claimedSha256 !== hash) {
      throw new CohortError(RunErrors.RELEASE_REFUSED, `the uploaded weights hash to ${hash}, the uploading site says ${claimedSha256}; not released`, {
        details: { runId, uploaded: hash, claimed: claimedSha256 },
      });
    }
    if (hash !== run.final_weights_sha256) {
      throw new CohortError(RunErrors.RELEASE_REFUSED, `the uploaded weights hash to ${hash}, the sites agreed on ${run.final_weights_sha256 ?? 'nothing'}; not released`, {
        details: { runId, uploaded: hash, agreed: run.final_weights_sha256 },
      });
    }
    const existing = this.store.modelOfRun(runId);
    if (existing) return existing.model_id;
    const now = this.now();
    const modelId = `model-${randomUUID().slice(0, 8)}`;
    const rounds = this.store.rounds(runId);
    const last = rounds[rounds.length - 1];
    const agentVersions = new Map(this.store.sites().map((s) => [s.site, s.agent_version]));
    const provenance = {
      runId,
      specSha256: run.spec_sha256,
      submittedBy: run.submitted_by,
      strategy: run.strategy,
      rounds: run.rounds,
      codec: JSON.parse(run.codec_json) as unknown,
      sites: this.store.runSites(runId).filter((s) => s.state === 'ACCEPTED').map((s) => ({
        site: s.site,
        numExamples: s.num_examples,
        datasetFingerprint: s.dataset_fingerprint,
        privacy: s.privacy_json ? (JSON.parse(s.privacy_json) as unknown) : null,
        agentVersion: agentVersions.get(s.site) ?? null,
      })),
      finalMetrics: last?.metrics_json ? baseMetrics(JSON.parse(last.metrics_json) as ExtendedMetrics) : null,
    };
    const spec = JSON.parse(run.spec_json) as ModelSpec;
    // The final evaluation's fairness (with its review verdict) and global explanations, as the sites decrypted them.
    const final = last?.metrics_json ? (JSON.parse(last.metrics_json) as ExtendedMetrics) : undefined;
    // Fail closed: a spec with fairness whose final metrics were withheld gets a record that requires review.
    const record = fairnessRecord(final?.fairness, spec);
    const fairness = record ? JSON.stringify(record) : null;
    const explanations = final && 'explanations' in final ? JSON.stringify({ explanations: final.explanations ?? null, ...(final.explanationsUnavailable ? { unavailable: final.explanationsUnavailable } : {}) }) : null;
    this.store.tx(() => {
      // Versions are numbered per registered model (the spec's name) in release order; approval comes later (coordinator/registry).
      const version = this.store.nextModelVersion(run.name);
      this.store.insertModel({
        version,
        software_version: COHORT_VERSION,
        intended_use: spec.description ?? '',
        approval: 'PENDING',
        approved_by: null,
        approved_at_ms: null,
        approval_note: null,
        model_id: modelId,
        run_id: runId,
        name: run.name,
        weights_sha256: hash,
        spec_sha256: run.spec_sha256,
        released_by: site,
        released_at_ms: now,
        bytes: weights.byteLength,
        weights,
        provenance_json: JSON.stringify(provenance),
        fairness_json: fairness,
        explanations_json: explanations,
      });
      this.store.updateRun(runId, { model_id: modelId }, now);
      this.store.appendEvent(site, 'model.release', runId, { modelId, name: run.name, version, weightsSha256: hash }, now);
    });
    this.emit('run', runId);
    return modelId;
  }
}
