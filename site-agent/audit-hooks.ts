/**
 * The agent's steps that touch its audit log (site-audit.ts), kept out of agent.ts: witnessing
 * each task's coordinator checkpoint (cosign, or refuse the task), the record of a run
 * decision, and a round's privacy spend with a checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CohortError } from '../core/errors/index.ts';
import { isMaskedRun, type MaskingSpec } from '../core/secure-agg/masked-run.ts';
import type { Logger } from '../core/logging.ts';
import { unary } from '../core/rpc/clients.ts';
import type { SiteServiceClient } from '../protos/gen/cohort/v1/SiteService.ts';
import type { Task__Output } from '../protos/gen/cohort/v1/Task.ts';
import type { PrivacyLedger } from './privacy/ledger.ts';
import type { OfferDecision, RunWorker } from './run-worker.ts';
import type { SiteAudit } from './site-audit.ts';

/** The columns a spec reads: its features and its label's column(s), by the spec's names. */
export function specColumns(spec: RunWorker['spec']): string[] {
  const label = spec.label.type === 'survival' ? [spec.label.time, spec.label.event] : [spec.label.name];
  return [...spec.features.map((f) => f.name), ...label];
}

/**
 * Witnesses the checkpoint `task` carries (site-audit.ts witness). Returns whether the task may
 * go ahead: true when there was nothing new or the site cosigned (the cosignature sent with
 * CosignCheckpoint); false when the site refused it (the refusal sent, an offer declined with
 * the code, any other task reported failed with it) or when the proof started elsewhere than
 * the kept checkpoint (`resync` reopens the task stream, which tells the coordinator the size).
 */
export async function witnessTask(o: { audit: SiteAudit; client: SiteServiceClient; task: Task__Output; log: Logger; resync: () => void }): Promise<boolean> {
  const { audit, client, task, log } = o;
  const r = audit.witness({ checkpointJson: task.auditCheckpointJson, proof: task.auditProof, proofFrom: Number(task.auditProofFrom) }, task);
  switch (r.kind) {
    case 'none':
    case 'same':
      return true;
    case 'cosigned':
      try {
        await unary((opts, cb) => client.cosignCheckpoint({ treeSize: String(r.cosignature.treeSize), root: r.cosignature.root, cosignatureJson: JSON.stringify(r.cosignature), refusalCode: '' }, opts, cb));
      } catch (e) {
        // Kept and recorded here; the coordinator learns the size on the next connect (WatchTasks).
        log.warn({ code: (e as CohortError).code, treeSize: r.cosignature.treeSize }, 'the cosignature of the coordinator\'s audit checkpoint did not reach it');
      }
      return true;
    case 'out-of-sync':
      log.warn({ code: r.error.code, witnessedSize: audit.witnessedSize }, 'audit checkpoint proof from another tree size than this site kept; reconnecting to resynchronise');
      o.resync();
      return false;
    case 'refused': {
      log.error({ code: r.error.code, runId: task.runId, round: task.round, evidence: r.evidence }, 'the coordinator\'s audit checkpoint does not extend the one this site cosigned: task refused, both checkpoints kept');
      // With its evidence: the coordinator raises an incident only when both checkpoints are its own and inconsistent.
      const refusal = {
        treeSize: String(r.treeSize), root: r.root, cosignatureJson: '', refusalCode: r.error.code,
        refusedKeptJson: r.keptJson, refusedOfferedJson: r.offeredJson, refusedProof: r.proof.map((p) => Buffer.from(p)), refusedProofFrom: String(r.proofFrom),
      };
      await unary((opts, cb) => client.cosignCheckpoint(refusal, opts, cb)).catch(() => undefined);
      if (task.kind === 'TASK_KIND_OFFER') {
        const answer = { runId: task.runId, accept: false, reasonCode: r.error.code, reason: 'the coordinator\'s audit log does not extend the checkpoint this site cosigned', numExamples: '0', datasetFingerprint: '', planned: null };
        await unary((opts, cb) => client.respondToRun(answer, opts, cb));
        audit.decision(task.runId, false, r.error.code, task.submittedBy);
      } else if (task.kind !== 'TASK_KIND_FINISH') {
        await unary((opts, cb) => client.reportFailure({ runId: task.runId, round: task.round, code: r.error.code, message: 'audit checkpoint refused' }, opts, cb)).catch(() => undefined);
      }
      return false;
    }
  }
}

/**
 * Whether an offered run masks its updates (masked-run.ts): an encrypted offer (`bfv-pending`)
 * unless its spec says `masking: false`; a plaintext run never.
 */
export function offerMasked(spec: MaskingSpec, offered: { readonly kind: string }): boolean {
  return isMaskedRun(spec, { kind: offered.kind === 'bfv-pending' ? 'bfv' : offered.kind });
}

/** Records a run decision, for an accepted run with whether it masks (the dataset read behind it is recorded where the data loads: RunWorker's onDatasetRead). */
export function recordDecision(audit: SiteAudit, spec: MaskingSpec, task: Task__Output, decision: OfferDecision): void {
  const offered = JSON.parse(task.codecJson) as { kind: string };
  audit.decision(task.runId, decision.accept, decision.reasonCode, task.submittedBy, decision.accept ? offerMasked(spec, offered) : undefined);
}

/** After a round's evaluation: the round's privacy spend and the ledger head, then a signed checkpoint. */
export function recordRound(audit: SiteAudit, ledger: PrivacyLedger, task: Task__Output): void {
  const entries = ledger.entries();
  const spent = entries.filter((e) => e.runId === task.runId && e.event !== 'accept' && e.round === task.round).at(-1);
  const head = entries.at(-1);
  if (spent !== undefined && head !== undefined) audit.privacySpend(task.runId, task.round, spent.epsilon, spent.delta, head.hash, entries.length);
  // The model after the round, trained on this site's rows (sealed at rest): path, size, SHA-256.
  const state = join(audit.dataDir, 'runs', task.runId, 'global.state');
  if (existsSync(state)) audit.derivedFile(task.runId, state, 'run-state');
  audit.checkpoint();
}
