/**
 * Starts a coordinator: mTLS gRPC server (site and admin services, health, reflection),
 * the state store and the round engine's clock. Stops cleanly on SIGTERM/SIGINT; a
 * SIGKILL loses nothing that was acknowledged, because every acknowledgement follows a
 * committed SQLite transaction.
 */
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import * as protoLoader from '@grpc/proto-loader';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../core/audit/audit-log.ts';
import { sqliteAuditState } from '../core/audit/anchor.ts';
import { eventRecord, lastEventId } from '../core/audit/events.ts';
import type { AuditActor } from '../core/audit/record.ts';
import { readAgreementsFile } from '../core/governance/agreements.ts';
import { siteMayJoinRun, type AgreementGate } from './server/agreement-gate.ts';
import { ExpiryWatch } from '../core/pki/expiry.ts';
import { identityFromCertificate } from '../core/pki/identity.ts';
import type { Kit } from '../core/pki/kit.ts';
import type { Logger } from '../core/logging.ts';
import { CohortError, GeneralErrors } from '../core/errors/index.ts';
import { MAX_MESSAGE_BYTES, SITE_MAX_RECONNECT_BACKOFF_MS } from '../core/rpc/clients.ts';
import { serverCredentials, watchCrlFile } from '../core/tls/credentials.ts';
import { loadCohortProtos } from '../protos/load.ts';
import { unmaskSigner } from '../core/secure-agg/masking/unmask-request.ts';
import { RunEngine } from './engine/run-engine.ts';
import { observeAuthorization } from './server/access.ts';
import { adminServiceHandlers } from './server/admin-service.ts';
import { auditServiceHandlers } from './server/audit-service.ts';
import { ModelRegistry } from './registry/registry.ts';
import { registryServiceHandlers } from './server/registry-service.ts';
import { siteServiceHandlers } from './server/site-service.ts';
import { CoordinatorWitness } from './server/witness.ts';
import { loadSeal } from '../core/secure-agg/seal-library.ts';
import { StateStore } from './state/store.ts';
import { assertCrashHookAllowed, CRASH_POINT } from './state/crash-hook.ts';

export interface CoordinatorOptions {
  kit: Kit;
  stateDir: string;
  /** Listen address; defaults to 0.0.0.0:<port of the kit's coordinator address>. */
  listen?: string;
  log: Logger;
  siteGraceMs?: number;
  recruitTimeoutMs?: number;
  tickMs?: number;
  heartbeatIntervalMs?: number;
}

