/** The site-facing RPCs: thin adapters from gRPC calls to the round engine. */
import type * as grpc from '@grpc/grpc-js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CohortError, RunErrors, SecureAggErrors, UpdateErrors } from '../../core/errors/index.ts';
import { announcedByRevoked, callerSigningKey, checkAnnouncementShape, checkKeyParameters, checkPublisherKey, checkSealedKeyShape, sealedCopyChange, sealedToCurrentKey } from './key-relay.ts';
import { toServiceError } from '../../core/rpc/status-errors.ts';
import type { SiteServiceHandlers } from '../../protos/gen/cohort/v1/SiteService.ts';
import type { UpdateChunk__Output } from '../../protos/gen/cohort/v1/UpdateChunk.ts';
import type { ChunkAdder } from '../../core/update-codec/index.ts';
import type { RunEngine, SummedChunks } from '../engine/run-engine.ts';
import type { AggregateChunk } from '../../protos/gen/cohort/v1/AggregateChunk.ts';
import type { AggregateRequest__Output } from '../../protos/gen/cohort/v1/AggregateRequest.ts';
import type { SiteTask } from '../engine/tasks.ts';
import { authorize } from './access.ts';
import type { CallWithAuthContext, RevocationGuard } from '../../core/tls/credentials.ts';
import { UpdateSpool } from './spool.ts';
import type { ContributionReceipt } from '../../core/secure-agg/masking/receipts.ts';
import { UploadDigest } from '../../core/secure-agg/masked-run.ts';
import type { EvaluationExtras } from '../../core/evaluation/evaluation-layout.ts';
import type { CoordinatorWitness } from './witness.ts';

export interface SiteServiceContext {
  engine: RunEngine;
  guard: RevocationGuard;
  spoolDir: string;
  heartbeatIntervalMs: number;
  /** The site allowed to publish the consortium HE key (from the coordinator's kit). */
  keyHolder: string | undefined;
  /** The CRL in force (PEM), served to the key holder, which verifies it itself; undefined: none. */
  crlPem?: () => string | undefined;
  log: Logger;
  /** Witnessing (witness.ts): the audit checkpoint and proof each task carries, the sites' cosignatures. */
  witness?: CoordinatorWitness;
}

const SITE = ['site'] as const;

/** Wraps a unary handler: authorizes, runs, maps every error to a coded status. */
function unary<Req, Res>(
  ctx: SiteServiceContext,
  fn: (site: string, req: Req, call: CallWithAuthContext) => Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    try {
      const id = authorize(call, SITE, ctx.guard);
      callback(null, fn(id.name, call.request, call));
    } catch (e) {
      callback(toServiceError(e));
    }
  };
}

/**
 * Streams a round's sums (its aggregate, or its summed evaluation) to a participant. Every site
 * holds the consortium key, so only the run's participants may fetch them.
 */
function streamSums(ctx: SiteServiceContext, sums: (runId: string, round: number) => SummedChunks): grpc.handleServerStreamingCall<AggregateRequest__Output, AggregateChunk> {
  return (call) => {
    void (async () => {
      try {
        const site = authorize(call, SITE, ctx.guard).name;
        const { runId, round } = call.request;
        if (ctx.engine.store.getRunSite(runId, site)?.state !== 'ACCEPTED') {
          throw new CohortError(RunErrors.PERMISSION_DENIED, `site ${site} does not take part in run ${runId}; it may not download its sums`, { details: { runId, site } });
        }
        const agg = sums(runId, round);
        let index = 0;
        for (const data of agg.chunks()) {
          // A masked round's receipts go with the first chunk.
          const ok = call.write({ index, chunkCount: agg.chunkCount, data, contributors: agg.contributors, receiptsJson: index === 0 ? (agg.receiptsJson ?? '') : '' });
          index++;
          if (!ok) await new Promise<void>((resolve) => call.once('drain', resolve));
        }
        call.end();
      } catch (e) {
        call.emit('error', toServiceError(e));
      }
    })();
  };
}

/**
 * Refusals of what an upload is, not how it arrived: a chunk that claims to sum other than one
 * update, or that was made under other parameters or another key. Such an upload would poison
 * the round's sum or could never be summed, so it is recorded as its sender's failure in the
 * round and the round goes on with the others.
 */
/** Largest extras JSON a site may report (the fairness and explanation reports of a spec with many groups and features). */
const MAX_EXTRAS_BYTES = 1 << 20;

