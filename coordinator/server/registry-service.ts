/** The registry RPCs (protos/cohort/v1/registry.proto): list, show, approve, alias, roll back, export. */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Role } from '../../core/pki/roles.ts';
import { toServiceError } from '../../core/rpc/status-errors.ts';
import type { RevocationGuard } from '../../core/tls/credentials.ts';
import type { ModelAlias } from '../../protos/gen/cohort/v1/ModelAlias.ts';
import type { ModelVersion } from '../../protos/gen/cohort/v1/ModelVersion.ts';
import type { RegistryServiceHandlers } from '../../protos/gen/cohort/v1/RegistryService.ts';
import type { ModelRegistry } from '../registry/registry.ts';
import type { ModelAliasRow, ModelInfo } from '../state/store.ts';
import { authorize } from './access.ts';

export interface RegistryServiceContext {
  registry: ModelRegistry;
  guard: RevocationGuard;
  log: Logger;
}

/** Who may call each RPC; docs/protocol.md lists the same, and test/integration/registry-rpc.test.ts checks every cell. */
export const REGISTRY_ROLES: Readonly<Record<keyof RegistryServiceHandlers, readonly Role[]>> = {
  ListModelVersions: ['data-scientist', 'operator', 'auditor', 'approver'],
  GetModelVersion: ['data-scientist', 'operator', 'auditor', 'approver'],
  ApproveModelVersion: ['approver'],
  SetModelAlias: ['approver', 'operator'],
  RollbackModel: ['approver'],
  ExportModelVersion: ['data-scientist', 'operator', 'approver'],
};

function versionMessage(registry: ModelRegistry, m: ModelInfo): ModelVersion {
  return {
    modelId: m.model_id,
    name: m.name,
    version: m.version,
    runId: m.run_id,
    specSha256: m.spec_sha256,
    specJson: registry.store.getRun(m.run_id)?.spec_json ?? '',
    weightsSha256: m.weights_sha256,
    bytes: String(m.bytes),
    releasedBy: m.released_by,
    releasedAtMs: String(m.released_at_ms),
    softwareVersion: m.software_version,
    intendedUse: m.intended_use,
    approval: { state: m.approval, approvedBy: m.approved_by ?? '', approvedAtMs: String(m.approved_at_ms ?? 0), note: m.approval_note ?? '' },
    aliases: registry.aliasesOf(m),
    provenanceJson: m.provenance_json,
    fairnessJson: m.fairness_json ?? '',
    explanationsJson: m.explanations_json ?? '',
  };
}

function aliasMessage(registry: ModelRegistry, a: ModelAliasRow): ModelAlias {
  return {
    name: a.name,
    alias: a.alias,
    version: registry.resolve(a.model_id).version,
    modelId: a.model_id,
    setBy: a.set_by,
    setAtMs: String(a.set_at_ms),
    note: a.note ?? '',
  };
}

export function registryServiceHandlers(ctx: RegistryServiceContext): RegistryServiceHandlers {
  const { registry, log } = ctx;
  function unary<Req, Res>(rpc: keyof RegistryServiceHandlers, fn: (caller: { name: string; role: string }, req: Req) => Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      try {
        const id = authorize(call, REGISTRY_ROLES[rpc], ctx.guard);
        callback(null, fn(id, call.request));
      } catch (e) {
        callback(toServiceError(e));
      }
    };
  }
  return {
    ListModelVersions: unary('ListModelVersions', (_c, req) => {
      const { versions, aliases } = registry.list(req.name);
      return { versions: versions.map((m) => versionMessage(registry, m)), aliases: aliases.map((a) => aliasMessage(registry, a)) };
    }),

    GetModelVersion: unary('GetModelVersion', (_c, req) => versionMessage(registry, registry.resolve(req.ref))),

    ApproveModelVersion: unary('ApproveModelVersion', (caller, req) => {
      const m = registry.approve(caller, req.ref, req.note, req.intendedUse, req.fairnessReviewed);
      log.info({ modelId: m.model_id, name: m.name, version: m.version, by: caller.name }, 'model version approved');
      return versionMessage(registry, m);
    }),

    SetModelAlias: unary('SetModelAlias', (caller, req) => {
      const a = registry.setAlias(caller, req.name, req.alias, req.version, req.note);
      log.info({ name: a.name, alias: a.alias, modelId: a.model_id, by: caller.name }, 'model alias set');
      return aliasMessage(registry, a);
    }),

    RollbackModel: unary('RollbackModel', (caller, req) => {
      const { alias, from, to } = registry.rollback(caller, req.name, req.toVersion, req.note);
      log.info({ name: alias.name, fromVersion: from.version, toVersion: to.version, by: caller.name }, 'model rolled back');
      return aliasMessage(registry, alias);
    }),

    ExportModelVersion: unary('ExportModelVersion', (caller, req) => {
      const { model } = registry.export(caller, req.ref, req.allowUnapproved);
      const { weights, ...info } = model;
      log.info({ modelId: info.model_id, by: caller.name, approved: info.approval === 'APPROVED' }, 'model version exported');
      return { version: versionMessage(registry, info), weights };
    }),
  };
}
