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

/** How the policy releases record counts, as printed with the guarantee: `exact`, `rounded to 10`, `withheld`. */
export function recordCountsLabel(policy: ReleasePolicy): string {
  return policy.recordCounts === 'rounded' ? `rounded to ${policy.roundTo}` : policy.recordCounts;
}
