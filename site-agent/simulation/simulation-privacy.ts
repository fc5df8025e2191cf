/**
 * Privacy in a simulated run, computed as each site computes it (run-worker.ts): the
 * DP-SGD schedule from dpSgdSchedule (q = batchSize / n, steps per round), delta =
 * runDelta(n) (1 / (10 n), the default site policy), and the spend from the RDP
 * accountant over the steps actually taken and the rounds released, the site level charged as
 * a site would for the codec (plaintext or encrypted, site-adjacency.ts). The simulator has no
 * site policy, so no budget stops it; the spend is reported, per site.
 */
import { dpSgdSchedule, planRunSpend, runDelta, runSpendAfter } from '../../core/privacy/run-budget.ts';
import type { SiteExposure } from '../../core/privacy/site-adjacency.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';

/** What one site spent in a simulated run. Epsilons are Infinity without the matching noise. */
export interface SitePrivacySpend {
  readonly site: string;
  /** n: the site's training rows. */
  readonly records: number;
  /** The delta the run is accounted at: 1 / (10 n). */
  readonly delta: number;
  /** q = min(1, batchSize / n). */
  readonly samplingRate: number;
  /** DP-SGD steps taken over the run (0 without record-level DP). */
  readonly steps: number;
  /** Updates released (rounds). */
  readonly rounds: number;
  readonly recordEpsilon: number;
  readonly siteEpsilon: number;
  /** min(recordEpsilon, siteEpsilon): the patient's guarantee. */
  readonly epsilon: number;
  /** What the site would have computed before accepting the run (planRunSpend). */
  readonly plannedEpsilon: number;
}

/** A site's spend after `steps` DP-SGD steps and `rounds` released updates, its updates leaving it as `exposure` says. */
export function siteSpend(spec: ModelSpec, site: string, records: number, steps: number, rounds: number, exposure: SiteExposure): SitePrivacySpend {
  const delta = runDelta(records);
  const { samplingRate } = dpSgdSchedule(spec.training, records);
  const spend = runSpendAfter(spec, samplingRate, steps, rounds, delta, exposure);
  const planned = planRunSpend(spec, records, delta, { exposure });
  return { site, records, samplingRate, steps, rounds, ...spend, plannedEpsilon: planned.epsilon };
}