export interface RunningCoordinator {
  port: number;
  engine: RunEngine;
  stop(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  const { kit, log } = options;
  assertCrashHookAllowed(process.env);
  const siteGraceMs = options.siteGraceMs ?? 15_000;
  if (!(siteGraceMs > SITE_MAX_RECONNECT_BACKOFF_MS)) {
    throw new CohortError(GeneralErrors.USAGE, `site grace ${siteGraceMs} ms must exceed the agents' longest reconnect backoff (${SITE_MAX_RECONNECT_BACKOFF_MS} ms), or a coordinator restart would fail every site`, {
      details: { siteGraceMs },
    });
  }
  // Refuses any kit but the coordinator's (COHORT_E_PKI_KIT_INVALID) before any state is opened.
  const creds = await serverCredentials(kit);
  // Certificates are short-lived: warn, from the certificates callers present, before one lapses.
  creds.expiryWatch = new ExpiryWatch((w) => log.warn(w, `the certificate of ${w.role} ${w.name} expires in ${w.daysLeft} days: it must send a new request for the operator to sign`));
  creds.expiryWatch.note(identityFromCertificate(kit.certPem), new Date(new X509Certificate(kit.certPem).validTo));
  if (CRASH_POINT) log.warn({ crashAt: CRASH_POINT }, 'COHORT_TEST_CRASH_AT is set: this coordinator will SIGKILL itself at that step (fault-injection tests only)');
  // The round engine is synchronous; the (key-free) BFV adder needs the WebAssembly module ready.
  await loadSeal();
  const store = new StateStore(join(options.stateDir, 'coordinator.sqlite'));
  let audit: AuditLog;
  const auditState = sqliteAuditState(store.db);
  try {
    // Takes the audit directory's lock (COHORT_E_AUDIT_WRITER_LOCKED while another coordinator runs on this state),
    // and refuses a log that does not verify against its checkpoints (COHORT_E_AUDIT_WRITER_REFUSED), that falls
    // below the last checkpoint recorded in SQLite (COHORT_E_AUDIT_ANCHOR_MISMATCH) or whose unsigned tail
    // disagrees with the events table (COHORT_E_AUDIT_EVENT_MISMATCH).
    audit = AuditLog.open(join(options.stateDir, 'audit'), { certPem: kit.certPem, keyPem: kit.keyPem, caPem: kit.caPem }, { state: auditState });
  } catch (e) {
    store.close();
    throw e;
  }
  for (const r of audit.repairs) {
    log.warn({ file: r.file, bytes: r.bytes, savedTo: r.savedTo }, r.savedTo === null ? 'audit log: a last line without its newline was whole and valid; the newline was restored and the repair recorded' : 'audit log: a torn last line (an append cut off by a crash) was set aside and the repair recorded');
  }
  const auditLink = attachAudit(audit, store, creds, log);
  // Re-read at every check: a renewed agreements.json copied into the kit applies without a restart.
  const agreementGate: AgreementGate = { agreements: () => readAgreementsFile(kit.dir), required: kit.requireAgreements === true, isRevoked: (serial) => creds.isRevoked(serial), audit: (input) => audit.append(input), self: audit.self };
  const engine = new RunEngine(store, {
    consortium: kit.consortium,
    siteGraceMs,
    recruitTimeoutMs: options.recruitTimeoutMs ?? 60_000,
    mayInvite: (site, runId) => siteMayJoinRun(agreementGate, site, runId),
    // The key that signs the audit checkpoints signs each masked round's survivor set.
    unmaskSigner: unmaskSigner({ certPem: kit.certPem, keyPem: kit.keyPem }),
    // Mask-key advertisements and upload receipts are verified as they arrive.
    verifier: { caPem: kit.caPem, isRevoked: (serial) => creds.isRevoked(serial) },
  });

  const stopWatching = kit.crlPath
    ? watchCrlFile(kit.crlPath, creds, {
        onReload: (crl) => log.info({ revoked: crl.revokedSerials.size }, 'CRL reloaded'),
        onError: (e) => log.error({ err: (e as Error).message }, 'new CRL refused; the previous one stays in force'),
      })
    : () => undefined;
  // The kit's CRL was read before the watcher started; a revocation written in between would otherwise wait for the next change.
  const crlNow = kit.crlPath ? readFileSync(kit.crlPath, 'utf8') : kit.crlPem;
  if (kit.crlPath && crlNow !== undefined && crlNow !== kit.crlPem) await creds.reloadCrl(crlNow, kit.crlPath);

  // Spool files of uploads cut off by a crash: none is in flight before the server binds, and none was counted.
  rmSync(join(options.stateDir, 'spool'), { recursive: true, force: true });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5_000 });
  const { site, admin, registry, audit: auditProto, packageDefinition } = loadCohortProtos();
  server.addService(site.cohort.v1.SiteService.service, siteServiceHandlers({
    engine,
    guard: creds,
    spoolDir: join(options.stateDir, 'spool'),
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 2_000,
    keyHolder: kit.keyHolder,
    crlPem: () => creds.crlPem,
    log,
    witness: new CoordinatorWitness(audit, kit.caPem),
  }));
  const models = new ModelRegistry(store);
  server.addService(admin.cohort.v1.AdminService.service, adminServiceHandlers({ engine, registry: models, guard: creds, log, agreementGate }));
  server.addService(registry.cohort.v1.RegistryService.service, registryServiceHandlers({ registry: models, guard: creds, log }));
  server.addService(auditProto.cohort.v1.AuditService.service, auditServiceHandlers({ audit, guard: creds, log, anchor: () => auditState.readAnchor(audit.origin) }));
  const health = new HealthImplementation({ '': 'SERVING', 'cohort.v1.SiteService': 'SERVING', 'cohort.v1.AdminService': 'SERVING', 'cohort.v1.RegistryService': 'SERVING', 'cohort.v1.AuditService': 'SERVING' });
  health.addToServer(server);
  // Reflection describes every service served: Cohort's four and grpc.health.v1.Health.
  new ReflectionService({ ...packageDefinition, ...protoLoader.loadSync(healthProtoPath) }).addToServer(server);

  const listen = options.listen ?? `0.0.0.0:${kit.coordinatorAddress.split(':').pop() ?? '7443'}`;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => server.bindAsync(listen, creds, (err, p) => (err ? reject(err) : resolve(p))));
  } catch (e) {
    stopWatching();
    server.forceShutdown();
    auditLink.detach();
    audit.close();
    store.close();
    throw e;
  }
  log.info({ port, consortium: kit.consortium, stateDir: options.stateDir }, 'coordinator listening (mTLS, TLS 1.2+)');
  // Only a coordinator that is serving says it started.
  auditLink.started();

  // Resume: the clock re-evaluates every active run from durable state.
  const resumed = store.runsInState('RECRUITING', 'RUNNING');
  if (resumed.length > 0) log.info({ runs: resumed.map((r) => `${r.run_id}@${r.current_round}`) }, 'resuming runs');
  const clock = setInterval(() => engine.tick(), options.tickMs ?? 500);

  return {
    port,
    engine,
    async stop() {
      clearInterval(clock);
      stopWatching();
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2_000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
      auditLink.detach();
      try {
        if (!audit.isOpen) return;
        store.deliverEvents();
        audit.append({ actor: audit.self, action: 'coordinator.stop', outcome: 'ok' });
        // A stopped log has no record past its last checkpoint.
        audit.checkpoint();
      } finally {
        audit.close();
        store.close();
      }
    },
  };
}

