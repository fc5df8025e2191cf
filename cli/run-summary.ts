/** One JSON shape and one text layout for a run's status, used by status, watch and the demo. */
import { formatPrivacy } from '../core/privacy/format.ts';
import type { RunStatus__Output } from '../protos/gen/cohort/v1/RunStatus.ts';

export interface MetricsJson {
  numExamples: number;
  loss: number;
  accuracy: number;
  auc: number;
  /** Consortium metrics: the sites whose evaluations were summed (0 for a site's own metrics). */
  evaluators: number;
  /** Bound on the summed AUC's distance from the pooled rows' AUC (score histograms); 0 for a site's own. */
  aucResolution: number;
  /**
   * cox-ph runs, present when it is a number: Harrell's C-index (consortium: the pooled
   * concordance of the summed within-site pairs; a site's own: its test C-index) and, for the
   * consortium, the mean of the sites' C-indexes (FLamby's metric).
   */
  cIndex?: number;
  meanCIndex?: number;
}

/** A site's planned and spent privacy for the run; epsilon null = unbounded (no DP at that level). */
export interface SitePrivacyJson {
  planned: SpendJson | null;
  spent: SpendJson | null;
}

export interface SpendJson {
  epsilon: number | null;
  delta: number;
  recordEpsilon: number | null;
  siteEpsilon: number | null;
  steps: number;
  stoppedAtBudget: boolean;
  /** How the site releases its record count: exact, rounded to N, withheld (null: not reported). */
  recordCounts: string | null;
  /** Whether the site sends its own metrics to the coordinator. */
  siteMetrics: boolean;
}

function spend(x: unknown): SpendJson | null {
  if (x === null || typeof x !== 'object') return null;
  const o = x as Record<string, unknown>;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    epsilon: num(o.epsilon),
    delta: Number(o.delta ?? 0),
    recordEpsilon: num(o.recordEpsilon),
    siteEpsilon: num(o.siteEpsilon),
    steps: Number(o.steps ?? 0),
    stoppedAtBudget: o.stoppedAtBudget === true,
    recordCounts: typeof o.recordCounts === 'string' && o.recordCounts !== '' ? o.recordCounts : null,
    siteMetrics: o.siteMetrics === true,
  };
}

function sitePrivacy(json: string): SitePrivacyJson | null {
  if (!json) return null;
  const p = JSON.parse(json) as { planned?: unknown; spent?: unknown };
  return { planned: spend(p.planned), spent: spend(p.spent) };
}

export interface RunSummaryJson {
  runId: string;
  name: string;
  state: string;
  strategy: string;
  codec: string;
  /** Whether the run masks its updates: an encrypted run unless its spec says masking: false. */
  masked: boolean;
  errorCode: string | null;
  error: string | null;
  finalWeightsSha256: string | null;
  sites: Array<{ site: string; state: string; reason: string | null; numExamples: number; datasetFingerprint: string | null; privacy: SitePrivacyJson | null }>;
  /** The codec's public parameters and headroom (encrypted runs), as the run record holds them. */
  codecParameters: Record<string, unknown> | null;
  /** Registry id of the released final model. */
  modelId: string | null;
  rounds: Array<{
    round: number;
    state: string;
    contributors: number;
    /** `metrics`: the site's own, present only when its release policy sent them. */
    sites: Array<{ site: string; state: string; evalState: string; scoreState: string; failureCode: string | null; trainLoss: number; metrics: MetricsJson | null }>;
    /** The consortium metrics the sites decrypted and agreed on; null while open, or withheld. */
    metrics: MetricsJson | null;
  }>;
  final: MetricsJson | null;
}

function metrics(m: { numExamples: string; loss: number; accuracy: number; auc: number; evaluators: number; aucResolution: number; cIndex?: number; meanCIndex?: number } | null): MetricsJson | null {
  if (!m) return null;
  const survival = {
    ...(Number.isFinite(m.cIndex) ? { cIndex: m.cIndex } : {}),
    ...(Number.isFinite(m.meanCIndex) ? { meanCIndex: m.meanCIndex } : {}),
  };
  return { numExamples: Number(m.numExamples), loss: m.loss, accuracy: m.accuracy, auc: m.auc, evaluators: m.evaluators, aucResolution: m.aucResolution, ...survival };
}

/** A cox-ph round's C-indexes in the text layout (empty otherwise). */
function cIndexText(m: MetricsJson | null): string {
  if (m?.cIndex === undefined) return '';
  return `  C-index ${m.cIndex.toFixed(4)} (pooled pairs)${m.meanCIndex !== undefined ? `, mean over sites ${m.meanCIndex.toFixed(4)}` : ''}`;
}

