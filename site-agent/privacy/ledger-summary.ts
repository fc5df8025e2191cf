/** Per-run view of the privacy ledger, for the budget check and `cohort site privacy`. Pure. */
import type { EpsilonDelta } from '../../core/privacy/run-budget.ts';
import type { LedgerEntry } from './ledger-chain.ts';

/** One run's latest cumulative spend at this site. */
export interface RunLedgerSummary extends EpsilonDelta {
  readonly runId: string;
  readonly recordEpsilon: number;
  readonly siteEpsilon: number;
  /** The last round completed. */
  readonly rounds: number;
  readonly steps: number;
  /** ISO time of the run's latest entry. */
  readonly lastUpdate: string;
  /** True once the run has a stop entry. */
  readonly stopped: boolean;
  /** What the run holds against the cap (its reservation, the plan while it runs); absent for a run accepted without one. */
  readonly reserved?: EpsilonDelta;
}

/** Each run's latest entry, in order of first appearance. */
export function summarizeRuns(entries: readonly LedgerEntry[]): RunLedgerSummary[] {
  const byRun = new Map<string, RunLedgerSummary>();
  for (const e of entries) {
    byRun.set(e.runId, {
      runId: e.runId,
      epsilon: e.epsilon,
      delta: e.delta,
      recordEpsilon: e.recordEpsilon,
      siteEpsilon: e.siteEpsilon,
      rounds: e.round,
      steps: e.steps,
      lastUpdate: e.at,
      stopped: e.event === 'stop',
      ...(e.reservedEpsilon === undefined ? {} : { reserved: { epsilon: e.reservedEpsilon, delta: e.reservedDelta ?? e.delta } }),
    });
  }
  return [...byRun.values()];
}
