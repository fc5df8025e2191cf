/**
 * The explicit states of runs, sites in a run, rounds and sites in a round, and the
 * transitions each allows. The engine moves state only through `assertTransition`.
 */
export const RunState = {
  RECRUITING: 'RECRUITING',
  RUNNING: 'RUNNING',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

export const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  RECRUITING: ['RUNNING', 'FAILED', 'CANCELLED'],
  RUNNING: ['COMPLETED', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export const TERMINAL_RUN_STATES: readonly RunState[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export const RunSiteState = { INVITED: 'INVITED', ACCEPTED: 'ACCEPTED', DECLINED: 'DECLINED' } as const;
export type RunSiteState = (typeof RunSiteState)[keyof typeof RunSiteState];

/** COLLECTING: updates stream in. AGGREGATED: the sum is final, sites evaluate. CLOSED / FAILED: done. */
export const RoundState = { COLLECTING: 'COLLECTING', AGGREGATED: 'AGGREGATED', CLOSED: 'CLOSED', FAILED: 'FAILED' } as const;
export type RoundState = (typeof RoundState)[keyof typeof RoundState];

export const ROUND_TRANSITIONS: Readonly<Record<RoundState, readonly RoundState[]>> = {
  COLLECTING: ['AGGREGATED', 'FAILED'],
  AGGREGATED: ['CLOSED', 'FAILED'],
  CLOSED: [],
  FAILED: [],
};

/** A site's update in a round. */
export const SiteRoundState = { PENDING: 'PENDING', DELIVERED: 'DELIVERED', FAILED: 'FAILED' } as const;
export type SiteRoundState = (typeof SiteRoundState)[keyof typeof SiteRoundState];

/** A site's evaluation of the round's new global model. */
export const SiteEvalState = { WAITING: 'WAITING', PENDING: 'PENDING', EVALUATED: 'EVALUATED', FAILED: 'FAILED' } as const;
export type SiteEvalState = (typeof SiteEvalState)[keyof typeof SiteEvalState];

export function assertTransition<S extends string>(table: Readonly<Record<S, readonly S[]>>, what: string, from: S, to: S): void {
  if (!table[from].includes(to)) throw new Error(`illegal ${what} transition ${from} -> ${to}`);
}
