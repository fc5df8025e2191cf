/**
 * What a site does for one run, independent of transport: decide on the offer against
 * its policy and privacy budget, train for a round (DP-SGD, then the site-level clip and
 * noise share), encode and encrypt the update, apply a decrypted aggregate with the
 * strategy's server step, evaluate. The agent (agent.ts) moves bytes; this file holds the
 * decisions.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { canonicalJson } from '../core/canonical-json.ts';
import { evaluationCodec, evaluationsNeeded, evaluationVector } from '../core/evaluation/summed-metrics.ts';
import { evaluationLayout, extendedMetrics, layoutVector, type EvaluationLayout, type ExtendedMetrics } from '../core/evaluation/evaluation-layout.ts';
import { fairnessVector } from '../core/evaluation/fairness-metrics.ts';
import { explanationVector } from '../core/evaluation/global-explanations.ts';
import { survivalEvaluationVector } from '../core/evaluation/survival-metrics.ts';
import { CohortError, PrivacyErrors, SecureAggErrors, SiteErrors, type ErrorDefinition } from '../core/errors/index.ts';
import { roundUpPrivacy } from '../core/privacy/format.ts';
import { GaussianSampler } from '../core/privacy/gaussian.ts';
import { dpSgdSchedule, planRunSpend, runDelta, runSpendAfter, stepsWithinBudget, type RunSpend } from '../core/privacy/run-budget.ts';
import type { SiteExposure } from '../core/privacy/site-adjacency.ts';
import { BfvUpdateEncoder } from '../core/secure-agg/bfv-update-encoder.ts';
import { bfvDescriptor, runParametersForKeySync } from '../core/secure-agg/parameters.ts';
import { loadSeal, type SealLibrary } from '../core/secure-agg/seal-library.ts';
import { strategyFromSpec, type FitConfig, type Strategy } from '../core/strategies/index.ts';
import { createPlainEncoder, type BfvCodecDescriptor, type CodecDescriptor, type UpdateEncoder } from '../core/update-codec/index.ts';
import { bfvRunRequest, updateLayout, type UpdateLayout } from '../core/update-codec/update-layout.ts';
import type { Matrix } from '../models/features.ts';
import type { ModelSpec } from '../models/spec-schema.ts';
import { initialWeights } from '../models/weight-layout.ts';
import type { PrivacySpend } from '../protos/gen/cohort/v1/PrivacySpend.ts';
import { prepareImagingDataset } from './data/imaging-dataset.ts';
import { prepareDataset, type PreparedDataset } from './data/prepare-dataset.ts';
import type { HeKeyStore } from './he-keys.ts';
import { checkRunAgainstBudget } from './privacy/budget-check.ts';
import { applyDecodedAggregate, initialServerState, siteUpdateVector } from './round-math.ts';
import type { PrivacyLedger } from './privacy/ledger.ts';
import type { AcceptedCodec, RunGlobalState, RunStateStore } from './run-state.ts';
import { acceptedRunOf } from './run-binding.ts';
import { maskedCohortRefusal, maskedDescriptorRefusal, maskingOf, maskingPolicyRefusal } from '../core/secure-agg/masked-run.ts';
import type { SiteConfig } from './site-config.ts';
import { assertDpCompatible } from './training/dp-compatibility.ts';
import { recordDpOptions } from './training/dp-options.ts';
import { attributeRows, metricsOf, predictProbabilities, survivalMetricsOf, trainLocal, type EvaluationResult } from './training/local-trainer.ts';
import { countsReleasedAs, recordCountsLabel, releasedCount, releasedMessage } from './privacy/release-policy.ts';
import { trainingSeed } from './training/training-seed.ts';
import type { Agreement } from '../core/config/consortium.ts';
import { siteAgreementRefusal } from '../core/governance/agreements.ts';

export interface OfferDecision {
  accept: boolean;
  reasonCode: string;
  reason: string;
  numExamples: number;
  fingerprint: string;
  /** What the whole run would spend here (accepted runs). */
  planned?: PrivacySpend;
}

/** The codec of a run offer, as the coordinator records it (core/update-codec/codec-plan.ts RunCodec). */
export interface OfferedCodec {
  readonly kind: string;
  /** The consortium key an encrypted (`bfv-pending`) run needs. */
  readonly key?: { readonly keyId: string };
}

