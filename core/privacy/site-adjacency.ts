/**
 * Every site-level figure of a run, each for a stated neighbouring relation and observer,
 * computed with the RDP accountant as R releases of the Gaussian mechanism (q = 1, R steps)
 * at the site's delta. One function, siteLevelFigures, used by the plan (`cohort privacy
 * plan`), the site's decision to accept a run, and the ledger's per-round charge.
 *
 * Adjacency (docs/privacy-accounting.md): zero-out (Kairouz et al. 2021). The neighbour of a
 * consortium replaces one site's data by the null site, which the mechanism maps to update 0
 * and count contribution 1/2 (so 0 for the centred count b_k - 1/2). The update sum then has
 * sensitivity S and the count sum 1/2, and the pair (update, count) is one Gaussian mechanism
 * of multiplier z with z^-2 = z_update^-2 + (2 sigma_b)^-2 (adaptive-clipping.ts); with fixed
 * clipping it is z itself. The contributor count K stays the same (the null site takes part),
 * so releasing it exactly costs nothing under this relation.
 *
 * Beside it:
 * - replace-one (the same site with any other data): sensitivity 2S and 1, so
 *   z_replace^-2 = (z_update / 2)^-2 + sigma_b^-2; with fixed clipping z / 2;
 * - against a participating site, which knows its own noise share (1 / minSites of the
 *   variance): z * sqrt((m - 1) / m), m = minSites (participantsFactor; with minSites 1,
 *   z: a round with another participant has at least two sites, each adding all of z);
 * - against the coordinator: z / sqrt(minSites). Under the plain codec it sees each update
 *   with only its own share of the noise. Under encryption it sees no update, but the sites do
 *   not yet verify that a round's sum is over distinct sites' contributions: a coordinator can
 *   present one site's ciphertext minSites times as the "sum", which every participant then
 *   decrypts, carrying that site's share of the noise only. Until contributions are signed and
 *   checked (the masked-aggregation issue), the encrypted runs are charged as the plain ones.
 *
 * Two figures are what the accounting uses:
 * - the hospital-level figure (`chargedEpsilon`): the weakest zero-out guarantee over the
 *   observers that apply (the largest epsilon), today the one against the coordinator;
 * - the patient-level bound from site-level noise (`epsilonForPatients`): one patient's record
 *   changes its site's update by up to 2S and its count bit by up to 1, i.e. replace-one, not
 *   zero-out; against the same weakest observer: multiplier z_replace / sqrt(minSites). A
 *   patient's guarantee is min(record-level epsilon, this), and that is what the ledger charges
 *   and the site's cap applies to (run-budget.ts).
 */
import { adaptiveUpdateNoiseMultiplier } from './adaptive-clipping.ts';
import { computeEpsilon, type AccountantOptions } from './rdp-accountant.ts';
import type { SiteDpConfig } from './site-dp.ts';
import { checkDelta, checkNoiseMultiplier, checkPositiveInteger, checkSteps } from './validate.ts';

/** How a site's update leaves it: encrypted (BFV; the coordinator sees only ciphertexts) or in plaintext (the `plain` codec). */
export type SiteExposure = 'encrypted' | 'plaintext';

/** The observer the charged site-level figure is against. */
export type ChargedObserver = 'participants' | 'coordinator';

/** What siteLevelFigures needs. */
export interface SiteLevelInput {
  /** The spec's `privacy.site`. */
  readonly site: SiteDpConfig;
  /** R: released updates (rounds). */
  readonly rounds: number;
  /** The spec's minSites: every round sums at least that many updates, and each site adds 1 / minSites of the noise variance. */
  readonly minSites: number;
  readonly delta: number;
  /** Default 'encrypted'. */
  readonly exposure?: SiteExposure;
}

/** The noise multipliers of one round under each relation and observer (noise standard deviation over sensitivity). */
export interface SiteLevelMultipliers {
  /** z: zero-out, against whoever reads only the aggregate. */
  readonly zeroOut: number;
  /** Replace-one, against whoever reads only the aggregate: z / 2 with fixed clipping. */
  readonly replaceOne: number;
  /** Zero-out, against a participating site that knows its own share: z sqrt((m - 1) / m). */
  readonly againstParticipants: number;
  /** Zero-out, against the coordinator: z / sqrt(minSites) (sums are not yet verified, so under encryption too). */
  readonly againstCoordinator: number;
  /** Replace-one against the weakest observer: the site-level bound on one patient's record, z_replace / sqrt(minSites). */
  readonly forPatients: number;
}

/** Every site-level figure of R rounds at the site's delta. Epsilons are Infinity where a multiplier is 0. */
export interface SiteLevelFigures {
  /** Zero-out epsilon against the aggregate's readers (multiplier z). */
  readonly epsilon: number;
  readonly epsilonReplaceOne: number;
  readonly epsilonAgainstParticipants: number;
  readonly epsilonAgainstCoordinator: number;
  /** The hospital-level figure: the largest epsilon among the zero-out figures that apply. */
  readonly chargedEpsilon: number;
  readonly chargedAgainst: ChargedObserver;
  /** The site-level bound on one patient's record (replace-one, weakest observer): what a patient's guarantee takes beside the record level. */
  readonly epsilonForPatients: number;
  readonly delta: number;
  /** z, the spec's total site-level multiplier. */
  readonly noiseMultiplier: number;
  /** z_update: z with fixed clipping, (z^-2 - (2 sigma_b)^-2)^(-1/2) with adaptive clipping. */
  readonly updateNoiseMultiplier: number;
  /** sigma_b, only with adaptive clipping. */
  readonly countNoiseMultiplier?: number;
  readonly multipliers: SiteLevelMultipliers;
  readonly rounds: number;
  readonly minSites: number;
  readonly exposure: SiteExposure;
}

