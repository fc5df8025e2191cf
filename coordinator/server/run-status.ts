/** Builds the RunStatus message from durable state: one view for status, watch and the demo. */
import type { RunStatus } from '../../protos/gen/cohort/v1/RunStatus.ts';
import type { Metrics } from '../../protos/gen/cohort/v1/Metrics.ts';
import type { StateStore } from '../state/store.ts';
import { isMaskedRun, type MaskingSpec } from '../../core/secure-agg/masked-run.ts';

/**
 * Stored metrics JSON (NaN stored as null) to the Metrics message. `survival`: the run is
 * cox-ph, whose consortium metrics hold a survival report and whose site metrics carry the
 * site's C-index in `auc` (evaluation-layout.ts).
 */
function metrics(json: string | null, survival: boolean): Metrics | null {
  if (!json) return null;
  const m = JSON.parse(json) as {
    numExamples: number; loss: number | null; accuracy: number | null; auc: number | null; evaluators?: number; aucResolution?: number | null;
    survival?: { cIndex: number | null; meanCIndex: number | null };
  };
  const num = (x: number | null | undefined): number => x ?? Number.NaN;
  const cIndex = !survival ? Number.NaN : m.survival ? num(m.survival.cIndex) : num(m.auc);
  const meanCIndex = survival && m.survival ? num(m.survival.meanCIndex) : Number.NaN;
  return { numExamples: String(m.numExamples), loss: num(m.loss), accuracy: num(m.accuracy), auc: num(m.auc), evaluators: m.evaluators ?? 0, aucResolution: m.aucResolution ?? 0, cIndex, meanCIndex };
}

export function runStatus(store: StateStore, runId: string): RunStatus | undefined {
  const run = store.getRun(runId);
  if (!run) return undefined;
  const survival = (JSON.parse(run.spec_json) as { model?: { family?: string } }).model?.family === 'cox-ph';
  return {
    runId: run.run_id,
    name: run.name,
    state: run.state,
    currentRound: run.current_round,
    rounds: run.rounds,
    strategy: run.strategy,
    // A pending encrypted run is still an encrypted run; its parameters are fixed when recruiting ends.
    codec: (JSON.parse(run.codec_json) as { kind: string }).kind.replace(/-pending$/, ''),
    masked: isMaskedRun(JSON.parse(run.spec_json) as MaskingSpec, { kind: (JSON.parse(run.codec_json) as { kind: string }).kind.replace(/-pending$/, '') }),
    codecJson: run.codec_json,
    modelId: run.model_id ?? '',
    submittedBy: run.submitted_by,
    specSha256: run.spec_sha256,
    sites: store.runSites(runId).map((s) => ({
      site: s.site,
      state: s.state,
      reason: s.reason_code ? `${s.reason_code}: ${s.reason ?? ''}` : '',
      numExamples: String(s.num_examples),
      datasetFingerprint: s.dataset_fingerprint ?? '',
      privacyJson:
        s.planned_json || s.privacy_json
          ? JSON.stringify({ planned: s.planned_json ? (JSON.parse(s.planned_json) as unknown) : null, spent: s.privacy_json ? (JSON.parse(s.privacy_json) as unknown) : null })
          : '',
    })),
    roundStatus: store.rounds(runId).map((r) => ({
      round: r.round,
      state: r.state,
      contributors: r.contributors,
      openedAtMs: String(r.opened_at_ms),
      closedAtMs: String(r.closed_at_ms ?? 0),
      metrics: metrics(r.metrics_json, survival),
      sites: store.roundSites(runId, r.round).map((s) => ({
        site: s.site,
        state: s.state,
        evalState: s.eval_state,
        scoreState: s.score_state,
        // Present only when the site's release policy sent them.
        metrics: metrics(s.eval_json, survival),
        failureCode: s.failure_code ?? '',
        failure: s.failure ?? '',
        weightsSha256: s.weights_sha256 ?? '',
        // NaN (not sent: DP, or the site keeps its own metrics) is stored as NULL.
        trainLoss: s.train_loss ?? Number.NaN,
      })),
    })),
    errorCode: run.error_code ?? '',
    error: run.error ?? '',
    finalWeightsSha256: run.final_weights_sha256 ?? '',
    createdAtMs: String(run.created_at_ms),
    updatedAtMs: String(run.updated_at_ms),
  };
}