/**
 * Events after which a signed checkpoint is written (and at a clean stop): round closes and every
 * registry event (`model.*`: releases, approvals, aliases, rollbacks, exports, downloads and their refusals).
 */
const checkpointAfter = (action: string): boolean => action === 'round.close' || action.startsWith('model.');

/**
 * Connects the audit log: every committed event of the state store becomes a record
 * (appended after its transaction commits; on start, the events past the log's last
 * recorded event id are appended first, marked reconciled), every refused call a record,
 * and a checkpoint follows each round close and registry change. `started` appends
 * coordinator.start (once the server has bound); `detach` stops the refused-call records.
 */
function attachAudit(audit: AuditLog, store: StateStore, guard: Parameters<typeof observeAuthorization>[0], log: Logger): { started(): void; detach(): void } {
  const existing = audit.takeExisting();
  // Names are never reused in a consortium, so a name has one role: learnt from the log, the sites table and each authorized call.
  const roles = new Map<string, string>(existing.map((r) => [r.actor.name, r.actor.role]));
  roles.set(audit.self.name, audit.self.role);
  roles.set('coordinator', 'coordinator');
  const actorOf = (name: string): AuditActor => {
    if (!roles.has(name) && store.sites().some((s) => s.site === name)) roles.set(name, 'site');
    return { name, role: roles.get(name) ?? '(unknown)' };
  };
  let reconciled = 0;
  let starting = true;
  store.attachEventSink(lastEventId(existing), {
    deliver: (event) => {
      // Throws only when the append failed (and was cut back off the file): the store then keeps the event for the next delivery.
      audit.append(eventRecord(event, actorOf, starting ? { reconciled: true } : {}));
      if (starting) reconciled++;
      // The event is in the log now; a failed checkpoint must not make the store deliver it twice.
      if (checkpointAfter(event.action)) {
        try {
          audit.checkpoint();
        } catch (e) {
          log.error({ err: (e as Error).message, eventId: event.id }, 'audit checkpoint failed; the next round close, model release or stop signs one over these records');
        }
      }
    },
    onError: (err, event) => log.error({ err: (err as Error).message, eventId: event.id }, 'audit log append failed; the event stays in the state store and is appended after the next commit'),
  });
  starting = false;
  const detach = observeAuthorization(guard, {
    allowed: (id) => {
      roles.set(id.name, id.role);
    },
    refused: (caller, rpc, error) => {
      try {
        audit.append({
          actor: caller === null ? { name: '(unauthenticated)', role: '(none)' } : { name: caller.name, role: caller.role ?? '(unknown)' },
          action: 'rpc.refused',
          target: { rpc, ...(caller?.serial === undefined ? {} : { certificate: caller.serial }) },
          outcome: 'refused',
          details: { code: error.code },
        });
      } catch (e) {
        log.error({ err: (e as Error).message, rpc }, 'audit log append of a refused call failed');
      }
    },
  });
  return {
    started: () => {
      try {
        audit.append({ actor: audit.self, action: 'coordinator.start', outcome: 'ok', details: { reconciledEvents: reconciled } });
      } catch (e) {
        log.error({ err: (e as Error).message }, 'audit log append of coordinator.start failed');
      }
    },
    detach,
  };
}
