/**
 * The role matrix over every RPC: each method of SiteService, AdminService, RegistryService
 * and AuditService, as enumerated from the generated service definitions (so a new RPC
 * without a row here fails), called with a certificate of every role the PKI issues
 * (core/pki/roles.ts: coordinator, site, data-scientist, operator, approver, auditor) against
 * one real coordinator over mTLS. A role outside a row's list must get PERMISSION_DENIED and
 * leave an rpc.refused record naming it; a role inside must get exactly the row's outcome
 * (the requests name ids that do not exist, so an allowed call changes nothing, bar the site's
 * own Register, Heartbeat and ReportFailure, which touch only its own row). The lists are
 * written out here, not read from the server's tables. Privileged variants of one RPC (an
 * export with allowUnapproved: true) need a real model version and are in registry-rpc.test.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLineFile } from '../../core/audit/lines.ts';
import { parseRecord, type AuditRecord } from '../../core/audit/record.ts';
import { fromServiceError } from '../../core/rpc/status-errors.ts';
import { ROLES, type Role } from '../../core/pki/roles.ts';
import { adminClient, auditClient, registryClient, siteClient } from '../../core/rpc/clients.ts';
import type { Kit } from '../../core/pki/kit.ts';
import { loadCohortProtos } from '../../protos/load.ts';
import { startTestConsortium, type TestConsortium } from '../support/in-process-coordinator.ts';

const PERMISSION = 'COHORT_E_RUN_PERMISSION_DENIED';

/** One certificate of each role: its kit's name. */
const CALLER: Readonly<Record<Role, string>> = {
  coordinator: 'coordinator',
  site: 'site-a',
  'data-scientist': 'dana',
  operator: 'oscar',
  approver: 'apollo',
  auditor: 'aud',
};

interface Row {
  /** The request: ids that do not exist, so an allowed call reads or refuses and changes nothing. */
  readonly request: object;
  readonly allowed: readonly Role[];
  /** What an allowed caller gets: 'ok' or the Cohort code after the access check. */
  readonly outcome: string;
  /** A call that an allowed caller keeps open (a task stream) is given this deadline instead of 30 s (refused callers keep 30 s). */
  readonly deadlineMs?: number;
}

const RUN = 'run-none';

