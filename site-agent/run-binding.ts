/**
 * Sites bind what they accepted. At the accept a site seals the run's spec (JSON and SHA-256),
 * codec and masking parameters in its run state (run-state.ts AcceptedRun); from then on every
 * task of the run must name that spec, with its minSites, and a round in 1..spec.rounds, or the
 * site refuses it (COHORT_E_SITE_TASK_UNBOUND). The spec a site works from is the stored one,
 * also after an agent restart, never the one a task carries. A run accepted by an older agent
 * (only its codec on record) is bound on first use: the first task after the upgrade seals its spec.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { CohortError, SiteErrors } from '../core/errors/index.ts';
import type { ModelSpec } from '../models/spec-schema.ts';
import type { AcceptedCodec, AcceptedRun, RunStateStore } from './run-state.ts';

/** The SHA-256 of a spec as the coordinator records it (spec_sha256: of JSON.stringify of the validated spec). */
export function specSha256(spec: ModelSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/** The record a site seals when it accepts a run with `spec` and `codec`. */
export function acceptedRunOf(spec: ModelSpec, codec: AcceptedCodec, masking?: unknown): AcceptedRun {
  return { specSha256: specSha256(spec), specJson: JSON.stringify(spec), codec, ...(masking === undefined ? {} : { masking }) };
}

/** The spec this site accepted `runId` with, if it keeps one. */
export function acceptedSpec(states: RunStateStore, runId: string): ModelSpec | undefined {
  const accepted = states.acceptedRun(runId);
  return accepted ? (JSON.parse(accepted.specJson) as ModelSpec) : undefined;
}

/** What of a task the binding checks. */
export interface BoundTask {
  readonly runId: string;
  /** The wire kind: TASK_KIND_OFFER, TASK_KIND_TRAIN, ... */
  readonly kind: string;
  readonly round: number;
  readonly specJson: string;
  /** The task's masking parameters, where the run has them. */
  readonly masking?: unknown;
}

function unbound(task: BoundTask, message: string, field: string): CohortError {
  return new CohortError(SiteErrors.TASK_UNBOUND, `run ${task.runId}: ${message}; the task is refused`, { details: { runId: task.runId, kind: task.kind, round: task.round, field } });
}

/** Tasks that act within a round of an accepted run (a masked round's key, share and unmask steps too). */
const ROUND_TASKS: ReadonlySet<string> = new Set(['TASK_KIND_MASK_KEYS', 'TASK_KIND_MASK_SHARES', 'TASK_KIND_TRAIN', 'TASK_KIND_UNMASK', 'TASK_KIND_EVALUATE', 'TASK_KIND_SCORE']);

/**
 * The spec to work from for `task`: the one the site accepted (checked against what the task
 * names), or for an offer not yet accepted the offer's own. Throws SITE_TASK_UNBOUND for a task
 * that names another spec, another minSites or masking, a round outside 1..spec.rounds, or a
 * round task of a run this site never accepted. A run accepted before accepted runs were kept
 * (only its codec on record) is bound on first use: the first task's spec is sealed then.
 */
export function boundSpec(states: RunStateStore, task: BoundTask): ModelSpec {
  let accepted = states.acceptedRun(task.runId);
  const named = parsedSpec(task.specJson);
  if (!accepted) {
    const legacy = states.acceptedCodec(task.runId);
    if (ROUND_TASKS.has(task.kind) && legacy === undefined) throw unbound(task, 'this site never accepted the run', 'run');
    if (!named) throw unbound(task, 'the task\'s spec is not JSON', 'spec');
    if (legacy === undefined) return named;
    // Accepted by an agent from before accepted runs were kept (only its codec on record): trust
    // on first use. The first task after the upgrade seals its spec, and every later task must name it.
    if (ROUND_TASKS.has(task.kind) && !roundWithin(task.round, named)) throw unbound(task, `round ${task.round} is outside the spec's rounds 1..${String(named.rounds)}`, 'round');
    accepted = acceptedRunOf(named, legacy);
    states.saveAcceptedRun(task.runId, accepted);
  }
  const spec = JSON.parse(accepted.specJson) as ModelSpec;
  if (!named) throw unbound(task, 'the task\'s spec is not JSON', 'spec');
  if (named.minSites !== spec.minSites) throw unbound(task, `the task names minSites ${String(named.minSites)}, the run was accepted with ${spec.minSites}`, 'minSites');
  const sha = specSha256(named);
  if (sha !== accepted.specSha256) throw unbound(task, `the task names spec ${sha.slice(0, 16)}..., the run was accepted with ${accepted.specSha256.slice(0, 16)}...`, 'spec');
  if (accepted.masking !== undefined && !isDeepStrictEqual(task.masking, accepted.masking)) throw unbound(task, 'the task names other masking parameters than the run was accepted with', 'masking');
  if (ROUND_TASKS.has(task.kind) && !roundWithin(task.round, spec)) {
    throw unbound(task, `round ${task.round} is outside the spec's rounds 1..${spec.rounds}`, 'round');
  }
  return spec;
}

function roundWithin(round: number, spec: ModelSpec): boolean {
  return Number.isSafeInteger(round) && round >= 1 && round <= spec.rounds;
}

function parsedSpec(json: string): ModelSpec | undefined {
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ModelSpec) : undefined;
  } catch {
    return undefined;
  }
}