/** x^-2 of a multiplier, with 0 -> Infinity (no noise) kept exact. */
const inverseSquare = (m: number): number => (m === 0 ? Infinity : m ** -2);
/** The multiplier of a sum of inverse squares: (sum)^(-1/2), Infinity -> 0. */
const fromInverseSquare = (s: number): number => (s === Infinity ? 0 : s ** -0.5);

/**
 * Against a participating site: the unknown noise is the other sites' shares. With K >= minSites
 * summands each adding (z S)^2 / minSites, a participant misses (K - 1) / minSites of (z S)^2;
 * the least is at K = max(minSites, 2) (a round with another participant has two sites at least).
 */
export function participantsFactor(minSites: number): number {
  const m = checkPositiveInteger(minSites, 'minSites');
  return Math.sqrt((Math.max(m, 2) - 1) / m);
}

/**
 * Whether the sites verify that an encrypted round's sum is over distinct sites' signed
 * contributions. Not yet (the masked-aggregation issue builds it): until then a coordinator can
 * make a "sum" of one site's ciphertext, and encryption earns no more than the plain codec
 * against it.
 */
export const ENCRYPTED_SUMS_VERIFIED = false;

/** The multiplier `m0` becomes against the coordinator: m0 / sqrt(minSites) unless it provably sees only verified sums. */
function coordinatorMultiplier(m0: number, minSites: number, exposure: SiteExposure): number {
  return exposure === 'encrypted' && ENCRYPTED_SUMS_VERIFIED ? m0 : m0 / Math.sqrt(minSites);
}

/** The per-round multipliers of `site` (see the file comment). */
export function siteLevelMultipliers(site: SiteDpConfig, minSites: number, exposure: SiteExposure = 'encrypted'): SiteLevelMultipliers & { readonly update: number } {
  const z = checkNoiseMultiplier(site.noiseMultiplier, 'privacy.site.noiseMultiplier');
  const m = checkPositiveInteger(minSites, 'minSites');
  const update = site.adaptive === undefined ? z : adaptiveUpdateNoiseMultiplier(z, site.adaptive.countNoiseMultiplier);
  const replaceOne =
    site.adaptive === undefined ? z / 2 : fromInverseSquare(inverseSquare(update / 2) + inverseSquare(checkNoiseMultiplier(site.adaptive.countNoiseMultiplier)));
  return {
    update,
    zeroOut: z,
    replaceOne,
    againstParticipants: z * participantsFactor(m),
    againstCoordinator: coordinatorMultiplier(z, m, exposure),
    forPatients: coordinatorMultiplier(replaceOne, m, exposure),
  };
}

/**
 * Every site-level figure of `rounds` releases at `delta`, each with the RDP accountant at
 * sampling rate 1 and `rounds` steps.
 * @throws CohortError COHORT_E_PRIVACY_INVALID_ARGUMENT on out-of-range inputs (named in the message).
 * @throws CohortError COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL when the count noise leaves nothing for the update.
 */
export function siteLevelFigures(input: SiteLevelInput, options: AccountantOptions = {}): SiteLevelFigures {
  const rounds = checkSteps(input.rounds, 'rounds');
  const delta = checkDelta(input.delta);
  const minSites = checkPositiveInteger(input.minSites, 'minSites');
  const exposure = input.exposure ?? 'encrypted';
  const { update, ...multipliers } = siteLevelMultipliers(input.site, minSites, exposure);
  const eps = (sigma: number): number => computeEpsilon({ q: 1, sigma, steps: rounds, delta }, options).epsilon;
  const epsilon = eps(multipliers.zeroOut);
  const epsilonReplaceOne = eps(multipliers.replaceOne);
  const epsilonAgainstParticipants = eps(multipliers.againstParticipants);
  const epsilonAgainstCoordinator = eps(multipliers.againstCoordinator);
  const epsilonForPatients = eps(multipliers.forPatients);
  // The weakest zero-out guarantee that applies; ties go to the participants (the figure under encryption).
  const chargedAgainst: ChargedObserver = epsilonAgainstCoordinator > epsilonAgainstParticipants ? 'coordinator' : 'participants';
  const adaptive = input.site.adaptive;
  return {
    epsilon,
    epsilonReplaceOne,
    epsilonAgainstParticipants,
    epsilonAgainstCoordinator,
    chargedEpsilon: Math.max(epsilon, epsilonAgainstParticipants, epsilonAgainstCoordinator),
    chargedAgainst,
    epsilonForPatients,
    delta,
    noiseMultiplier: multipliers.zeroOut,
    updateNoiseMultiplier: update,
    ...(adaptive === undefined ? {} : { countNoiseMultiplier: adaptive.countNoiseMultiplier }),
    multipliers,
    rounds,
    minSites,
    exposure,
  };
}
