/**
 * The numbers of its own a site lets leave it beside its DP-noised updates, as its policy's
 * `release` section says (site-config.ts ReleasePolicySchema). No epsilon covers them, so
 * every path that sends one goes through here.
 */
import type { ReleasePolicy } from '../site-config.ts';

/**
 * The record count the site sends for `n` training rows: exact, rounded half up to a multiple of
 * the unit (never below one unit, so a small site does not show as 0), or undefined when withheld.
 */
export function releasedCount(n: number, policy: ReleasePolicy): number | undefined {
  switch (policy.recordCounts) {
    case 'exact':
      return n;
    case 'rounded':
      return Math.max(policy.roundTo, Math.floor(n / policy.roundTo + 0.5) * policy.roundTo);
    case 'withheld':
      return undefined;
  }
}

/**
 * Every training-row count at or above `minimum` that the policy releases as it releases `n`:
 * `[n]` for exact, the rounding bucket for rounded, undefined for withheld (any count). What a
 * site reports that depends on its count is bounded over this set, so it says no more than the
 * released count does.
 */
export function countsReleasedAs(n: number, policy: ReleasePolicy, minimum: number): number[] | undefined {
  const released = releasedCount(n, policy);
  if (released === undefined) return undefined;
  if (policy.recordCounts === 'exact') return [n];
  // Half up: released r covers [r - u/2, r + u/2), and the lowest unit also every count below it.
  const u = policy.roundTo;
  const lo = Math.max(minimum, released === u ? 1 : Math.ceil(released - u / 2));
  const hi = Math.ceil(released + u / 2) - 1;
  return Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => lo + i);
}

/**
 * Codes whose messages never carry a count or a figure derived from one: the site's policy
 * refusals and the key and codec checks. Every other message (data preparation, training, the
 * ledger) may, e.g. "N rows kept", so it leaves a site that does not release its count exactly
 * only as its code.
 */
const COUNT_FREE_CODES = new Set([
  'COHORT_E_SITE_CODEC_REFUSED',
  'COHORT_E_SITE_SUBMITTER_NOT_ALLOWED',
  'COHORT_E_SITE_FEATURE_NOT_ALLOWED',
  'COHORT_E_SITE_COUNT_WITHHELD',
  'COHORT_E_SITE_COHORT_TOO_SMALL',
  'COHORT_E_SITE_DATASET_UNKNOWN',
  'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
]);

/**
 * The text a site sends the coordinator for an error (a decline reason, a failure report): the
 * message when the count is released exactly or the code's messages carry no count, else a
 * fixed text; the full message stays in the site's own log.
 */
export function releasedMessage(code: string, message: string, policy: ReleasePolicy): string {
  if (policy.recordCounts === 'exact' || COUNT_FREE_CODES.has(code) || code.startsWith('COHORT_E_SECURE_AGG_')) return message;
  return 'details are in the site\'s own log (its policy does not release its record count, which such messages can carry)';
}

/** How the policy releases record counts, as printed with the guarantee: `exact`, `rounded to 10`, `withheld`. */
export function recordCountsLabel(policy: ReleasePolicy): string {
  return policy.recordCounts === 'rounded' ? `rounded to ${policy.roundTo}` : policy.recordCounts;
}
