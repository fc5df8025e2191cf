/**
 * The explicit states of runs, sites in a run, rounds and sites in a round, and the
 * transitions each allows. The engine moves run and round state only through `assertTransition`.
 */
export type RunState = 'RECRUITING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  RECRUITING: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL_RUN_STATES: readonly RunState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export type RunSiteState = 'INVITED' | 'ACCEPTED' | 'DECLINED';

/**
 * COLLECTING: updates stream in. AGGREGATED: the sum is final, sites apply it and send their
 * encrypted evaluations. SCORING: the evaluations' sum is final, sites decrypt it and report
 * the consortium metrics. CLOSED / FAILED: done. A round with fewer than minSites evaluations
 * closes from AGGREGATED without consortium metrics.
 */
export type RoundState = 'KEYING' | 'SHARING' | 'COLLECTING' | 'UNMASKING' | 'AGGREGATED' | 'SCORING' | 'CLOSED' | 'FAILED';

/**
 * A masked round (docs/secure-aggregation.md) runs KEYING (the sites advertise signed round
 * mask keys) and SHARING (each deals sealed shares to the cohort) before COLLECTING, and
 * UNMASKING (the survivors release shares; the coordinator removes the masks from the sum)
 * between COLLECTING and AGGREGATED.
 */
export const ROUND_TRANSITIONS: Readonly<Record<RoundState, readonly RoundState[]>> = {
  KEYING: ['SHARING', 'FAILED'],
  SHARING: ['COLLECTING', 'FAILED'],
  COLLECTING: ['AGGREGATED', 'UNMASKING', 'FAILED'],
  UNMASKING: ['AGGREGATED', 'FAILED'],
  AGGREGATED: ['SCORING', 'CLOSED', 'FAILED'],
  SCORING: ['CLOSED', 'FAILED'],
  CLOSED: [],
  FAILED: [],
};

/** A site's update in a round. */
export type SiteRoundState = 'PENDING' | 'DELIVERED' | 'FAILED';

/** A site's part in the current masking stage of a round (KEYING, SHARING, UNMASKING). */
export type SiteMaskState = 'WAITING' | 'PENDING' | 'DONE' | 'FAILED';

/** A site's evaluation of the round's new global model. */
export type SiteEvalState = 'WAITING' | 'PENDING' | 'EVALUATED' | 'FAILED';

/** A site's report of the consortium metrics it decrypted from the round's summed evaluation. */
export type SiteScoreState = 'WAITING' | 'PENDING' | 'REPORTED' | 'FAILED';

export function assertTransition<S extends string>(table: Readonly<Record<S, readonly S[]>>, what: string, from: S, to: S): void {
  if (!table[from].includes(to)) throw new Error(`illegal ${what} transition ${from} -> ${to}`);
}
