/**
 * The Shamir thresholds of a masked round. Kept apart from protocol.ts so that the coordinator
 * (masked-run.ts) can use them without importing anything that reaches the HE key's modules.
 */

/** The smallest threshold accepted: a strict majority of the cohort. */
export const majorityThreshold = (n: number): number => Math.floor(n / 2) + 1;

/**
 * The default threshold: the smallest majority that also holds against the coordinator plus
 * one colluding site. A coordinator that sends different survivor sets to different sites can
 * collect a site's self-mask shares from one group and its mask-key shares from another; a
 * colluder gives both kinds, so it needs 2(T - 1) honest answers out of n - 1, which is
 * impossible when T > (n + 1) / 2. For even n this is the plain majority; for odd n one more.
 */
export const defaultThreshold = (n: number): number => Math.min(n, Math.floor((n + 1) / 2) + 1);