export interface RunWorkerOptions {
  readonly site: string;
  readonly runId: string;
  readonly spec: ModelSpec;
  readonly config: SiteConfig;
  readonly states: RunStateStore;
  readonly heKeys: HeKeyStore;
  readonly ledger: PrivacyLedger;
  /** The agreement the operator recorded for this site in its kit (checked against policy.requireAgreementReference). */
  readonly agreement?: Agreement;
  /** Called once each time the site's data for this run is loaded (the site's audit log records the read). */
  readonly onDatasetRead?: (data: PreparedDataset) => void;
}

/** The codec a site seals when it accepts `codec`. */
function acceptedCodecOf(codec: OfferedCodec): AcceptedCodec {
  return codec.kind === 'plain' ? { kind: 'plain' } : { kind: 'bfv', keyId: codec.key?.keyId ?? '' };
}

/**
 * The weights a site may offer as the run's final model: those of its global state once it has
 * applied the last round (spec.rounds), otherwise none, whatever round a FINISH comes at.
 */
export function releasableWeights(spec: ModelSpec | undefined, state: RunGlobalState | undefined): Float32Array | undefined {
  return spec !== undefined && state !== undefined && state.round === spec.rounds ? state.weights : undefined;
}

export function weightsSha256(weights: Float32Array): string {
  return createHash('sha256').update(Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}

/** How a codec exposes the site's update: `plain` shows it to the coordinator with only this site's noise share. */
export function exposureOf(codecKind: string): SiteExposure {
  return codecKind === 'plain' ? 'plaintext' : 'encrypted';
}

/** What a site's evaluation sends: its evaluation vector encoded, and its own metrics if its policy lets them go. */
export interface SiteEvaluationReport {
  readonly chunks: Uint8Array[];
  readonly own: EvaluationResult | undefined;
}

/** A spend as reported, with how the site releases its other numbers beside it. */
function toProto(spend: RunSpend, steps: number, stopped: boolean, release: SiteConfig['policy']['release']): PrivacySpend {
  return {
    epsilon: spend.epsilon,
    delta: spend.delta,
    recordEpsilon: spend.recordEpsilon,
    siteEpsilon: spend.siteEpsilon,
    steps: String(steps),
    stoppedAtBudget: stopped,
    recordCounts: recordCountsLabel(release),
    siteMetrics: release.siteMetrics,
  };
}

/**
 * Decodes a sum with `encoder` and, under BFV, checks the summand count its check slots prove:
 * at least `minimum`, and the count the coordinator names. A plain sum is returned as decoded:
 * the coordinator sees every plain value anyway.
 */
function checkedSum(encoder: UpdateEncoder, chunks: readonly Uint8Array[], contributors: number, minimum: number, what: string, error: ErrorDefinition): Float64Array {
  if (!(encoder instanceof BfvUpdateEncoder)) return encoder.decode(chunks);
  const { sum, summands } = encoder.decodeAggregate(chunks);
  if (summands < minimum) {
    throw new CohortError(error, `the sum holds ${summands} ${what}, fewer than the ${minimum} it needs`, { details: { summands, needed: minimum } });
  }
  if (summands !== contributors) {
    throw new CohortError(error, `the sum holds ${summands} ${what}, the coordinator says ${contributors}`, { details: { summands, contributors } });
  }
  return sum;
}

export class RunWorker {
  readonly strategy: Strategy;
  readonly runId: string;
  readonly spec: ModelSpec;
  private readonly layout: UpdateLayout;
  /** The run's evaluation vector: base sums, then fairness and explanation parts as the spec asks (core/evaluation/evaluation-layout.ts). */
  private readonly evalLayout: EvaluationLayout;
  private dataset: PreparedDataset | undefined;
  private encoder: UpdateEncoder | undefined;
  /** The largest planned spend over the counts the site's release covers (reported()), once computed. */
  private bucketPlan: RunSpend | undefined;
  /** The encoder of the run's evaluation vectors (core/evaluation/summed-metrics.ts). */
  private evalEncoder: UpdateEncoder | undefined;
  /** The global state in memory; the sealed file on disk is read once, written on every change. */
  private state: RunGlobalState | undefined;

  constructor(private readonly o: RunWorkerOptions) {
    this.runId = o.runId;
    this.spec = o.spec;
    this.strategy = strategyFromSpec(o.spec.strategy);
    this.layout = updateLayout(o.spec);
    this.evalLayout = evaluationLayout(o.spec);
  }

  /** Loads (once) the site's data for this spec: only the mapped columns are read. */
  async data(): Promise<PreparedDataset> {
    if (!this.dataset) {
      const mapping = this.o.config.datasets[this.spec.dataset];
      if (!mapping) {
        throw new CohortError(SiteErrors.DATASET_UNKNOWN, `this site has no dataset "${this.spec.dataset}" in its config`, { details: { dataset: this.spec.dataset } });
      }
      const fingerprintKey = this.o.heKeys.datasetFingerprintKey();
      // A dicom dataset is de-identified here, inside the site, before any pixel reaches training.
      this.dataset =
        mapping.kind === 'dicom'
          ? prepareImagingDataset({ spec: this.spec, mapping, fingerprintKey, ...this.o.heKeys.imagingCache() })
          : await prepareDataset({ spec: this.spec, mapping, phiAllowList: this.o.config.policy.phiAllowList, fingerprintKey });
      this.o.onDatasetRead?.(this.dataset);
    }
    return this.dataset;
  }

  private get maxEpsilon(): number {
    return this.o.config.policy.privacy.maxEpsilon ?? Number.POSITIVE_INFINITY;
  }

  private delta(records: number): number {
    return runDelta(records, this.o.config.policy.privacy.delta);
  }

  /**
   * The site's own decision, against its own policy and budget; the coordinator cannot
   * override it. `codec` is the offer's codec request; `refusal` a reason found before
   * (no HE key for an encrypted run).
   */
  async decide(submittedBy: string, codec: OfferedCodec, refusal?: CohortError): Promise<OfferDecision> {
    const decline = (e: CohortError): OfferDecision => ({ accept: false, reasonCode: e.code, reason: releasedMessage(e.code, e.message, this.o.config.policy.release), numExamples: 0, fingerprint: '' });
    // An offer again of a run this site accepted never rewrites what it sealed: the same codec gets
    // the same answer, another codec or key (a downgrade to plaintext, a key switch) is refused.
    const sealed = this.o.states.acceptedRun(this.runId);
    const offered = acceptedCodecOf(codec);
    if (sealed && !isDeepStrictEqual(sealed.codec, offered)) {
      throw new CohortError(SiteErrors.TASK_UNBOUND, `run ${this.runId}: the offer now names codec "${codec.kind}"${codec.key ? ` under key ${codec.key.keyId}` : ''}, the run was accepted with "${sealed.codec.kind}"${sealed.codec.kind === 'bfv' ? ` under key ${sealed.codec.keyId}` : ''}; the offer is refused`, {
        details: { runId: this.runId, kind: 'TASK_KIND_OFFER', round: 0, field: 'codec' },
      });
    }
    if (refusal) return decline(refusal);
    const policy = this.o.config.policy;
    if (policy.requireAgreementReference !== null) {
      const refused = siteAgreementRefusal(this.o.site, policy.requireAgreementReference, this.o.agreement, new Date());
      if (refused) return decline(refused);
    }
    if (codec.kind === 'plain' && !policy.allowPlaintext) {
      return decline(new CohortError(SiteErrors.PLAINTEXT_REFUSED, 'the run would send this site\'s updates unencrypted (codec "plain"), which its policy does not allow'));
    }
    if (codec.kind !== 'plain' && codec.kind !== 'bfv-pending') {
      return decline(new CohortError(SiteErrors.PLAINTEXT_REFUSED, `the run's codec "${codec.kind}" is not one this site accepts in an offer`));
    }
    // A masked encrypted run needs minSites >= 3 (masked-run.ts): whether it masks comes from the spec alone.
    const maskingRefused = codec.kind === 'bfv-pending' ? (maskedCohortRefusal(this.spec) ?? maskingPolicyRefusal(this.spec, policy)) : undefined;
    if (maskingRefused) return decline(maskingRefused);
    if (policy.allowedSubmitters.length > 0 && !policy.allowedSubmitters.includes(submittedBy)) {
      return decline(new CohortError(SiteErrors.SUBMITTER_NOT_ALLOWED, `runs from "${submittedBy}" are not allowed by this site's policy`));
    }
    if (policy.release.recordCounts === 'withheld' && !this.layout.unweighted) {
      return decline(new CohortError(SiteErrors.COUNT_WITHHELD, 'the run weights updates by example count, and this site\'s policy withholds its record count (policy.release.recordCounts: withheld)'));
    }
    if (policy.allowedFeatures.length > 0) {
      // A fairness attribute is a column read like a feature (for evaluation only): the same allow-list governs it.
      const read = [...this.spec.features.map((f) => f.name), ...(this.spec.fairness?.attributes ?? []).map((a) => a.name)];
      const refused = [...new Set(read)].filter((f) => !policy.allowedFeatures.includes(f));
      if (refused.length > 0) return decline(new CohortError(SiteErrors.FEATURE_NOT_ALLOWED, `features not allowed by this site's policy: ${refused.join(', ')}`));
    }
    let data: PreparedDataset;
    let planned: RunSpend;
    try {
      if (this.spec.privacy?.record) assertDpCompatible(this.spec);
      data = await this.data();
      if (data.train.rows < policy.minExamples) {
        // The row count is named only when the site releases it exactly.
        const rows = policy.release.recordCounts === 'exact' ? `${data.train.rows} usable training rows` : 'fewer usable training rows than the minimum';
        return decline(new CohortError(SiteErrors.COHORT_TOO_SMALL, `${rows}, the site policy needs at least ${policy.minExamples}`));
      }
      planned = planRunSpend(this.spec, data.train.rows, this.delta(data.train.rows), { exposure: exposureOf(codec.kind) });
    } catch (e) {
      if (e instanceof CohortError) return decline(e);
      throw e;
    }
    const budget = checkRunAgainstBudget({
      planned,
      // Other runs' reservations count: two runs accepted together cannot jointly pass the cap.
      spent: this.o.ledger.totalCommitted({ excludeRun: this.runId }),
      maxEpsilon: this.maxEpsilon,
      maxDelta: policy.privacy.maxDelta ?? Number.POSITIVE_INFINITY,
    });
    if (!budget.ok) {
      // The figures in the reason are functions of the record count: sent only when the count is.
      const reason = policy.release.recordCounts === 'exact' ? budget.reason : 'the run would take this site past its privacy budget (the figures are withheld with its record count)';
      return { accept: false, reasonCode: budget.code, reason, numExamples: 0, fingerprint: '' };
    }
    // The site binds what it accepts: spec, codec (and masking) are sealed, and later tasks must name the same (run-binding.ts).
    if (!sealed) this.o.states.saveAcceptedRun(this.runId, acceptedRunOf(this.spec, offered, maskingOf(this.spec)));
    if (!this.o.ledger.entries().some((e) => e.runId === this.runId)) {
      // The accept reserves the planned spend; the run's stop (ledger.release) frees what it did not spend.
      this.o.ledger.append({
        runId: this.runId,
        round: 0,
        event: 'accept',
        recordEpsilon: 0,
        siteEpsilon: 0,
        epsilon: 0,
        delta: planned.delta,
        steps: 0,
        reservedEpsilon: planned.epsilon,
        reservedDelta: planned.delta,
      });
    }
    // The count as the release policy gives it (0: withheld).
    const numExamples = releasedCount(data.train.rows, policy.release) ?? 0;
    return { accept: true, reasonCode: '', reason: '', numExamples, fingerprint: data.fingerprint, planned: this.reported(planned, 0, false) };
  }

  /**
   * The run's encoder: plaintext, or BFV under the consortium key this site holds. Refuses a
   * codec other than the one the site accepted (a coordinator cannot downgrade a run to
   * plaintext or switch its key after the offer), and BFV parameters other than those the
   * spec and the key's own parameters give for the run's site count and weights.
   */
  async encoderFor(codec: CodecDescriptor): Promise<UpdateEncoder> {
    // Every task's descriptor is checked, not only the first: a worker that already holds an
    // encoder must still refuse a task that names another codec kind, key or parameters
    // (otherwise a coordinator could warm the worker with one task and then send a TRAIN
    // whose codec kind no longer reads as "bfv", which would also switch masking off).
    await this.checkCodec(codec);
    if (!this.encoder) {
      if (codec.kind === 'plain') {
        this.encoder = createPlainEncoder(codec.length);
        this.evalEncoder = createPlainEncoder(evaluationCodec(codec, this.evalLayout.length).length);
      } else {
        const key = this.o.heKeys.secretKey(codec.keyId);
        if (key === undefined) throw new CohortError(SecureAggErrors.NO_KEY, `this site does not hold HE key ${codec.keyId} of run ${this.runId}`, { details: { keyId: codec.keyId } });
        try {
          // Clamping only ever touches site-level noise beyond 8 sigma: updates are clipped to the bound first.
          this.encoder = await BfvUpdateEncoder.create(codec, key, { clampOutOfRange: true });
          // Evaluation sums are counts and a bounded loss sum: a value out of range is an error, never clamped.
          this.evalEncoder = await BfvUpdateEncoder.create(evaluationCodec(codec, this.evalLayout.length) as BfvCodecDescriptor, key);
        } finally {
          key.fill(0);
        }
      }
    }
    return this.encoder;
  }

  /** Refuses a codec other than the accepted one (kind, key, parameters, sealed descriptor). */
  private async checkCodec(codec: CodecDescriptor): Promise<void> {
    if (codec.length !== this.layout.length) {
      throw new CohortError(SiteErrors.AGGREGATE_INVALID, `the run codec carries ${codec.length} values, this spec's update has ${this.layout.length}`);
    }
    const accepted = this.o.states.acceptedCodec(this.runId);
    const keyId = codec.kind === 'bfv' ? codec.keyId : undefined;
    if (!accepted || accepted.kind !== codec.kind || (accepted.kind === 'bfv' && accepted.keyId !== keyId)) {
      throw new CohortError(SiteErrors.PLAINTEXT_REFUSED, `run ${this.runId} now asks for codec "${codec.kind}"${keyId ? ` under key ${keyId}` : ''}, not the one this site accepted (${accepted ? accepted.kind : 'none recorded'})`, {
        details: { runId: this.runId, codec: codec.kind },
      });
    }
    if (codec.kind === 'bfv') {
      // A masked run's descriptor sized for fewer than 3 sites is refused whatever the spec's minSites (masked-run.ts).
      const refused = maskedDescriptorRefusal(this.spec, codec);
      if (refused) throw refused;
      this.checkRunParameters(codec, await loadSeal());
    }
    this.checkSealedDescriptor(codec);
  }

  /**
   * The final descriptor (for BFV: its site count and weight cap, chosen after the offer) is
   * sealed on first use; every later task, also after a restart, must carry the same.
   */
  private checkSealedDescriptor(codec: CodecDescriptor): void {
    const accepted = this.o.states.acceptedRun(this.runId);
    if (!accepted) return;
    const sha = createHash('sha256').update(canonicalJson(codec)).digest('hex');
    if (accepted.codecSha256 === undefined) {
      this.o.states.saveAcceptedRun(this.runId, { ...accepted, codecSha256: sha });
    } else if (accepted.codecSha256 !== sha) {
      throw new CohortError(SiteErrors.TASK_UNBOUND, `run ${this.runId}: the task's codec descriptor is not the one this site first worked with; the task is refused`, {
        details: { runId: this.runId, field: 'codec' },
      });
    }
  }

  private evaluationEncoder(): UpdateEncoder {
    if (!this.evalEncoder) throw new Error('encoderFor must run first');
    return this.evalEncoder;
  }

  /**
   * Recomputes the run's BFV parameters from the spec, the key's parameters as the key holder
   * sealed them, and the descriptor's site count and weight cap, and refuses a descriptor
   * that differs: a coordinator cannot choose a scale that would wrap the sum.
   */
  private checkRunParameters(codec: BfvCodecDescriptor, seal: SealLibrary): void {
    const key = this.o.heKeys.params(codec.keyId);
    if (!key) throw new CohortError(SecureAggErrors.NO_KEY, `this site does not hold HE key ${codec.keyId} of run ${this.runId}`, { details: { keyId: codec.keyId } });
    const expected = bfvDescriptor(
      runParametersForKeySync(seal, key, bfvRunRequest(this.spec, codec.maxSummands, codec.maxWeight)),
      key.keyId,
      key.paramsId,
    );
    const differs = (Object.keys(expected) as (keyof BfvCodecDescriptor)[]).filter((k) => JSON.stringify(expected[k]) !== JSON.stringify(codec[k]));
    const minSites = this.spec.minSites;
    if (differs.length > 0 || codec.maxSummands < minSites || (this.layout.unweighted && codec.maxWeight !== 1)) {
      throw new CohortError(SecureAggErrors.PARAMS_MISMATCH, `run ${this.runId}'s encryption parameters are not the ones its spec and key give (${differs.join(', ') || 'site count or weight cap'})`, {
        details: { runId: this.runId, fields: differs },
      });
    }
  }

  /** Decrypts (or decodes) a round's aggregate and checks it sums exactly the contributors the coordinator names. */
  decodeAggregate(chunks: readonly Uint8Array[], contributors: number): Float64Array {
    const encoder = this.encoder;
    if (!encoder) throw new Error('encoderFor must run first');
    // Each site's noise share assumes at least minSites shares in the sum.
    return checkedSum(encoder, chunks, contributors, this.spec.minSites, 'updates', SecureAggErrors.AGGREGATE_INCONSISTENT);
  }

  /**
   * Decrypts a round's summed evaluation into the consortium metrics. Refuses a sum of fewer
   * than minSites evaluations, and never fewer than 3 (with one it would show that site's
   * metrics, with two each site would read the other's), or of another count than the
   * coordinator names: under BFV the check slots' count, and for both codecs the sum's
   * evaluator slot. What this does not stop (one site's ciphertext added to itself) is in
   * docs/trust-model.md.
   */
  decodeEvaluation(chunks: readonly Uint8Array[], contributors: number): ExtendedMetrics {
    const needed = evaluationsNeeded(this.spec.minSites);
    const { metrics, means } = extendedMetrics(this.evalLayout, checkedSum(this.evaluationEncoder(), chunks, contributors, needed, 'evaluations', SiteErrors.EVALUATION_INVALID));
    if (metrics.evaluators < needed || metrics.evaluators !== contributors) {
      throw new CohortError(SiteErrors.EVALUATION_INVALID, `the summed evaluation counts ${metrics.evaluators} evaluations; it needs at least ${needed}, and the coordinator says ${contributors}`, {
        details: { evaluators: metrics.evaluators, contributors, needed },
      });
    }
    // The consortium's mean test row, the baseline of the next rounds' attributions; kept sealed in the run's state.
    if (means && !this.o.states.loadGlobalMean(this.runId)) this.o.states.saveGlobalMean(this.runId, means);
    return metrics;
  }

  dispose(): void {
    this.encoder?.dispose();
    this.evalEncoder?.dispose();
    this.encoder = undefined;
    this.evalEncoder = undefined;
  }

  /** The global state as of the last applied round (0 = initial weights). */
  globalState(): RunGlobalState {
    this.state ??= this.o.states.load(this.runId) ?? this.initialState();
    return this.state;
  }

  private initialState(): RunGlobalState {
    const weights = initialWeights(this.spec);
    return { round: 0, weights, serverState: initialServerState(this.spec, this.strategy, weights) };
  }

  /**
   * What this run has used at this site so far: DP-SGD steps and released updates. Every
   * training counts, a re-trained round included: the site cannot know whether its first
   * upload of that round was counted, and each training draws fresh noise over the same data.
   */
  private spentSoFar(): { steps: number; releases: number } {
    const entries = this.o.ledger.entries().filter((e) => e.runId === this.runId && e.event !== 'accept');
    return { steps: entries.at(-1)?.steps ?? 0, releases: entries.length };
  }

  /**
   * Trains from the current global weights and returns the update vector to encode:
   * DP-SGD when the spec asks (stopping before a step past the site's budget), then the
   * site-level clip and this site's share of the noise, exactly once per round.
   */
  async train(fit: FitConfig, codec: CodecDescriptor): Promise<{ vector: Float64Array; numExamples: number; trainLoss: number }> {
    if (!(Number.isSafeInteger(fit.round) && fit.round >= 1 && fit.round <= this.spec.rounds)) {
      throw new CohortError(SiteErrors.TASK_UNBOUND, `run ${this.runId}: round ${fit.round} is outside the spec's rounds 1..${this.spec.rounds}; not trained`, { details: { runId: this.runId, round: fit.round, field: 'round' } });
    }
    this.fitFor(fit.round, fit);
    const global = this.globalState();
    // No replays: never a round before the last one trained here, nor one whose aggregate is applied.
    const lastTrained = Math.max(0, ...this.o.ledger.entries().filter((e) => e.runId === this.runId && e.event !== 'accept').map((e) => e.round));
    if (fit.round < lastTrained || fit.round <= global.round) {
      throw new CohortError(SiteErrors.TASK_UNBOUND, `run ${this.runId}: round ${fit.round} comes before what this site holds (trained round ${lastTrained}, applied round ${global.round}); not trained again`, {
        details: { runId: this.runId, round: fit.round, field: 'round' },
      });
    }
    const data = await this.data();
    const n = data.train.rows;
    const delta = this.delta(n);
    const { record } = this.spec.privacy ?? {};
    const { samplingRate, stepsPerRound } = dpSgdSchedule(this.spec.training, n);
    const { steps: taken, releases } = this.spentSoFar();
    const exposure = exposureOf(codec.kind);
    const siteAfter = runSpendAfter(this.spec, samplingRate, 0, releases + 1, delta, exposure).siteEpsilon;
    // What the other runs hold: their spend, or their reservation while they run.
    const remaining = this.maxEpsilon - this.o.ledger.totalCommitted({ excludeRun: this.runId }).epsilon;
    const maxSteps = Number.isFinite(this.maxEpsilon)
      ? stepsWithinBudget({ record: record && { samplingRate, noiseMultiplier: record.noiseMultiplier }, stepsTaken: taken, maxSteps: stepsPerRound, remainingEpsilon: Math.max(0, remaining), delta, siteEpsilon: siteAfter })
      : stepsPerRound;
    const stopped = this.o.ledger.entries().some((e) => e.runId === this.runId && e.event === 'stop');
    if (maxSteps === 0 || stopped) {
      if (!stopped) this.o.ledger.append({ ...runSpendAfter(this.spec, samplingRate, taken, releases, delta, exposure), runId: this.runId, round: fit.round, event: 'stop', steps: taken });
      throw new CohortError(PrivacyErrors.BUDGET_EXCEEDED, `round ${fit.round} would take this site past its privacy budget (epsilon ${this.maxEpsilon}); it stops here`, {
        details: { round: fit.round, maxEpsilon: this.maxEpsilon },
      });
    }
    const result = await trainLocal({
      spec: this.spec,
      weights: global.weights,
      data: data.train,
      fit,
      seed: trainingSeed(this.spec.seed, fit.round, this.o.site),
      ...(record ? { dp: recordDpOptions(this.spec, n, { maxSteps }) } : {}),
    });
    const stepsTotal = taken + (record ? result.steps : 0);
    // The site-level noise is drawn here, once per site per round.
    const vector = siteUpdateVector({
      spec: this.spec,
      global: global.weights,
      trained: result.weights,
      // The weight of a weighted update is a released count (withheld sites join only unweighted runs).
      numExamples: releasedCount(n, this.o.config.policy.release) ?? 1,
      codec,
      serverState: global.serverState,
      rng: GaussianSampler.secure(),
    });
    const spend = runSpendAfter(this.spec, samplingRate, stepsTotal, releases + 1, delta, exposure);
    this.o.ledger.append({ ...spend, runId: this.runId, round: fit.round, event: result.stoppedEarly ? 'stop' : 'round', steps: stepsTotal });
    // The training loss is one of the site's own metrics: it leaves only if the policy says so.
    return { vector, numExamples: n, trainLoss: this.o.config.policy.release.siteMetrics ? result.meanLoss : Number.NaN };
  }

  /**
   * The fit configuration of `round`, as the accepted spec's strategy gives it. Refuses one
   * the coordinator sent (`offered`: parsed, or the task's JSON) that differs: another
   * strategy setting (FedProx's mu on a FedAvg run) or another round than the task's.
   */
  fitFor(round: number, offered: unknown): FitConfig {
    const expected = this.strategy.configureFit(round);
    let fit = offered;
    if (typeof offered === 'string') {
      try {
        fit = JSON.parse(offered) as unknown;
      } catch {
        fit = undefined;
      }
    }
    if (!isDeepStrictEqual(fit, expected)) {
      throw new CohortError(SiteErrors.TASK_UNBOUND, `run ${this.runId}: the round ${round} task's fit configuration is not the one the accepted spec's strategy (${this.strategy.name}) gives; not trained`, {
        details: { runId: this.runId, round, field: 'fit' },
      });
    }
    return expected;
  }

  /** Applies the decoded aggregate of `round` with the strategy's server step and saves it. */
  applyAggregate(round: number, summed: Float64Array): RunGlobalState {
    const global = this.globalState();
    if (global.round !== round - 1) throw new Error(`cannot apply round ${round} on top of round ${global.round}`);
    const step = applyDecodedAggregate(this.spec, this.strategy, global, summed, round);
    const next: RunGlobalState = { round, ...step };
    this.o.states.save(this.runId, next);
    this.state = next;
    return next;
  }

  /**
   * Ends the run at this site (it finished, was cancelled or failed): its stop entry releases
   * the part of its reservation it did not spend. Nothing if it never started here or already stopped.
   */
  end(): void {
    this.o.ledger.release(this.runId);
  }

  /** This run's spend so far at this site, for the coordinator's run status. */
  privacySpent(): PrivacySpend | null {
    const last = this.o.ledger.entries().filter((e) => e.runId === this.runId).at(-1);
    if (!last) return null;
    return this.reported(last, last.steps, last.event === 'stop');
  }

  /**
   * A spend as it leaves the site. Its figures are functions of the record count (delta
   * 1/(10 n), sampling rate batch/n, steps per round), so unless the count is released exactly
   * they go out as bounds over every count the release covers: for `rounded`, the largest
   * planned figures over the rounding bucket (or the spend itself where a re-trained round took
   * it past them), rounded up, without a step count; for `withheld`, no figures (NaN).
   */
  private reported(spend: RunSpend, steps: number, stopped: boolean): PrivacySpend {
    const release = this.o.config.policy.release;
    const exact = toProto(spend, steps, stopped, release);
    if (release.recordCounts === 'exact') return exact;
    this.bucketPlan ??= this.planOverReleasedCounts();
    if (this.bucketPlan === undefined) return { ...exact, epsilon: Number.NaN, delta: Number.NaN, recordEpsilon: Number.NaN, siteEpsilon: Number.NaN, steps: '0' };
    const bound = (planned: number, actual: number): number => roundUpPrivacy(Math.max(planned, actual), 2);
    const b = this.bucketPlan;
    return { ...exact, epsilon: bound(b.epsilon, spend.epsilon), delta: bound(b.delta, spend.delta), recordEpsilon: bound(b.recordEpsilon, spend.recordEpsilon), siteEpsilon: bound(b.siteEpsilon, spend.siteEpsilon), steps: '0' };
  }

  /**
   * The largest planned spend over every count the site's release covers, for the codec it
   * accepted (recorded before any report); undefined when withheld (or the data is not loaded).
   */
  private planOverReleasedCounts(): RunSpend | undefined {
    const counts = this.dataset ? countsReleasedAs(this.dataset.train.rows, this.o.config.policy.release, this.o.config.policy.minExamples) : undefined;
    if (counts === undefined) return undefined;
    const exposure = exposureOf(this.o.states.acceptedCodec(this.runId)?.kind ?? 'bfv');
    return counts
      .map((n) => planRunSpend(this.spec, n, this.delta(n), { exposure }))
      .reduce<RunSpend>((m, p) => ({ epsilon: Math.max(m.epsilon, p.epsilon), delta: Math.max(m.delta, p.delta), recordEpsilon: Math.max(m.recordEpsilon, p.recordEpsilon), siteEpsilon: Math.max(m.siteEpsilon, p.siteEpsilon) }), { epsilon: 0, delta: 0, recordEpsilon: 0, siteEpsilon: 0 });
  }

  /**
   * Evaluates `weights` on the held-out split: the evaluation vector under the run's codec, and
   * the site's own metrics only when its release policy lets them go (undefined otherwise).
   */
  async evaluate(weights: Float32Array): Promise<SiteEvaluationReport> {
    const data = await this.data();
    const probabilities = await predictProbabilities(this.spec, weights, data.test);
    const layout = this.evalLayout;
    // cox-ph: the "probabilities" are the risk scores, and the base part is the survival vector (C-index pair counts).
    const vector = layoutVector(layout, layout.survival ? survivalEvaluationVector(probabilities, survivalTimes(data.test), data.test.y) : evaluationVector(probabilities, data.test.y));
    if (layout.fairness.length > 0) fairnessVector(layout.fairness, probabilities, data.test.y, data.testGroups, vector, layout.fairnessOffset);
    if (layout.explanations) {
      // From the round after the first decrypted sum on: attributions against the consortium's mean test row.
      const baseline = this.o.states.loadGlobalMean(this.runId);
      const attribution = baseline ? await attributeRows(this.spec, weights, data.test, baseline) : undefined;
      // The row count and column sums (the baseline's) go in the first round only: a later sum would hold only the sites without a baseline.
      const means = !baseline && this.globalState().round <= 1;
      explanationVector(layout.explanations, data.test.x, data.test.rows, attribution, vector, layout.explanationsOffset, means);
    }
    const chunks = [...this.evaluationEncoder().encode(vector)];
    // siteMetrics needs exact counts (site-config.ts): a shared accuracy is a ratio of them.
    if (!this.o.config.policy.release.siteMetrics) return { chunks, own: undefined };
    return { chunks, own: layout.survival ? ownSurvivalMetrics(probabilities, data.test) : metricsOf(probabilities, data.test) };
  }
}

/** A survival split's follow-up times (prepareDataset reads them under a survival label). */
function survivalTimes(m: Matrix): Float64Array {
  if (m.time === undefined) throw new RangeError('a cox-ph evaluation needs the rows\' follow-up times');
  return m.time;
}

/**
 * A site's own metrics for a cox-ph run, in the fields of the report: `auc` carries its test
 * C-index (the consortium metrics' convention, evaluation-layout.ts), `loss` and `accuracy` NaN.
 */
function ownSurvivalMetrics(risk: Float32Array, test: Matrix): EvaluationResult {
  const s = survivalMetricsOf(risk, test);
  return { numExamples: s.numExamples, loss: Number.NaN, accuracy: Number.NaN, auc: s.cIndex };
}
