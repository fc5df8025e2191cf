/** One JSON shape and one text layout for a run's status, used by status, watch and the demo. */
import type { RunStatus__Output } from '../protos/gen/cohort/v1/RunStatus.ts';

export interface MetricsJson {
  numExamples: number;
  loss: number;
  accuracy: number;
  auc: number;
}

export interface RunSummaryJson {
  runId: string;
  name: string;
  state: string;
  strategy: string;
  codec: string;
  errorCode: string | null;
  error: string | null;
  finalWeightsSha256: string | null;
  sites: Array<{ site: string; state: string; reason: string | null; numExamples: number; datasetFingerprint: string | null }>;
  rounds: Array<{
    round: number;
    state: string;
    contributors: number;
    sites: Array<{ site: string; state: string; evalState: string; failureCode: string | null; trainLoss: number; metrics: MetricsJson | null }>;
    metrics: MetricsJson | null;
  }>;
  final: MetricsJson | null;
}

function metrics(m: { numExamples: string; loss: number; accuracy: number; auc: number } | null): MetricsJson | null {
  return m ? { numExamples: Number(m.numExamples), loss: m.loss, accuracy: m.accuracy, auc: m.auc } : null;
}

export function summarizeRun(s: RunStatus__Output): RunSummaryJson {
  const rounds = s.roundStatus.map((r) => ({
    round: r.round,
    state: r.state,
    contributors: r.contributors,
    sites: r.sites.map((x) => ({ site: x.site, state: x.state, evalState: x.evalState, failureCode: x.failureCode || null, trainLoss: x.trainLoss, metrics: metrics(x.metrics) })),
    metrics: metrics(r.metrics),
  }));
  const closed = rounds.filter((r) => r.state === 'CLOSED');
  return {
    runId: s.runId,
    name: s.name,
    state: s.state,
    strategy: s.strategy,
    codec: s.codec,
    errorCode: s.errorCode || null,
    error: s.error || null,
    finalWeightsSha256: s.finalWeightsSha256 || null,
    sites: s.sites.map((x) => ({ site: x.site, state: x.state, reason: x.reason || null, numExamples: Number(x.numExamples), datasetFingerprint: x.datasetFingerprint || null })),
    rounds,
    final: closed.length > 0 ? (closed[closed.length - 1]?.metrics ?? null) : null,
  };
}

const f = (x: number | undefined, d = 3): string => (x === undefined || Number.isNaN(x) ? '  -  ' : x.toFixed(d));

export function formatRunStatus(s: RunStatus__Output): string {
  return formatRunSummary(summarizeRun(s));
}

export function formatRunSummary(j: RunSummaryJson): string {
  const lines = [`run ${j.runId} (${j.name}): ${j.state}  strategy ${j.strategy}  codec ${j.codec}`];
  if (j.errorCode) lines.push(`  error ${j.errorCode}: ${j.error ?? ''}`);
  lines.push('  sites:');
  for (const x of j.sites) lines.push(`    ${x.site.padEnd(16)} ${x.state.padEnd(9)} ${x.numExamples} training rows${x.reason ? `  (${x.reason})` : ''}`);
  lines.push('  round  state      sites  loss    accuracy  auc');
  for (const r of j.rounds) {
    lines.push(`  ${String(r.round).padStart(5)}  ${r.state.padEnd(10)} ${String(r.contributors).padStart(5)}  ${f(r.metrics?.loss, 4)}  ${f(r.metrics?.accuracy)}     ${f(r.metrics?.auc)}`);
    for (const x of r.sites) {
      lines.push(`         ${x.site.padEnd(16)} ${x.state.padEnd(9)} ${x.evalState.padEnd(9)} ${x.metrics ? `acc ${f(x.metrics.accuracy)} auc ${f(x.metrics.auc)} n=${x.metrics.numExamples}` : ''}${x.failureCode ? ` ${x.failureCode}` : ''}`);
    }
  }
  if (j.finalWeightsSha256) lines.push(`  final weights sha256 ${j.finalWeightsSha256}`);
  return `${lines.join('\n')}\n`;
}