/** The survival, fairness and explanation reports a site sent beside its consortium metrics (empty: none); the engine checks they are the ones the spec asks for. */
function metricsExtras(json: string): EvaluationExtras {
  if (json === '') return {};
  const refuse = (why: string): CohortError => new CohortError(RunErrors.INVALID_REQUEST, `consortium metrics: extras_json ${why}`, { details: { field: 'extras_json' } });
  if (Buffer.byteLength(json, 'utf8') > MAX_EXTRAS_BYTES) throw refuse(`is longer than ${MAX_EXTRAS_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw refuse('is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse('is not a JSON object');
  const unknown = Object.keys(parsed).filter((k) => !['survival', 'fairness', 'explanations', 'explanationsUnavailable'].includes(k));
  if (unknown.length > 0) throw refuse(`has keys other than survival, fairness, explanations and explanationsUnavailable`);
  return parsed as EvaluationExtras;
}

// RECEIPT_INVALID: the upload's receipt does not describe the chunks the site itself sent over its mTLS stream (receiptFor).
const CHARGED: ReadonlySet<string> = new Set([UpdateErrors.NOT_SINGLE.code, SecureAggErrors.PARAMS_MISMATCH.code, SecureAggErrors.TOO_MANY_SUMMANDS.code, SecureAggErrors.RECEIPT_INVALID.code]);
// A receipt whose signature fails (SECURE_AGG_CONTRIBUTION_REFUSED) is charged by the engine itself (RunEngine.verifyUploadReceipt).

/**
 * The refusal to record as the sending site's failure, or undefined. Framing faults (a stream
 * cut short, a chunk out of order, too many chunks, bytes that do not parse) and the round's
 * state (closed, already delivered) are refused without a charge: nothing of the upload was
 * counted and the site may send it again (a real agent reports its own failure if it cannot).
 */
export function chargedToSender(e: unknown): CohortError | undefined {
  return e instanceof CohortError && CHARGED.has(e.code) ? e : undefined;
}

/**
 * Checks a masked upload's receipt against the upload as it arrived: the sender's name, the
 * run, round and chunk count, and the SHA-256 of the chunks; a receipt that does not describe
 * the upload is refused here and nothing is counted. Its signature is checked next
 * (RunEngine.verifyUploadReceipt), and the sites check every receipt again before they decrypt.
 */
function receiptFor(site: string, header: { runId: string; round: number; chunkCount: number; receiptJson: string }, chunksSha256: string): string {
  let r: Partial<ContributionReceipt>;
  try {
    r = JSON.parse(header.receiptJson) as Partial<ContributionReceipt>;
  } catch {
    throw new CohortError(SecureAggErrors.RECEIPT_INVALID, 'the upload\'s receipt is not JSON', { details: { field: 'receipt_json' } });
  }
  if (typeof r !== 'object' || r === null || r.site !== site || r.run !== header.runId || r.round !== header.round || r.chunkCount !== header.chunkCount || r.chunksSha256 !== chunksSha256) {
    throw new CohortError(SecureAggErrors.RECEIPT_INVALID, `the upload's receipt does not describe this upload of ${site} (site, run, round, chunk count or SHA-256 of the chunks differ)`, {
      details: { field: 'receipt_json', site },
    });
  }
  return header.receiptJson;
}

