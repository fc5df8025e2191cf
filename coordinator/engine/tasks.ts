/** The tasks a site should be working on, derived from durable state alone. */
import type { Task__Output } from '../../protos/gen/cohort/v1/Task.ts';
import type { MaskTaskData } from '../../core/secure-agg/masked-run.ts';
import type { SignedUnmask } from '../../core/secure-agg/masking/unmask-request.ts';
import type { StateStore } from '../state/store.ts';

/**
 * A task as the engine derives it: the generated message type, every field present but the
 * audit checkpoint and proof, which the site service adds as it sends (coordinator/server/witness.ts).
 */
export type SiteTask = Omit<Task__Output, 'auditCheckpointJson' | 'auditProof' | 'auditProofFrom'>;

export function pendingTasksFor(store: StateStore, site: string, fitConfigJson: (runId: string, round: number) => string): SiteTask[] {
  // A run's end stays pending until the site acknowledges it: a site offline when the run ended
  // still learns of it on reconnect and frees its privacy reservation.
  const tasks: SiteTask[] = store.unacknowledgedEnds(site).map((run) => finishTask(run.run_id, run.state, run.error ?? `run ${run.state.toLowerCase()}`, run.model_id ?? ''));
  for (const run of store.runsInState('RECRUITING', 'RUNNING')) {
    const base = { runId: run.run_id, specJson: run.spec_json, codecJson: run.codec_json, runState: run.state, message: '', submittedBy: run.submitted_by, modelId: '', maskJson: '' };
    const membership = store.getRunSite(run.run_id, site);
    if (run.state === 'RECRUITING') {
      if (membership?.state === 'INVITED') {
        tasks.push({ ...base, taskId: `${run.run_id}:offer`, kind: 'TASK_KIND_OFFER', round: 0, fitConfigJson: '' });
      }
      continue;
    }
    const rs = store.getRoundSite(run.run_id, run.current_round, site);
    const round = store.getRound(run.run_id, run.current_round);
    if (!rs || !round) continue;
    const r = run.current_round;
    const keys = (): string[] => store.maskMessages(run.run_id, r, 'keys').map((m) => m.json);
    const mask = (data: MaskTaskData): string => JSON.stringify(data);
    if (round.state === 'KEYING' && rs.mask_state === 'PENDING') {
      tasks.push({ ...base, taskId: `${run.run_id}:mask-keys:${r}`, kind: 'TASK_KIND_MASK_KEYS', round: r, fitConfigJson: '', maskJson: mask({}) });
    } else if (round.state === 'SHARING' && rs.mask_state === 'PENDING') {
      tasks.push({ ...base, taskId: `${run.run_id}:mask-shares:${r}`, kind: 'TASK_KIND_MASK_SHARES', round: r, fitConfigJson: '', maskJson: mask({ keys: keys() }) });
    } else if (round.state === 'COLLECTING' && rs.state === 'PENDING') {
      const cohort = keys();
      const shares = cohort.length === 0 ? [] : store.maskMessages(run.run_id, r, 'share', site).map((m) => m.json);
      tasks.push({
        ...base,
        taskId: `${run.run_id}:train:${r}`,
        kind: 'TASK_KIND_TRAIN',
        round: r,
        fitConfigJson: fitConfigJson(run.run_id, r),
        // A masked round's upload is masked with the cohort's keys and the shares this site holds.
        maskJson: cohort.length === 0 ? '' : mask({ keys: cohort, shares, signatures: store.maskMessages(run.run_id, r, 'signature').map((m) => m.json) }),
      });
    } else if (round.state === 'UNMASKING' && rs.mask_state === 'PENDING') {
      const published = store.maskMessages(run.run_id, r, 'unmask')[0];
      if (published) {
        tasks.push({ ...base, taskId: `${run.run_id}:unmask:${r}`, kind: 'TASK_KIND_UNMASK', round: r, fitConfigJson: '', maskJson: mask({ keys: keys(), unmask: JSON.parse(published.json) as SignedUnmask }) });
      }
    } else if (round.state === 'AGGREGATED' && rs.eval_state === 'PENDING') {
      tasks.push({ ...base, taskId: `${run.run_id}:evaluate:${run.current_round}`, kind: 'TASK_KIND_EVALUATE', round: run.current_round, fitConfigJson: '' });
    } else if (round.state === 'SCORING' && rs.score_state === 'PENDING') {
      tasks.push({ ...base, taskId: `${run.run_id}:score:${run.current_round}`, kind: 'TASK_KIND_SCORE', round: run.current_round, fitConfigJson: '' });
    }
  }
  return tasks;
}

export function finishTask(runId: string, runState: string, message: string, modelId = ''): SiteTask {
  return { taskId: `${runId}:finish`, kind: 'TASK_KIND_FINISH', runId, round: 0, specJson: '', codecJson: '', fitConfigJson: '', runState, message, submittedBy: '', modelId, maskJson: '' };
}