export function summarizeRun(s: RunStatus__Output): RunSummaryJson {
  const rounds = s.roundStatus.map((r) => ({
    round: r.round,
    state: r.state,
    contributors: r.contributors,
    sites: r.sites.map((x) => ({ site: x.site, state: x.state, evalState: x.evalState, scoreState: x.scoreState, failureCode: x.failureCode || null, trainLoss: x.trainLoss, metrics: metrics(x.metrics) })),
    metrics: metrics(r.metrics),
  }));
  const closed = rounds.filter((r) => r.state === 'CLOSED');
  return {
    runId: s.runId,
    name: s.name,
    state: s.state,
    strategy: s.strategy,
    codec: s.codec,
    masked: s.masked,
    errorCode: s.errorCode || null,
    error: s.error || null,
    finalWeightsSha256: s.finalWeightsSha256 || null,
    sites: s.sites.map((x) => ({
      site: x.site,
      state: x.state,
      reason: x.reason || null,
      numExamples: Number(x.numExamples),
      datasetFingerprint: x.datasetFingerprint || null,
      privacy: sitePrivacy(x.privacyJson),
    })),
    codecParameters: s.codecJson ? (JSON.parse(s.codecJson) as Record<string, unknown>) : null,
    modelId: s.modelId || null,
    rounds,
    final: closed.length > 0 ? (closed[closed.length - 1]?.metrics ?? null) : null,
  };
}

const f = (x: number | undefined, d = 3): string => (x === undefined || Number.isNaN(x) ? '  -  ' : x.toFixed(d));

export function formatRunStatus(s: RunStatus__Output): string {
  return formatRunSummary(summarizeRun(s));
}

export function formatRunSummary(j: RunSummaryJson): string {
  const masking = j.codec === 'bfv' ? (j.masked ? ' (masked)' : ' (unmasked: masking: false)') : '';
  const lines = [`run ${j.runId} (${j.name}): ${j.state}  strategy ${j.strategy}  codec ${j.codec}${masking}`];
  if (j.errorCode) lines.push(`  error ${j.errorCode}: ${j.error ?? ''}`);
  lines.push('  sites:');
  const eps = (e: SpendJson | null | undefined): string => (e ? (e.epsilon === null ? 'unbounded' : formatPrivacy(e.epsilon, 3)) : '-');
  for (const x of j.sites) {
    const release = x.privacy?.planned ?? x.privacy?.spent;
    const privacy = !x.privacy
      ? ''
      : release?.recordCounts === 'withheld'
        ? '  epsilon withheld with the record count (the site\'s own ledger has it)'
        : `  epsilon spent ${eps(x.privacy.spent)} of planned ${eps(x.privacy.planned)}${release?.recordCounts?.startsWith('rounded') ? ' (bounds over the rounded count)' : ''}${x.privacy.spent?.stoppedAtBudget ? ' (stopped at budget)' : ''}`;
    const counts = release?.recordCounts === 'withheld' ? 'training rows withheld' : `${x.numExamples} training rows${release?.recordCounts ? ` (${release.recordCounts})` : ''}`;
    const own = release ? `; own metrics ${release.siteMetrics ? 'shared' : 'kept at the site'}` : '';
    lines.push(`    ${x.site.padEnd(16)} ${x.state.padEnd(9)} ${counts}${x.reason ? `  (${x.reason})` : ''}${privacy}${own}`);
  }
  lines.push('  round  state      sites  loss    accuracy  auc     (consortium: summed under the encryption, decrypted by the sites)');
  for (const r of j.rounds) {
    const res = r.metrics && r.metrics.aucResolution > 0 ? ` ±${f(r.metrics.aucResolution)}` : '';
    lines.push(`  ${String(r.round).padStart(5)}  ${r.state.padEnd(10)} ${String(r.contributors).padStart(5)}  ${f(r.metrics?.loss, 4)}  ${f(r.metrics?.accuracy)}     ${f(r.metrics?.auc)}${res}${cIndexText(r.metrics)}`);
    for (const x of r.sites) {
      lines.push(`         ${x.site.padEnd(16)} ${x.state.padEnd(9)} ${x.evalState.padEnd(9)} ${x.metrics ? `own: acc ${f(x.metrics.accuracy)} auc ${f(x.metrics.auc)}${cIndexText(x.metrics)} n=${x.metrics.numExamples}` : ''}${x.failureCode ? ` ${x.failureCode}` : ''}`);
    }
  }
  if (j.finalWeightsSha256) lines.push(`  final weights sha256 ${j.finalWeightsSha256}`);
  if (j.modelId) lines.push(`  released to the registry as ${j.modelId}`);
  return `${lines.join('\n')}\n`;
}

/**
 * A run's state on one line, for progress and for a wait's failure message:
 * `RUNNING round 2/3 COLLECTING [hospital-a DELIVERED/WAITING, hospital-b PENDING/WAITING]`.
 */
export function runStateLine(s: RunStatus__Output): string {
  const round = s.roundStatus.at(-1);
  const sites = round ? ` [${round.sites.map((x) => `${x.site} ${x.state}/${x.evalState}${x.scoreState === 'WAITING' ? '' : `/${x.scoreState}`}`).join(', ')}]` : '';
  const where = round ? ` round ${round.round}/${s.rounds} ${round.state}${sites}` : ` sites [${s.sites.map((x) => `${x.site} ${x.state}`).join(', ')}]`;
  const end = s.errorCode ? ` ${s.errorCode}` : '';
  return `${s.state}${where}${s.modelId ? ` model ${s.modelId}` : ''}${end}`;
}
