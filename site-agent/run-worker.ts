/**
 * What a site does for one run, independent of transport: decide on the offer against
 * its policy, train for a round, apply an aggregate with the strategy's server step,
 * evaluate. The agent (agent.ts) moves bytes; this file holds the decisions.
 */
import { createHash } from 'node:crypto';
import { CohortError, SiteErrors } from '../core/errors/index.ts';
import { meanFromWeightedSum, strategyFromSpec, updateVectorFrom, type FitConfig, type Strategy } from '../core/strategies/index.ts';
import { createPlainEncoder, type CodecDescriptor, type UpdateEncoder } from '../core/update-codec/index.ts';
import { initialWeights } from '../models/weight-layout.ts';
import { trainingSeed } from './training/training-seed.ts';
import type { ModelSpec } from '../models/spec-schema.ts';
import { prepareDataset, type PreparedDataset } from './data/prepare-dataset.ts';
import type { RunStateStore, RunGlobalState } from './run-state.ts';
import type { SiteConfig } from './site-config.ts';
import { evaluate, trainLocal } from './training/local-trainer.ts';

export interface OfferDecision {
  accept: boolean;
  reasonCode: string;
  reason: string;
  numExamples: number;
  fingerprint: string;
}

export function weightsSha256(weights: Float32Array): string {
  return createHash('sha256').update(Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength)).digest('hex');
}

export class RunWorker {
  readonly strategy: Strategy;
  private dataset: PreparedDataset | undefined;
  private encoder: UpdateEncoder | undefined;
  /** The global state in memory; the sealed file on disk is read once, written on every change. */
  private state: RunGlobalState | undefined;
  constructor(
    private readonly site: string,
    readonly runId: string,
    readonly spec: ModelSpec,
    private readonly config: SiteConfig,
    private readonly states: RunStateStore,
  ) {
    this.strategy = strategyFromSpec(spec.strategy);
  }

  /** Loads (once) the site's data for this spec: only the mapped columns are read. */
  async data(): Promise<PreparedDataset> {
    if (!this.dataset) {
      const mapping = this.config.datasets[this.spec.dataset];
      if (!mapping) {
        throw new CohortError(SiteErrors.DATASET_UNKNOWN, `this site has no dataset "${this.spec.dataset}" in its config`, { details: { dataset: this.spec.dataset } });
      }
      this.dataset = await prepareDataset({ spec: this.spec, mapping, phiAllowList: this.config.policy.phiAllowList });
    }
    return this.dataset;
  }

  /** The site's own decision, against its own policy; the coordinator cannot override it. */
  async decide(submittedBy: string): Promise<OfferDecision> {
    const decline = (e: CohortError): OfferDecision => ({ accept: false, reasonCode: e.code, reason: e.message, numExamples: 0, fingerprint: '' });
    const policy = this.config.policy;
    if (policy.allowedSubmitters.length > 0 && !policy.allowedSubmitters.includes(submittedBy)) {
      return decline(new CohortError(SiteErrors.SUBMITTER_NOT_ALLOWED, `runs from "${submittedBy}" are not allowed by this site's policy`));
    }
    if (policy.allowedFeatures.length > 0) {
      const refused = this.spec.features.map((f) => f.name).filter((f) => !policy.allowedFeatures.includes(f));
      if (refused.length > 0) return decline(new CohortError(SiteErrors.FEATURE_NOT_ALLOWED, `features not allowed by this site's policy: ${refused.join(', ')}`));
    }
    let data: PreparedDataset;
    try {
      data = await this.data();
    } catch (e) {
      if (e instanceof CohortError) return decline(e);
      throw e;
    }
    if (data.train.rows < policy.minExamples) {
      return decline(new CohortError(SiteErrors.COHORT_TOO_SMALL, `${data.train.rows} usable training rows, the site policy needs at least ${policy.minExamples}`));
    }
    return { accept: true, reasonCode: '', reason: '', numExamples: data.train.rows, fingerprint: data.fingerprint };
  }

  encoderFor(codec: CodecDescriptor): UpdateEncoder {
    if (!this.encoder) {
      if (codec.kind !== 'plain') throw new CohortError(SiteErrors.AGGREGATE_INVALID, `codec "${codec.kind}" is not supported by this agent`);
      this.encoder = createPlainEncoder(codec.length);
    }
    return this.encoder;
  }

  /** The global state as of `round` (0 = initial weights). */
  globalState(): RunGlobalState {
    this.state ??= this.states.load(this.runId) ?? this.initialState();
    return this.state;
  }

  private initialState(): RunGlobalState {
    const weights = initialWeights(this.spec);
    return { round: 0, weights, serverState: this.strategy.initialState(weights) };
  }

  /** Trains from the current global weights; returns the weighted update vector [n*delta..., n]. */
  async train(fit: FitConfig): Promise<{ vector: Float64Array; numExamples: number; trainLoss: number }> {
    const data = await this.data();
    const global = this.globalState();
    const result = await trainLocal({ spec: this.spec, weights: global.weights, data: data.train, fit, seed: trainingSeed(this.spec.seed, fit.round, this.site) });
    return { vector: updateVectorFrom(global.weights, result.weights, result.numExamples), numExamples: result.numExamples, trainLoss: result.meanLoss };
  }

  /** Applies the decoded aggregate of `round` with the strategy's server step and saves it. */
  applyAggregate(round: number, summed: Float64Array): RunGlobalState {
    const global = this.globalState();
    if (global.round !== round - 1) throw new Error(`cannot apply round ${round} on top of round ${global.round}`);
    const { meanDelta } = meanFromWeightedSum(summed);
    const step = this.strategy.applyAggregate(global.weights, meanDelta, global.serverState, round);
    const next: RunGlobalState = { round, weights: step.weights, serverState: step.state };
    this.states.save(this.runId, next);
    this.state = next;
    return next;
  }

  async evaluate(weights: Float32Array): Promise<{ numExamples: number; loss: number; accuracy: number; auc: number }> {
    const data = await this.data();
    return evaluate(this.spec, weights, data.test);
  }
}