export function siteServiceHandlers(ctx: SiteServiceContext): SiteServiceHandlers {
  const { engine, log } = ctx;
  return {
    Register: unary(ctx, (site, req) => {
      engine.registerSite(site, req.agentVersion, req.backend);
      log.info({ site, agentVersion: req.agentVersion, backend: req.backend }, 'site registered');
      return { site, consortium: ctx.guard.consortium, heartbeatIntervalMs: ctx.heartbeatIntervalMs };
    }),

    CosignCheckpoint: unary(ctx, (site, req) => {
      if (!ctx.witness) throw new CohortError(RunErrors.INVALID_REQUEST, 'this coordinator does not take cosignatures', { details: { field: 'cosignature_json' } });
      ctx.witness.received(site, req);
      return { ok: true };
    }),

    Heartbeat: unary(ctx, (site) => {
      engine.heartbeat(site);
      return { serverTimeMs: String(Date.now()) };
    }),

    RespondToRun: unary(ctx, (site, req) => {
      if (!req.runId) throw new CohortError(RunErrors.INVALID_REQUEST, 'run_id is required', { details: { field: 'run_id' } });
      engine.respondToRun(site, req.runId, req.accept, {
        reasonCode: req.reasonCode,
        reason: req.reason,
        numExamples: Number(req.numExamples),
        fingerprint: req.datasetFingerprint,
        plannedJson: req.planned ? JSON.stringify(req.planned) : undefined,
      });
      return { ok: true };
    }),

    ReportEvaluation: unary(ctx, (site, req) => {
      engine.reportEvaluation(site, req.runId, req.round, {
        weightsSha256: req.weightsSha256,
        chunks: req.evaluationChunks,
        // The site's own metrics only when it says it shares them.
        ...(req.siteMetrics ? { own: { site, numExamples: Number(req.numExamples), loss: req.loss, accuracy: req.accuracy, auc: req.auc } } : {}),
        ...(req.privacy ? { privacyJson: JSON.stringify(req.privacy) } : {}),
      });
      return { ok: true };
    }),

    AcknowledgeFinish: unary(ctx, (site, req) => {
      engine.acknowledgeEnd(site, req.runId);
      return { ok: true };
    }),

    ReportConsortiumMetrics: unary(ctx, (site, req) => {
      engine.reportConsortiumMetrics(site, req.runId, req.round, {
        numExamples: Number(req.numExamples),
        evaluators: req.evaluators,
        loss: req.loss,
        accuracy: req.accuracy,
        auc: req.auc,
        aucResolution: req.aucResolution,
        ...metricsExtras(req.extrasJson),
      });
      return { ok: true };
    }),

    PublishExchangeKey: unary(ctx, (site, req) => {
      checkAnnouncementShape(req.announcementJson, site, ctx.guard.consortium);
      const now = Date.now();
      engine.store.tx(() => {
        engine.store.putExchangeKey(site, req.announcementJson, now);
        engine.store.appendEvent(site, 'key.exchange-key', null, {}, now);
      });
      return { ok: true };
    }),

    GetKeyCeremony: unary(ctx, () => {
      const key = engine.store.heKey();
      return {
        keyHolder: ctx.keyHolder ?? '',
        paramsJson: key?.params_json ?? '',
        // Revoked sites are left out here too; the key holder also checks them against the CRL (GetCrl) itself.
        recipients: engine.store
          .exchangeKeys()
          .filter((k) => !announcedByRevoked(k.announcement_json, ctx.guard))
          .map((k) => ({
            site: k.site,
            announcementJson: k.announcement_json,
            // Sealed means: sealed to the exchange key the site announces now (it may have made a new one).
            sealed: key !== undefined && sealedToCurrentKey(engine.store.sealedKey(key.key_id, k.site), k.announcement_json),
          })),
      };
    }),

    PublishSealedKeys: unary(ctx, (site, req, call) => {
      if (ctx.keyHolder === undefined || site !== ctx.keyHolder) {
        throw new CohortError(RunErrors.PERMISSION_DENIED, `only the key holder "${ctx.keyHolder ?? '(none in the coordinator kit)'}" may publish the HE key; "${site}" may not`);
      }
      const params = checkKeyParameters(req.paramsJson);
      const existing = engine.store.heKey();
      if (existing && existing.key_id !== params.keyId) {
        throw new CohortError(SecureAggErrors.KEY_CEREMONY, `the consortium already has HE key ${existing.key_id}; key rotation is not supported, so key ${params.keyId} is refused`);
      }
      // The name is not enough (the operator can issue a certificate for it): the key must be the first publisher's.
      const signingKey = callerSigningKey(call);
      const recorded = existing ? engine.store.heKeyPublisher(existing.key_id) : undefined;
      if (recorded !== undefined) checkPublisherKey(params.keyId, recorded, { name: site, signingKey });
      const entries = req.sealed.map((e) => ({ site: e.site, json: e.sealedJson }));
      for (const e of entries) checkSealedKeyShape(e.json, e.site, params.keyId, site);
      const now = Date.now();
      const stored: string[] = [];
      engine.store.tx(() => {
        // Only the checked public fields are stored, whatever else the message carried.
        if (!existing) engine.store.insertHeKey(params.keyId, JSON.stringify(params), site, signingKey, now);
        // A key stored before publishers were recorded: its key holder's next publish records it.
        else if (recorded === undefined) engine.store.recordHeKeyPublisher(params.keyId, signingKey, now);
        for (const e of entries) {
          // Read inside the transaction, so a second entry for the same site in this call counts too.
          if (sealedCopyChange(engine.store.sealedKey(params.keyId, e.site), e.json, e.site) === 'unchanged') continue;
          engine.store.putSealedKey(params.keyId, e.site, e.json, now);
          stored.push(e.site);
        }
        engine.store.appendEvent(site, 'key.publish', null, { keyId: params.keyId, sealedFor: stored }, now);
      });
      log.info({ keyId: params.keyId, sealedFor: stored }, 'sealed HE keys stored');
      return { ok: true };
    }),

    GetCrl: unary(ctx, () => ({ crlPem: ctx.crlPem?.() ?? '' })),

    GetSealedKey: unary(ctx, (site, req) => {
      const sealed = engine.store.sealedKey(req.keyId, site);
      if (sealed === undefined) {
        throw new CohortError(SecureAggErrors.NO_KEY, `no sealed copy of HE key ${req.keyId || '(none named)'} for site ${site}; the key holder has not sealed it to this site yet`, {
          details: { keyId: req.keyId, site },
        });
      }
      return { sealedJson: sealed };
    }),

    ReleaseModel: unary(ctx, (site, req) => {
      const modelId = engine.releaseModel(site, req.runId, Buffer.from(req.weights), req.weightsSha256);
      log.info({ site, runId: req.runId, modelId }, 'model released');
      return { modelId, runId: req.runId, weightsSha256: engine.getRunOrThrow(req.runId).final_weights_sha256 ?? '' };
    }),

    ReportFailure: unary(ctx, (site, req) => {
      log.warn({ site, runId: req.runId, round: req.round, code: req.code }, 'site reported a failure');
      engine.reportFailure(site, req.runId, req.round, req.code, req.message);
      return { ok: true };
    }),

    WatchTasks(call) {
      let site: string;
      try {
        site = authorize(call, SITE, ctx.guard).name;
      } catch (e) {
        call.emit('error', toServiceError(e));
        return;
      }
      const sent = new Set<string>();
      const send = (t: SiteTask): void => {
        if (sent.has(t.taskId)) return;
        sent.add(t.taskId);
        call.write({ ...t, ...(ctx.witness?.fieldsFor(site) ?? { auditCheckpointJson: '', auditProof: [], auditProofFrom: '0' }) });
      };
      const onTasks = (s: string): void => {
        if (s === site) for (const t of engine.pendingTasks(site)) send(t);
      };
      const onPush = (s: string, t: SiteTask): void => {
        if (s === site) send(t);
      };
      ctx.witness?.siteConnected(site, Number(call.request.witnessedSize));
      engine.presence.connected(site);
      engine.on('tasks', onTasks);
      engine.on('push', onPush);
      log.info({ site }, 'task stream opened');
      onTasks(site);
      let closed = false;
      const close = (): void => {
        if (closed) return;
        closed = true;
        engine.off('tasks', onTasks);
        engine.off('push', onPush);
        engine.presence.disconnected(site, Date.now());
        log.info({ site }, 'task stream closed');
      };
      call.on('cancelled', close);
      call.on('close', close);
      call.on('error', close);
    },

    UploadUpdate(call, callback) {
      let site: string;
      try {
        site = authorize(call, SITE, ctx.guard).name;
      } catch (e) {
        callback(toServiceError(e));
        return;
      }
      let header: { runId: string; round: number; trainLoss: number; chunkCount: number; adder: ChunkAdder; receiptJson: string } | undefined;
      /** The SHA-256 of the chunks as they arrive, kept only for an upload that comes with a masked round's signed receipt. */
      let digest: UploadDigest | undefined;
      let spool: UpdateSpool | undefined;
      let done = false;
      /**
       * Refuses the upload. `sendersChunk`: `e` is the check of a chunk the site sent, in a round
       * it may upload to; only then can it be the site's failure (never the coordinator's own
       * fault, such as a run codec it cannot build an adder from).
       */
      const fail = (e: unknown, sendersChunk = false): void => {
        if (done) return;
        done = true;
        spool?.discard();
        if (e instanceof CohortError) log.warn({ site, code: e.code, runId: header?.runId, round: header?.round }, 'update refused');
        const charged = sendersChunk && header ? chargedToSender(e) : undefined;
        if (header && charged) {
          // A bad upload costs its sender, not the round: the others' updates go on being summed.
          try {
            engine.reportFailure(site, header.runId, header.round, charged.code, charged.message, 'coordinator');
          } catch (chargeError) {
            log.error({ site, runId: header.runId, round: header.round, err: (chargeError as Error).message }, 'bad upload not recorded as its sender\'s failure');
          }
        }
        callback(toServiceError(e));
      };
      call.on('data', (msg: UpdateChunk__Output) => {
        if (done) return;
        try {
          if (!header) {
            if (msg.body !== 'header' || !msg.header) throw new CohortError(UpdateErrors.HEADER_MISSING, 'the first message of an upload must be its header');
            const h = msg.header;
            const run = engine.checkUploadAllowed(site, h.runId, h.round);
            const adder = engine.adderOf(run);
            if (h.chunkCount !== adder.chunkCount) {
              throw new CohortError(UpdateErrors.CHUNK_INDEX, `the header announces ${h.chunkCount} chunks, the run codec has ${adder.chunkCount}`);
            }
            header = { runId: h.runId, round: h.round, trainLoss: h.trainLoss, chunkCount: adder.chunkCount, adder, receiptJson: h.receiptJson };
            spool = new UpdateSpool(join(ctx.spoolDir, h.runId));
            if (h.receiptJson !== '') digest = new UploadDigest();
            return;
          }
          const chunk = msg.chunk;
          if (msg.body !== 'chunk' || !chunk) throw new CohortError(UpdateErrors.HEADER_MISSING, 'only one header may start an upload');
          if (!spool) throw new Error('spool missing');
          if (spool.chunkCount >= header.chunkCount) {
            throw new CohortError(UpdateErrors.OVERSIZED, `the upload carries more than the ${header.chunkCount} chunks of the run codec`);
          }
          if (chunk.index !== spool.chunkCount) {
            throw new CohortError(UpdateErrors.CHUNK_INDEX, `expected chunk ${spool.chunkCount}, got ${chunk.index}`);
          }
          try {
            header.adder.validate(chunk.data, chunk.index);
          } catch (e) {
            fail(e, true);
            return;
          }
          spool.append(chunk.data);
          digest?.update(chunk.data);
        } catch (e) {
          fail(e);
        }
      });
      call.on('end', () => {
        if (done) return;
        try {
          if (!header || !spool) throw new CohortError(UpdateErrors.HEADER_MISSING, 'the upload ended before its header');
          if (spool.chunkCount < header.chunkCount) {
            throw new CohortError(UpdateErrors.TRUNCATED, `the upload ended after ${spool.chunkCount} of ${header.chunkCount} chunks; nothing was counted`);
          }
          const source = spool.source(header.trainLoss);
          if (header.receiptJson !== '') {
            try {
              source.receiptJson = receiptFor(site, header, (digest ?? new UploadDigest()).digest());
              // Signed by the sender under a valid consortium certificate; a bad one is charged to it.
              engine.verifyUploadReceipt(site, header.runId, header.round, source.receiptJson);
            } catch (e) {
              // A receipt that does not match the chunks the site sent is the sender's failure.
              fail(e, true);
              return;
            }
          }
          engine.commitUpdate(site, header.runId, header.round, source);
          const receipt = { runId: header.runId, round: header.round, chunks: spool.chunkCount, bytes: String(spool.bytes) };
          log.info({ site, runId: header.runId, round: header.round, chunks: spool.chunkCount, bytes: spool.bytes }, 'update committed');
          done = true;
          spool.discard();
          callback(null, receipt);
        } catch (e) {
          fail(e);
        }
      });
      call.on('error', () => {
        // The stream broke half way (client cancelled or the connection dropped): nothing was counted.
        done = true;
        spool?.discard();
      });
    },

    SubmitMaskMessage: unary(ctx, (site, req) => {
      if (!req.runId) throw new CohortError(RunErrors.INVALID_REQUEST, 'run_id is required', { details: { field: 'run_id' } });
      engine.submitMaskMessage(site, req.runId, req.round, req.kind, req.json);
      return { ok: true };
    }),

    DownloadAggregate: streamSums(ctx, (runId, round) => engine.aggregateOf(runId, round)),
    DownloadEvaluation: streamSums(ctx, (runId, round) => engine.evaluationSumOf(runId, round)),
  };
}
