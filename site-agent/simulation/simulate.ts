/**
 * Federated rounds in one process, without TLS or sockets, for researchers and
 * benchmarks. It uses the same pieces as the networked path: the local trainer, the
 * update codec and chunk adder, and the strategy's server step and metric aggregation.
 */
import { strategyFromSpec, updateVectorFrom, meanFromWeightedSum, type AggregatedEvaluation, type SiteEvaluation } from '../../core/strategies/index.ts';
import { createChunkAdder, plainDescriptor } from '../../core/update-codec/index.ts';
import { PlainUpdateEncoder } from '../../core/update-codec/plain-codec.ts';
import type { Matrix } from '../../models/features.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { evaluate, trainLocal } from '../training/local-trainer.ts';
import { trainingSeed } from '../training/training-seed.ts';

export interface SimulatedSite {
  name: string;
  train: Matrix;
  test: Matrix;
}

export interface SimulatedRound {
  round: number;
  sites: SiteEvaluation[];
  metrics: AggregatedEvaluation;
}

export interface SimulationResult {
  rounds: SimulatedRound[];
  weights: Float32Array;
}

export async function simulate(spec: ModelSpec, sites: readonly SimulatedSite[], onRound?: (r: SimulatedRound) => void): Promise<SimulationResult> {
  const strategy = strategyFromSpec(spec.strategy);
  let weights = initialWeights(spec);
  let state = strategy.initialState(weights);
  const descriptor = plainDescriptor(weights.length + 1);
  const encoder = new PlainUpdateEncoder(descriptor);
  const adder = createChunkAdder(descriptor);
  const rounds: SimulatedRound[] = [];
  for (let round = 1; round <= spec.rounds; round++) {
    const fit = strategy.configureFit(round);
    const sums: Array<Uint8Array | undefined> = new Array(adder.chunkCount).fill(undefined);
    for (const site of sites) {
      const result = await trainLocal({ spec, weights, data: site.train, fit, seed: trainingSeed(spec.seed, round, site.name) });
      let i = 0;
      for (const chunk of encoder.encode(updateVectorFrom(weights, result.weights, result.numExamples))) {
        sums[i] = adder.add(sums[i], chunk, i);
        i++;
      }
    }
    const { meanDelta } = meanFromWeightedSum(encoder.decode(sums.map((s) => s ?? new Uint8Array())));
    const step = strategy.applyAggregate(weights, meanDelta, state, round);
    weights = step.weights;
    state = step.state;
    const evals: SiteEvaluation[] = [];
    for (const site of sites) evals.push({ site: site.name, ...(await evaluate(spec, weights, site.test)) });
    const r = { round, sites: evals, metrics: strategy.aggregateEvaluate(round, evals, []) };
    rounds.push(r);
    onRound?.(r);
  }
  return { rounds, weights };
}
