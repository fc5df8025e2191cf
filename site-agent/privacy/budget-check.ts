/**
 * The site's decision before it accepts a run: would the whole run, added to what the
 * site's other runs have spent or hold reserved (their planned spend while they run; basic
 * composition: epsilons add, deltas add), stay within the maximum its policy sets? The
 * coordinator cannot override it.
 */
import { formatPrivacy } from '../../core/privacy/format.ts';
import { PrivacyErrors } from '../../core/errors/index.ts';
import type { EpsilonDelta, RunSpend } from '../../core/privacy/run-budget.ts';

/** The answer: accept, or decline with a stable code and a reason that names the numbers. */
export type BudgetDecision = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly reason: string };

/** What checkRunAgainstBudget compares. */
export interface BudgetCheckInput {
  /** What the whole run would spend (planRunSpend). */
  readonly planned: RunSpend | EpsilonDelta;
  /** What the site's OTHER runs hold against the cap: spent, or reserved while running (ledger totalCommitted with this run excluded). */
  readonly spent: EpsilonDelta;
  /** The policy's maximum total epsilon; null or Infinity for no cap (policy.privacy.maxEpsilon). */
  readonly maxEpsilon: number | null;
  /** The policy's maximum total delta; null or Infinity for no cap (policy.privacy.maxDelta). */
  readonly maxDelta: number | null;
}

/** An epsilon or delta for people: 6 significant digits rounded up, or "unbounded". */
export const fmt = (x: number): string => formatPrivacy(x, 6);

function levels(planned: RunSpend | EpsilonDelta): string {
  if (!('recordEpsilon' in planned)) return '';
  return ` (record level ${fmt(planned.recordEpsilon)}, site level ${fmt(planned.siteEpsilon)})`;
}

/**
 * Accepts when spent + planned stays within (maxEpsilon, maxDelta), equality allowed.
 * A run without differential privacy (epsilon Infinity) is accepted only by a site with no epsilon cap.
 */
export function checkRunAgainstBudget(input: BudgetCheckInput): BudgetDecision {
  const { planned, spent } = input;
  const maxEpsilon = input.maxEpsilon ?? Infinity;
  const maxDelta = input.maxDelta ?? Infinity;
  const code = PrivacyErrors.BUDGET_EXCEEDED.code;
  const remainingEpsilon = maxEpsilon - spent.epsilon;
  if (!Number.isFinite(planned.epsilon) && Number.isFinite(maxEpsilon)) {
    return {
      ok: false,
      code,
      reason: `the run has no differential privacy (neither record- nor site-level noise), so its epsilon is unbounded; this site caps epsilon at ${fmt(maxEpsilon)}`,
    };
  }
  if (spent.epsilon + planned.epsilon > maxEpsilon) {
    return {
      ok: false,
      code,
      reason:
        `the run would spend epsilon ${fmt(planned.epsilon)}${levels(planned)} at delta ${fmt(planned.delta)}; ` +
        `this site has spent or reserved epsilon ${fmt(spent.epsilon)} of its maximum ${fmt(maxEpsilon)}, so ${fmt(Math.max(0, remainingEpsilon))} remains`,
    };
  }
  if (spent.delta + planned.delta > maxDelta) {
    return {
      ok: false,
      code,
      reason:
        `the run would spend delta ${fmt(planned.delta)}; this site has spent or reserved delta ${fmt(spent.delta)} ` +
        `of its maximum ${fmt(maxDelta)}, so ${fmt(Math.max(0, maxDelta - spent.delta))} remains`,
    };
  }
  return { ok: true };
}
