/** The user-facing RPCs: submit, inspect, watch and cancel runs; list sites. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CohortError, RunErrors } from '../../core/errors/index.ts';
import { toServiceError } from '../../core/rpc/status-errors.ts';
import type { HeKeyParameters } from '../../core/secure-agg/key-ceremony.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { codecRequestFor } from '../../core/update-codec/codec-plan.ts';
import type { ModelRow } from '../state/store.ts';
import type { AdminServiceHandlers } from '../../protos/gen/cohort/v1/AdminService.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { ModelRegistry } from '../registry/registry.ts';
import { TERMINAL_RUN_STATES, type RunState } from '../state/states.ts';
import { authorize } from './access.ts';
import type { RevocationGuard } from '../../core/tls/credentials.ts';
import { runStatus } from './run-status.ts';
import { checkRunAgreements, type AgreementGate } from './agreement-gate.ts';

export interface AdminServiceContext {
  engine: RunEngine;
  /** GetModel's weights leave under the registry's export rule. */
  registry: ModelRegistry;
  guard: RevocationGuard;
  log: Logger;
  /** Agreements before access: checked (and audited) for every site a submitted run involves. */
  agreementGate?: AgreementGate;
}

const READERS = ['data-scientist', 'operator', 'auditor'] as const;

const MODEL_READERS = ['data-scientist', 'operator', 'auditor', 'approver'] as const;

function modelEntry(m: Omit<ModelRow, 'weights'>) {
  return {
    modelId: m.model_id,
    runId: m.run_id,
    name: m.name,
    weightsSha256: m.weights_sha256,
    specSha256: m.spec_sha256,
    releasedBy: m.released_by,
    releasedAtMs: String(m.released_at_ms),
    bytes: String(m.bytes),
    provenanceJson: m.provenance_json,
  };
}

export function adminServiceHandlers(ctx: AdminServiceContext): AdminServiceHandlers {
  const { engine, log } = ctx;
  const status = (runId: string) => {
    const s = runStatus(engine.store, runId);
    if (!s) throw new CohortError(RunErrors.NOT_FOUND, `no run with id "${runId}"`, { details: { runId } });
    return s;
  };
  function unary<Req, Res>(roles: readonly Parameters<typeof authorize>[1][number][], fn: (caller: { name: string; role: string }, req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      try {
        const id = authorize(call, roles, ctx.guard);
        callback(null, fn(id, call.request));
      } catch (e) {
        callback(toServiceError(e));
      }
    };
  }
  return {
    SubmitRun: unary(['data-scientist'], (caller, req) => {
      let input: unknown;
      try {
        input = JSON.parse(req.specJson);
      } catch (e) {
        throw new CohortError(RunErrors.INVALID_REQUEST, 'spec_json is not valid JSON', { cause: e, details: { field: 'spec_json' } });
      }
      const spec = parseSpec(input, 'spec');
      const key = engine.store.heKey();
      const keyParams = key ? (JSON.parse(key.params_json) as HeKeyParameters) : undefined;
      const registered = engine.store.sites().map((s) => s.site);
      const sites = ctx.agreementGate ? checkRunAgreements(ctx.agreementGate, registered, caller) : registered;
      const run = engine.submitRun({ spec, codec: codecRequestFor(spec, req.codec, keyParams), submittedBy: caller.name, sites });
      log.info({ runId: run.run_id, by: caller.name, specSha256: run.spec_sha256 }, 'run submitted');
      return { runId: run.run_id, specSha256: run.spec_sha256 };
    }),

    GetRun: unary(READERS, (_c, req) => status(req.runId)),

    ListRuns: unary(READERS, () => ({
      runs: engine.store.listRuns().map((r) => ({
        runId: r.run_id,
        name: r.name,
        state: r.state,
        currentRound: r.current_round,
        rounds: r.rounds,
        submittedBy: r.submitted_by,
        createdAtMs: String(r.created_at_ms),
      })),
    })),

    CancelRun: unary(['data-scientist', 'operator'], (caller, req) => {
      const run = engine.getRunOrThrow(req.runId);
      if (caller.role === 'data-scientist' && run.submitted_by !== caller.name) {
        throw new CohortError(RunErrors.PERMISSION_DENIED, `run ${req.runId} was submitted by another user; only they or an operator may cancel it`);
      }
      engine.cancelRun(req.runId, caller.name);
      log.info({ runId: req.runId, by: caller.name }, 'run cancelled');
      return status(req.runId);
    }),

    ListSites: unary(['operator', 'auditor', 'data-scientist'], () => ({
      sites: engine.store.sites().map((s) => ({
        site: s.site,
        agentVersion: s.agent_version,
        backend: s.backend,
        connected: engine.presence.isConnected(s.site),
        lastHeartbeatMs: String(s.last_seen_ms),
      })),
    })),

    ListModels: unary(MODEL_READERS, () => ({ models: engine.store.models().map(modelEntry) })),

    GetModel: unary(['data-scientist', 'operator', 'approver'], (caller, req) => {
      if (!engine.store.modelInfo(req.modelId)) throw new CohortError(RunErrors.MODEL_NOT_FOUND, `no released model with id "${req.modelId}"`, { details: { modelId: req.modelId } });
      // Raw weights leave under the export rule (coordinator/registry): approved versions only (an operator's
      // override is ExportModelVersion's allow_unapproved), the weights checked against their SHA-256, and each
      // download or refusal recorded (model.download, model.download.refused) under a checkpoint.
      const { model } = ctx.registry.export(caller, req.modelId, false, 'model.download');
      return { model: modelEntry(model), weights: model.weights };
    }),

    WatchRun(call) {
      let runId: string;
      try {
        authorize(call, READERS, ctx.guard);
        runId = call.request.runId;
        call.write(status(runId));
      } catch (e) {
        call.emit('error', toServiceError(e));
        return;
      }
      const onRun = (id: string): void => {
        if (id !== runId) return;
        const s = status(runId);
        call.write(s);
        if (TERMINAL_RUN_STATES.includes(s.state as RunState)) finish();
      };
      const finish = (): void => {
        engine.off('run', onRun);
        call.end();
      };
      engine.on('run', onRun);
      call.on('cancelled', () => engine.off('run', onRun));
      if (TERMINAL_RUN_STATES.includes(status(runId).state as RunState)) finish();
    },
  };
}