const MATRIX: Readonly<Record<string, Readonly<Record<string, Row>>>> = {
  SiteService: {
    Register: { request: { agentVersion: '', backend: '', datasets: [] }, allowed: ['site'], outcome: 'ok' },
    WatchTasks: { request: {}, allowed: ['site'], outcome: 'open', deadlineMs: 3_000 },
    Heartbeat: { request: { state: '' }, allowed: ['site'], outcome: 'ok' },
    RespondToRun: { request: { runId: RUN, accept: false, reasonCode: 'x', reason: 'x' }, allowed: ['site'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    UploadUpdate: { request: {}, allowed: ['site'], outcome: 'COHORT_E_UPDATE_HEADER_MISSING' },
    // The site passes the role check and is then refused as no participant of the run.
    DownloadAggregate: { request: { runId: RUN, round: 1 }, allowed: ['site'], outcome: PERMISSION },
    ReportEvaluation: { request: { runId: RUN, round: 1 }, allowed: ['site'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    DownloadEvaluation: { request: { runId: RUN, round: 1 }, allowed: ['site'], outcome: PERMISSION },
    ReportConsortiumMetrics: { request: { runId: RUN, round: 1 }, allowed: ['site'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    ReportFailure: { request: { runId: RUN, round: 1, code: 'X', message: 'x' }, allowed: ['site'], outcome: 'ok' },
    AcknowledgeFinish: { request: { runId: RUN }, allowed: ['site'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    PublishExchangeKey: { request: { announcementJson: '{}' }, allowed: ['site'], outcome: 'COHORT_E_SECURE_AGG_KEY_CEREMONY' },
    GetKeyCeremony: { request: {}, allowed: ['site'], outcome: 'ok' },
    PublishSealedKeys: { request: { paramsJson: '{}', sealed: [] }, allowed: ['site'], outcome: 'COHORT_E_SECURE_AGG_KEY_CEREMONY' },
    GetSealedKey: { request: { keyId: 'key-none' }, allowed: ['site'], outcome: 'COHORT_E_SECURE_AGG_NO_KEY' },
    GetCrl: { request: {}, allowed: ['site'], outcome: 'ok' },
    ReleaseModel: { request: { runId: RUN, weights: Buffer.alloc(0), weightsSha256: '' }, allowed: ['site'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    SubmitMaskMessage: { request: { runId: RUN, round: 1, kind: 'x', json: '{}' }, allowed: ['site'], outcome: 'COHORT_E_RUN_INVALID_REQUEST' },
    CosignCheckpoint: { request: { treeSize: '1000000000', root: '', cosignatureJson: '', refusalCode: '' }, allowed: ['site'], outcome: 'COHORT_E_AUDIT_WITNESS_SIGNATURE' },
  },
  AdminService: {
    SubmitRun: { request: { specJson: '{}', codec: 'plain' }, allowed: ['data-scientist'], outcome: 'COHORT_E_SPEC_INVALID' },
    GetRun: { request: { runId: 'run-none' }, allowed: ['data-scientist', 'operator', 'auditor'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    ListRuns: { request: {}, allowed: ['data-scientist', 'operator', 'auditor'], outcome: 'ok' },
    CancelRun: { request: { runId: 'run-none' }, allowed: ['data-scientist', 'operator'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    WatchRun: { request: { runId: 'run-none' }, allowed: ['data-scientist', 'operator', 'auditor'], outcome: 'COHORT_E_RUN_NOT_FOUND' },
    ListSites: { request: {}, allowed: ['data-scientist', 'operator', 'auditor'], outcome: 'ok' },
    ListModels: { request: {}, allowed: ['data-scientist', 'operator', 'auditor', 'approver'], outcome: 'ok' },
    GetModel: { request: { modelId: 'model-none' }, allowed: ['data-scientist', 'operator', 'approver'], outcome: 'COHORT_E_RUN_MODEL_NOT_FOUND' },
  },
  RegistryService: {
    ListModelVersions: { request: { name: '' }, allowed: ['data-scientist', 'operator', 'auditor', 'approver'], outcome: 'ok' },
    GetModelVersion: { request: { ref: 'model-none' }, allowed: ['data-scientist', 'operator', 'auditor', 'approver'], outcome: 'COHORT_E_REGISTRY_VERSION_NOT_FOUND' },
    ApproveModelVersion: { request: { ref: 'model-none', note: 'n', intendedUse: 'u' }, allowed: ['approver'], outcome: 'COHORT_E_REGISTRY_VERSION_NOT_FOUND' },
    SetModelAlias: { request: { name: 'none', alias: 'challenger', version: 1, note: '' }, allowed: ['approver', 'operator'], outcome: 'COHORT_E_REGISTRY_VERSION_NOT_FOUND' },
    RollbackModel: { request: { name: 'none', toVersion: 1, note: 'n' }, allowed: ['approver'], outcome: 'COHORT_E_REGISTRY_ROLLBACK_REFUSED' },
    ExportModelVersion: { request: { ref: 'model-none', allowUnapproved: false }, allowed: ['data-scientist', 'operator', 'approver'], outcome: 'COHORT_E_REGISTRY_VERSION_NOT_FOUND' },
  },
  AuditService: {
    ListRecords: { request: { sinceIndex: '0', limit: 1 }, allowed: ['auditor'], outcome: 'ok' },
    GetLatestCheckpoint: { request: {}, allowed: ['auditor'], outcome: 'ok' },
    ListCheckpoints: { request: {}, allowed: ['auditor'], outcome: 'ok' },
    GetCheckpoint: { request: { treeSize: '1000000000' }, allowed: ['auditor'], outcome: 'COHORT_E_AUDIT_NO_CHECKPOINT' },
    GetInclusionProof: { request: { index: '0', treeSize: '1000000000' }, allowed: ['auditor'], outcome: 'COHORT_E_AUDIT_RANGE_INVALID' },
    GetConsistencyProof: { request: { size1: '2', size2: '1' }, allowed: ['auditor'], outcome: 'COHORT_E_AUDIT_RANGE_INVALID' },
  },
};

const CLIENTS: Readonly<Record<string, (kit: Kit, address: string) => grpc.Client>> = {
  SiteService: siteClient,
  AdminService: adminClient,
  RegistryService: registryClient,
  AuditService: auditClient,
};

/** The generated definitions: every method each service has. */
function definitions(): Record<string, grpc.ServiceDefinition> {
  const { site, admin, registry, audit } = loadCohortProtos();
  return { SiteService: site.cohort.v1.SiteService.service, AdminService: admin.cohort.v1.AdminService.service, RegistryService: registry.cohort.v1.RegistryService.service, AuditService: audit.cohort.v1.AuditService.service };
}

/**
 * Calls `method` (unary, server- or client-streaming) and settles with 'ok' or the Cohort code
 * (and gRPC status) it failed with; a client stream sends `request` as its only message. A
 * call still open at the deadline settles as 'open' (an allowed task stream stays open).
 */
function outcomeOf(client: grpc.Client, def: grpc.MethodDefinition<object, unknown>, method: string, request: object, deadlineMs = 30_000): Promise<[string, grpc.status]> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(client);
  const options: grpc.CallOptions = { deadline: Date.now() + deadlineMs };
  return new Promise((resolve) => {
    const fail = (e: grpc.ServiceError): void => {
      if (e.code === grpc.status.DEADLINE_EXCEEDED) return resolve(['open', e.code]);
      const c = fromServiceError(e);
      resolve([c.code, c.grpc]);
    };
    if (def.requestStream) {
      const stream = fn(options, (err: grpc.ServiceError | null) => (err ? fail(err) : resolve(['ok', grpc.status.OK]))) as grpc.ClientWritableStream<unknown>;
      stream.write(request);
      stream.end();
    } else if (def.responseStream) {
      const stream = fn(request, options) as grpc.ClientReadableStream<unknown>;
      stream.on('data', () => undefined);
      stream.on('error', fail);
      stream.on('end', () => resolve(['ok', grpc.status.OK]));
    } else {
      fn(request, options, (err: grpc.ServiceError | null) => (err ? fail(err) : resolve(['ok', grpc.status.OK])));
    }
  });
}

let t: TestConsortium;

beforeAll(async () => {
  t = await startTestConsortium({
    name: 'role-matrix',
    sites: ['site-a'],
    users: [
      { name: 'dana', role: 'data-scientist' },
      { name: 'oscar', role: 'operator' },
      { name: 'apollo', role: 'approver' },
      { name: 'aud', role: 'auditor' },
    ],
  });
  // A signed checkpoint, so that GetLatestCheckpoint has one to return: a refused registry export signs one.
  const c = registryClient(t.kit('dana'), t.address);
  const [code] = await outcomeOf(c, definitions().RegistryService!.ExportModelVersion!, 'ExportModelVersion', { ref: 'model-none', allowUnapproved: false });
  c.close();
  expect(code).toBe('COHORT_E_REGISTRY_VERSION_NOT_FOUND');
}, 120_000);

afterAll(async () => {
  await t?.coordinator.stop();
  if (t) rmSync(t.dir, { recursive: true, force: true });
});

describe('role matrix over every site, admin, registry and audit RPC', () => {
  it('has a row for every RPC the generated service definitions declare, and a caller for every role', () => {
    const defs = definitions();
    expect(Object.keys(MATRIX).sort()).toEqual(Object.keys(defs).sort());
    for (const [service, def] of Object.entries(defs)) expect(Object.keys(MATRIX[service]!).sort()).toEqual(Object.keys(def).sort());
    expect(Object.keys(CALLER).sort()).toEqual([...ROLES].sort());
  });

  const cells = Object.entries(MATRIX).flatMap(([service, rows]) => Object.keys(rows).flatMap((rpc) => ROLES.map((role) => [service, rpc, role] as const)));
  const refused: string[] = [];

  it.each(cells)('%s.%s as %s', async (service, rpc, role) => {
    const row = MATRIX[service]![rpc]!;
    const client = CLIENTS[service]!(t.kit(CALLER[role]), t.address);
    let outcome: [string, grpc.status];
    try {
      outcome = await outcomeOf(client, definitions()[service]![rpc]! as grpc.MethodDefinition<object, unknown>, rpc, row.request, row.allowed.includes(role) ? row.deadlineMs : undefined);
    } finally {
      client.close();
    }
    if (row.allowed.includes(role)) {
      // Past the role check, a download is refused again unless the site takes part in the run (none does here).
      if (row.outcome !== PERMISSION) expect(outcome[0]).not.toBe(PERMISSION);
      expect(outcome[0]).toBe(row.outcome);
    } else {
      expect(outcome).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
      refused.push(`/cohort.v1.${service}/${rpc} ${CALLER[role]} ${role}`);
    }
  });

  it('recorded every refused cell, once, with the caller\'s name and role', () => {
    const records = readLineFile(join(t.dir, 'state', 'audit', 'audit.jsonl')).lines.map((l) => (parseRecord(l) as { record: AuditRecord }).record);
    const logged = records.filter((r) => r.action === 'rpc.refused' && r.details.code === PERMISSION).map((r) => `${r.target.rpc} ${r.actor.name} ${r.actor.role}`);
    // 39 RPCs x 6 roles = 234 cells, 62 of them allowed.
    expect(refused.length).toBe(172);
    expect(logged.sort()).toEqual([...refused].sort());
  });
});
