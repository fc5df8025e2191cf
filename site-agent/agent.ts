/**
 * The site agent's connection loop. It only dials out: registers, keeps a task stream
 * open, heartbeats, and reconnects with capped exponential backoff (with jitter) when the
 * coordinator restarts or the network drops. Tasks run one at a time, in arrival order.
 */
import type * as grpc from '@grpc/grpc-js';
import { CohortError, SecureAggErrors, TransportErrors, UpdateErrors, isCohortError } from '../core/errors/index.ts';
import type { Logger } from '../core/logging.ts';
import type { Kit } from '../core/pki/kit.ts';
import { SITE_MAX_RECONNECT_BACKOFF_MS, siteClient, unary } from '../core/rpc/clients.ts';
import { fromServiceError } from '../core/rpc/status-errors.ts';
import type { CodecDescriptor } from '../core/update-codec/index.ts';
import type { SiteServiceClient } from '../protos/gen/cohort/v1/SiteService.ts';
import type { Task__Output } from '../protos/gen/cohort/v1/Task.ts';
import type { RegisterResponse__Output } from '../protos/gen/cohort/v1/RegisterResponse.ts';
import type { CrlResponse__Output } from '../protos/gen/cohort/v1/CrlResponse.ts';
import { verifyCeremonyCrl } from '../core/secure-agg/crl-check.ts';
import type { HeKeyStore } from './he-keys.ts';
import { ensureHeKey, publishExchangeKey } from './key-ceremony.ts';
import type { PrivacyLedger } from './privacy/ledger.ts';
import type { RunStateStore } from './run-state.ts';
import { SiteMasking } from './masking.ts';
import { assertSiteTestHooksAllowed, recordUpdateForTests, SITE_TEST_HOOKS_SET, siteExitPoint } from './test-hooks.ts';
import { BfvUpdateEncoder } from '../core/secure-agg/bfv-update-encoder.ts';
import { isMaskedRun, maskingOf, type MaskingParameters, type MaskTaskData } from '../core/secure-agg/masked-run.ts';
import type { SiteMasker } from '../core/secure-agg/masking/site-masker.ts';
import type { ModelSpec } from '../models/spec-schema.ts';
import { acceptedSpec, boundSpec } from './run-binding.ts';
import { releasableWeights, RunWorker, weightsSha256, type OfferedCodec } from './run-worker.ts';
import { releasedMessage } from './privacy/release-policy.ts';
import type { BackendChoice, SiteConfig } from './site-config.ts';
import { selectBackend } from './training/backend.ts';
import type { SiteAudit } from './site-audit.ts';
import { offerMasked, recordDecision, recordRound, specColumns, witnessTask } from './audit-hooks.ts';
import type { PreparedDataset } from './data/prepare-dataset.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  kit: Kit;
  config: SiteConfig;
  states: RunStateStore;
  /** The site's key-ceremony material (exchange key, consortium HE key), sealed at rest. */
  heKeys: HeKeyStore;
  /** The site's privacy ledger (encrypted, hash-chained). */
  ledger: PrivacyLedger;
  /** Requested training backend; `auto` is resolved per run from the model family. */
  backend: BackendChoice;
  log: Logger;
  /** Address override (tests); defaults to the kit's coordinator address. */
  address?: string;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often a connected agent announces its exchange key again (default 12 h; announcements live 7 days). */
  reannounceIntervalMs?: number;
  /** The site's audit log (site-audit.ts): decisions, dataset reads, privacy spend, and witnessing of the coordinator's log. */
  audit?: SiteAudit;
}

/** Announcements expire after 7 days (core/secure-agg/key-ceremony.ts): a site connected for long re-announces well before. */
export const REANNOUNCE_INTERVAL_MS = 12 * 3_600_000;

type AgentState = 'STARTING' | 'CONNECTED' | 'RECONNECTING' | 'STOPPED';

type SumChunk = { index: number; data: Buffer; contributors: number; receiptsJson: string };

/** Reads a stream of summed chunks (an aggregate or a summed evaluation) to its end; a masked aggregate's receipts come with its first chunk. */
function downloadSums(open: (onData: (c: SumChunk) => void) => grpc.ClientReadableStream<unknown>): Promise<{ chunks: Uint8Array[]; contributors: number; receiptsJson: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let contributors = 0;
    let receiptsJson = '';
    const stream = open((c) => {
      chunks.push(c.data);
      contributors = c.contributors;
      if (c.index === 0) receiptsJson = c.receiptsJson;
    });
    stream.on('error', (e: grpc.ServiceError) => reject(fromServiceError(e)));
    stream.on('end', () => resolve({ chunks, contributors, receiptsJson }));
  });
}

/** The masking parameters a task's spec names (for the binding check). */
function taskMasking(specJson: string): MaskingParameters | undefined {
  try {
    return maskingOf(JSON.parse(specJson) as ModelSpec);
  } catch {
    return undefined;
  }
}

export class SiteAgent {
  private state: AgentState = 'STARTING';
  private client: SiteServiceClient | undefined;
  private stream: grpc.ClientReadableStream<Task__Output> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reannounce: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly queued = new Set<string>();
  private readonly workers = new Map<string, RunWorker>();
  private wake: (() => void) | undefined;
  /** Model family the active TensorFlow.js backend was chosen for. */
  private backendFamily: string | undefined;
  /** This site's steps in masked rounds (masking.ts). */
  private readonly masking: SiteMasking;

  constructor(private readonly options: AgentOptions) {
    this.masking = new SiteMasking({ me: options.kit, states: options.states, isRevoked: (serial) => this.revoked(serial) });
  }

  /** Revocation for the masking steps: the consortium CRL, as last fetched and verified ({@link refreshCrl}). */
  private revoked: (serial: string) => boolean = () => false;

  /**
   * Fetches the CRL the coordinator serves (GetCrl, as the key ceremony does) and verifies it
   * against the consortium CA before a masking step checks signatures under it. A CRL that does
   * not verify or is stale fails the step (coded). A coordinator that serves none leaves no
   * revocation to check (logged): site kits carry no CRL of their own.
   */
  private async refreshCrl(client: SiteServiceClient): Promise<void> {
    const pem = (await unary<CrlResponse__Output>((o, cb) => client.getCrl({}, o, cb))).crlPem;
    if (pem.trim() === '') {
      this.options.log.warn({}, 'the coordinator serves no CRL: masking steps check no revocation');
      this.revoked = () => false;
      return;
    }
    const crl = await verifyCeremonyCrl(pem, this.options.kit.caPem, { source: 'served by the coordinator' });
    this.revoked = (serial) => crl.isRevoked(serial);
  }

  get name(): string {
    return this.options.kit.name;
  }

  /** Runs until stop(); resolves when stopped. */
  async run(): Promise<void> {
    const { log } = this.options;
    const minBackoff = this.options.minBackoffMs ?? 250;
    const maxBackoff = this.options.maxBackoffMs ?? SITE_MAX_RECONNECT_BACKOFF_MS;
    let backoff = minBackoff;
    const { kit, config } = this.options;
    assertSiteTestHooksAllowed(process.env);
    if (SITE_TEST_HOOKS_SET.length > 0) log.warn({ variables: SITE_TEST_HOOKS_SET }, 'TEST-ONLY hooks are set (site-agent/test-hooks.ts); never outside tests');
    if (kit.keyHolder !== undefined && kit.keyHolder !== kit.name && config.keyHolderKey === undefined) {
      log.warn(
        { code: SecureAggErrors.KEY_HOLDER_NOT_PINNED.code, keyHolder: kit.keyHolder },
        'no keyHolderKey in the site config: this site opens no sealed HE key and declines encrypted runs until the key holder\'s signingKeyFingerprint, confirmed out of band, is set there',
      );
    }
    while (!this.stopped()) {
      try {
        this.client = siteClient(this.options.kit, this.options.address);
        const client = this.client;
        const req = { agentVersion: AGENT_VERSION, backend: this.options.backend, datasets: Object.keys(this.options.config.datasets) };
        const reg = await unary<RegisterResponse__Output>((o, cb) => client.register(req, o, cb), 10_000);
        this.state = 'CONNECTED';
        backoff = minBackoff;
        log.info({ site: reg.site, consortium: reg.consortium }, 'registered with the coordinator');
        // Lets the key holder seal the consortium HE key to this site (again, if it changed);
        // announcements expire, so a fresh one on every connect and every 12 h while connected.
        await this.announce(client);
        this.startReannounce(client);
        this.startHeartbeat(reg.heartbeatIntervalMs || 2_000);
        await this.watchTasks();
      } catch (e) {
        const err = e instanceof CohortError ? e : undefined;
        if (!this.stopped()) log.warn({ code: err?.code, err: (e as Error).message }, 'connection to the coordinator lost');
      }
      this.stopHeartbeat();
      this.stopReannounce();
      this.client?.close();
      if (this.stopped()) break;
      this.state = 'RECONNECTING';
      const delay = Math.round(backoff * (0.5 + Math.random() / 2));
      log.info({ delayMs: delay }, 'reconnecting');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }

  private stopped(): boolean {
    return this.state === 'STOPPED';
  }

  stop(): void {
    this.state = 'STOPPED';
    this.stream?.cancel();
    this.stopHeartbeat();
    this.stopReannounce();
    this.wake?.();
  }

  /** Waits for the task queue to drain (tests and shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private announce(client: SiteServiceClient): Promise<void> {
    return publishExchangeKey(client, this.options.kit, this.options.heKeys)
      .then(() => this.options.audit?.keyCeremony('exchange.publish', 'ok', {}))
      .catch((e: unknown) => {
        this.options.audit?.keyCeremony('exchange.publish', 'failed', { code: (e as CohortError).code ?? null });
        this.options.log.warn({ err: (e as Error).message }, 'could not publish the key-exchange key; encrypted runs will wait for it');
      });
  }

  private startReannounce(client: SiteServiceClient): void {
    this.stopReannounce();
    this.reannounce = setInterval(() => void this.announce(client), this.options.reannounceIntervalMs ?? REANNOUNCE_INTERVAL_MS);
    this.reannounce.unref();
  }

  private stopReannounce(): void {
    if (this.reannounce) clearInterval(this.reannounce);
    this.reannounce = undefined;
  }

  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      const c = this.client;
      if (!c) return;
      c.heartbeat({ state: this.state }, { deadline: Date.now() + intervalMs }, () => undefined);
    }, intervalMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private watchTasks(): Promise<void> {
    return new Promise((resolve, reject) => {
      const client = this.client;
      if (!client) return reject(new Error('no client'));
      const stream = client.watchTasks({ witnessedSize: String(this.options.audit?.witnessedSize ?? 0) });
      this.stream = stream;
      stream.on('data', (task: Task__Output) => this.enqueue(task));
      stream.on('error', (e: grpc.ServiceError) => reject(fromServiceError(e)));
      stream.on('end', () => resolve());
    });
  }

  private enqueue(task: Task__Output): void {
    if (this.queued.has(task.taskId)) return;
    this.queued.add(task.taskId);
    this.queue = this.queue
      .then(() => this.handle(task))
      .catch((e: unknown) => this.options.log.error({ taskId: task.taskId, err: (e as Error).message }, 'task failed'))
      .finally(() => this.queued.delete(task.taskId));
  }

  /**
   * The run's worker, on the spec this site accepted (after a restart too, whatever task comes
   * first); refuses a task that names another spec, minSites or a round past spec.rounds.
   */
  private workerFor(task: Task__Output): RunWorker {
    const masking = taskMasking(task.specJson);
    const spec = boundSpec(this.options.states, { ...task, ...(masking === undefined ? {} : { masking }) });
    let w = this.workers.get(task.runId);
    const audit = this.options.audit;
    if (!w) {
      w = new RunWorker({
        site: this.name,
        runId: task.runId,
        spec,
        config: this.options.config,
        states: this.options.states,
        heKeys: this.options.heKeys,
        ledger: this.options.ledger,
        ...(this.options.kit.agreement === undefined ? {} : { agreement: this.options.kit.agreement }),
        // Where the data actually loads (an offer, declined or accepted, or the first task after a restart): once per load.
        ...(audit === undefined ? {} : { onDatasetRead: (d: PreparedDataset) => audit.datasetRead(task.runId, spec.dataset, specColumns(spec), d.train.rows + d.test.rows, d.droppedRows) }),
      });
      this.workers.set(task.runId, w);
    }
    return w;
  }

  private async handle(task: Task__Output): Promise<void> {
    const { log } = this.options;
    const client = this.client;
    if (!client) return;
    log.info({ taskId: task.taskId, kind: task.kind, runId: task.runId, round: task.round }, 'task received');
    try {
      // Witnessing first: a task whose audit checkpoint does not extend the one this site cosigned is refused (audit-hooks.ts).
      if (this.options.audit && !(await witnessTask({ audit: this.options.audit, client, task, log, resync: () => this.stream?.cancel() }))) return;
      switch (task.kind) {
        case 'TASK_KIND_OFFER': {
          const offered = JSON.parse(task.codecJson) as OfferedCodec;
          const decision = await this.workerFor(task).decide(task.submittedBy, offered, await this.keyCheck(client, offered));
          if (decision.accept && offered.kind === 'bfv-pending' && !offerMasked(this.workerFor(task).spec, offered)) {
            // Not silent: without masks a site colluding with the coordinator can decrypt this site's update (docs/secure-aggregation.md).
            log.warn({ runId: task.runId, masked: false }, 'accepted an encrypted run whose spec opts out of pairwise masking (masking: false); policy.requireMasking declines such runs');
          }
          const answer = {
            runId: task.runId,
            accept: decision.accept,
            reasonCode: decision.reasonCode,
            reason: decision.reason,
            numExamples: String(decision.numExamples),
            datasetFingerprint: decision.fingerprint,
            planned: decision.planned ?? null,
          };
          await unary((o, cb) => client.respondToRun(answer, o, cb));
          if (this.options.audit) recordDecision(this.options.audit, this.workerFor(task).spec, task, decision);
          log.info({ runId: task.runId, accept: decision.accept, reasonCode: decision.reasonCode }, 'answered run offer');
          return;
        }
        case 'TASK_KIND_TRAIN':
          await this.train(client, task);
          return;
        case 'TASK_KIND_EVALUATE':
          await this.evaluate(client, task);
          // The round is over for this site: its spend and a signed checkpoint of its own log.
          if (this.options.audit) recordRound(this.options.audit, this.options.ledger, task);
          return;
        case 'TASK_KIND_SCORE':
          await this.score(client, task);
          return;
        case 'TASK_KIND_MASK_KEYS':
        case 'TASK_KIND_MASK_SHARES':
        case 'TASK_KIND_UNMASK':
          await this.maskStep(client, task);
          return;
        case 'TASK_KIND_FINISH':
          log.info({ runId: task.runId, state: task.runState, message: task.message }, 'run finished');
          // A FINISH sent again (until acknowledged) names the model once it is in the registry.
          if (task.runState === 'COMPLETED' && task.modelId === '') await this.release(client, task);
          // Whatever the end (completed, cancelled, failed), the ledger's stop frees the unspent reservation.
          this.options.ledger.release(task.runId);
          this.workers.get(task.runId)?.dispose();
          this.workers.delete(task.runId);
          // Until acknowledged, the coordinator sends this task again on every reconnect.
          await unary((o, cb) => client.acknowledgeFinish({ runId: task.runId }, o, cb));
          return;
        default:
          log.warn({ kind: task.kind }, 'unknown task kind ignored');
      }
    } catch (e) {
      const err = e instanceof CohortError ? e : undefined;
      if (err?.code === TransportErrors.TRANSPORT.code) throw e; // the connection is gone; the task comes back on reconnect
      log.error({ runId: task.runId, round: task.round, code: err?.code, err: (e as Error).message }, 'task failed; reporting');
      const code = err?.code ?? 'COHORT_E_SITE_TRAINING_FAILED';
      const report = { runId: task.runId, round: task.round, code, message: releasedMessage(code, (e as Error).message, this.options.config.policy.release) };
      await unary((o, cb) => client.reportFailure(report, o, cb)).catch(() => undefined);
    }
  }

  /**
   * For an encrypted run, makes sure this site holds the run's HE key (fetching its sealed copy
   * if needed); returns the refusal to decline with, or undefined.
   */
  private async keyCheck(client: SiteServiceClient, codec: OfferedCodec): Promise<CohortError | undefined> {
    if (codec.kind !== 'bfv-pending') return undefined;
    try {
      await ensureHeKey(client, this.options.kit, this.options.heKeys, codec.key?.keyId ?? '', this.options.config.keyHolderKey);
      this.options.audit?.keyCeremony('he.open', 'ok', { keyId: codec.key?.keyId ?? '' });
      return undefined;
    } catch (e) {
      this.options.audit?.keyCeremony('he.open', 'refused', { keyId: codec.key?.keyId ?? '', code: (e as CohortError).code ?? null });
      if (e instanceof CohortError && e.code !== TransportErrors.TRANSPORT.code) return e;
      throw e;
    }
  }

  /**
   * Uploads the completed run's final weights to the registry. Every site offers them; the
   * coordinator keeps the first whose hash is the agreed one and answers the rest with its id.
   */
  private async release(client: SiteServiceClient, task: Task__Output): Promise<void> {
    // After an agent restart there is no worker in memory; the sealed run state has the weights.
    const worker = this.workers.get(task.runId);
    const state = worker?.globalState() ?? this.options.states.load(task.runId);
    const spec = worker?.spec ?? acceptedSpec(this.options.states, task.runId);
    // Only weights that have the last round applied: a FINISH(COMPLETED) at another round releases nothing.
    const weights = releasableWeights(spec, state);
    if (!weights) {
      this.options.log.warn({ runId: task.runId, round: state?.round ?? 0, rounds: spec?.rounds }, 'final model not released: this site does not hold the last round\'s weights');
      return;
    }
    const req = { runId: task.runId, weights: Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength), weightsSha256: weightsSha256(weights) };
    try {
      const receipt = await unary<{ modelId: string }>((o, cb) => client.releaseModel(req, o, cb));
      this.options.log.info({ runId: task.runId, modelId: receipt.modelId }, 'final model released to the registry');
    } catch (e) {
      this.options.log.warn({ runId: task.runId, code: (e as CohortError).code, err: (e as Error).message }, 'final model not released');
    }
  }

  /** Activates the backend for the worker's model family (logged), unless it is already active. */
  private async useBackendFor(worker: RunWorker): Promise<void> {
    const family = worker.spec.model.family;
    if (this.backendFamily === family) return;
    const choice = await selectBackend(this.options.backend, family);
    this.backendFamily = family;
    this.options.log.info({ runId: worker.runId, family, backend: choice.backend, reason: choice.reason }, 'training backend selected');
  }

  /** Brings the site's global state up to `round - 1`, applying any aggregate it missed. */
  private async catchUp(client: SiteServiceClient, worker: RunWorker, codec: CodecDescriptor, round: number): Promise<void> {
    for (let r = worker.globalState().round + 1; r < round; r++) {
      worker.applyAggregate(r, await this.downloadAggregate(client, worker, codec, r));
    }
  }

  /**
   * The masking parameters of a masked round's task: the run must be one this site accepted
   * with masking, under BFV with a cohort of 3 or more, and the task must carry the round's masking data.
   */
  private maskingFor(worker: RunWorker, task: Task__Output): { params: MaskingParameters; data: MaskTaskData } {
    const params = maskingOf(worker.spec);
    const codec = JSON.parse(task.codecJson) as { kind: string; maxSummands?: number };
    if (params === undefined || !isMaskedRun(worker.spec, codec)) {
      throw new CohortError(SecureAggErrors.MASKING, `run ${task.runId} is not a masked run (accepted with masking, under BFV, 3 or more sites); a masking step is refused`, { details: { runId: task.runId, round: task.round } });
    }
    let data: MaskTaskData;
    try {
      data = JSON.parse(task.maskJson) as MaskTaskData;
    } catch {
      throw new CohortError(SecureAggErrors.MASKING, `round ${task.round} of run ${task.runId}: the task's masking data is not JSON`, { details: { runId: task.runId, round: task.round } });
    }
    return { params, data };
  }

  /** A masked round's key, share or release step: made (and sealed) here, sent to the coordinator to relay. */
  private async maskStep(client: SiteServiceClient, task: Task__Output): Promise<void> {
    const worker = this.workerFor(task);
    const { params, data } = this.maskingFor(worker, task);
    let kind: string;
    let json: string;
    if (task.kind === 'TASK_KIND_MASK_KEYS') {
      kind = 'keys';
      json = this.masking.keys(task.runId, task.round);
    } else if (task.kind === 'TASK_KIND_MASK_SHARES') {
      kind = 'shares';
      await this.refreshCrl(client);
      json = await this.masking.shares(task.runId, task.round, data.keys ?? [], params, worker.spec.minSites);
    } else {
      if (data.unmask === undefined) throw new CohortError(SecureAggErrors.UNMASK_UNSIGNED, `round ${task.round}: the unmask task carries no signed survivor set`, { details: { runId: task.runId, round: task.round } });
      kind = 'release';
      await this.refreshCrl(client);
      json = this.masking.release(task.runId, task.round, data.keys, data.unmask, params, worker.spec.minSites);
    }
    await unary((o, cb) => client.submitMaskMessage({ runId: task.runId, round: task.round, kind, json }, o, cb));
    this.options.log.info({ runId: task.runId, round: task.round, kind }, 'masking step sent');
  }

  private async train(client: SiteServiceClient, task: Task__Output): Promise<void> {
    const worker = this.workerFor(task);
    await this.useBackendFor(worker);
    const codec = JSON.parse(task.codecJson) as CodecDescriptor;
    await this.catchUp(client, worker, codec, task.round);
    // The strategy's configuration for the task's round, from the accepted spec: the task's must equal it.
    const fit = worker.fitFor(task.round, task.fitConfigJson);
    const encoder = await worker.encoderFor(codec);
    const masked = isMaskedRun(worker.spec, codec);
    if (masked !== (task.maskJson !== '')) {
      throw new CohortError(SecureAggErrors.MASKING, `round ${task.round} of run ${task.runId}: the run ${masked ? 'is masked, the task carries no masking' : 'is not masked, the task asks for masking'}; not trained`, {
        details: { runId: task.runId, round: task.round },
      });
    }
    // Checked before training: a round that cannot be masked spends no privacy budget.
    let masker: SiteMasker | undefined;
    if (masked && codec.kind === 'bfv') {
      const { params, data } = this.maskingFor(worker, task);
      await this.refreshCrl(client);
      masker = this.masking.masker(task.runId, task.round, data, params, worker.spec.minSites, codec);
    }
    let chunks: Iterable<Uint8Array>;
    let receiptJson = '';
    let trained: Awaited<ReturnType<RunWorker['train']>>;
    try {
      trained = await worker.train(fit, codec);
      if (masker) {
        // The mask goes onto the quantized slots before encryption; the receipt signs the chunks.
        if (!(encoder instanceof BfvUpdateEncoder)) throw new Error('a masked round needs the BFV encoder');
        const masked = [...encoder.encodeMasked(trained.vector, masker)];
        receiptJson = this.masking.receipt(task.runId, task.round, masked);
        chunks = masked;
      } else {
        chunks = encoder.encode(trained.vector);
      }
    } finally {
      masker?.dispose();
    }
    const { vector, trainLoss, numExamples } = trained;
    recordUpdateForTests(this.name, task.runId, task.round, vector);
    siteExitPoint('before-upload', task.round);
    try {
      const receipt = await this.upload(client, task, chunks, encoder.chunkCount, trainLoss, receiptJson);
      siteExitPoint('after-upload', task.round);
      this.options.log.info({ runId: task.runId, round: task.round, numExamples, chunks: receipt.chunks, bytes: receipt.bytes }, 'update delivered');
    } catch (e) {
      if (isCohortError(e, UpdateErrors.DUPLICATE)) return; // an earlier attempt was counted
      throw e;
    }
  }

  private upload(client: SiteServiceClient, task: Task__Output, chunks: Iterable<Uint8Array>, chunkCount: number, trainLoss: number, receiptJson = ''): Promise<{ chunks: number; bytes: string }> {
    return new Promise((resolve, reject) => {
      const stream = client.uploadUpdate((err, receipt) => {
        if (err) reject(fromServiceError(err));
        else resolve({ chunks: receipt?.chunks ?? 0, bytes: receipt?.bytes ?? '0' });
      });
      stream.write({ header: { runId: task.runId, round: task.round, chunkCount, totalBytes: '0', trainLoss, receiptJson } });
      let index = 0;
      for (const data of chunks) stream.write({ chunk: { index: index++, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) } });
      stream.end();
    });
  }

  private async downloadAggregate(client: SiteServiceClient, worker: RunWorker, codec: CodecDescriptor, round: number): Promise<Float64Array> {
    await worker.encoderFor(codec);
    const { chunks, contributors, receiptsJson } = await downloadSums((cb) => client.downloadAggregate({ runId: worker.runId, round }).on('data', cb));
    if (!isMaskedRun(worker.spec, codec)) return worker.decodeAggregate(chunks, contributors);
    // A masked aggregate: the survivors' signed receipts first, then the check slots must decrypt to exactly |U|.
    await this.refreshCrl(client);
    const survivors = this.masking.verifyReceipts(worker.runId, round, receiptsJson, chunks.length, worker.spec.minSites);
    if (survivors !== contributors) {
      throw new CohortError(SecureAggErrors.AGGREGATE_INCONSISTENT, `the aggregate of round ${round} comes with ${survivors} receipts, the coordinator says ${contributors} contributors`, { details: { round, survivors, contributors } });
    }
    return worker.decodeAggregate(chunks, survivors);
  }

  private async evaluate(client: SiteServiceClient, task: Task__Output): Promise<void> {
    const worker = this.workerFor(task);
    await this.useBackendFor(worker);
    const codec = JSON.parse(task.codecJson) as CodecDescriptor;
    // After a restart the round may already be applied: the encoders are needed all the same.
    await worker.encoderFor(codec);
    await this.catchUp(client, worker, codec, task.round);
    let global = worker.globalState();
    if (global.round === task.round - 1) global = worker.applyAggregate(task.round, await this.downloadAggregate(client, worker, codec, task.round));
    const { chunks, own } = await worker.evaluate(global.weights);
    const hash = weightsSha256(global.weights);
    const report = {
      runId: task.runId,
      round: task.round,
      weightsSha256: hash,
      evaluationChunks: chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      // The site's own metrics only when its release policy lets them go.
      siteMetrics: own !== undefined,
      ...(own ? { numExamples: String(own.numExamples), loss: own.loss, accuracy: own.accuracy, auc: own.auc } : {}),
      privacy: worker.privacySpent(),
    };
    await unary((o, cb) => client.reportEvaluation(report, o, cb));
    this.options.log.info({ runId: task.runId, round: task.round, weightsSha256: hash, sharedWithCoordinator: own !== undefined }, 'evaluation reported');
  }

  /** Decrypts the round's summed evaluation and reports the consortium metrics it holds. */
  private async score(client: SiteServiceClient, task: Task__Output): Promise<void> {
    const worker = this.workerFor(task);
    await worker.encoderFor(JSON.parse(task.codecJson) as CodecDescriptor);
    const { chunks, contributors } = await downloadSums((cb) => client.downloadEvaluation({ runId: task.runId, round: task.round }).on('data', cb));
    const m = worker.decodeEvaluation(chunks, contributors);
    const { survival, fairness, explanations, explanationsUnavailable, ...base } = m;
    // A cox-ph run's survival report and the spec's fairness and explanation reports, decrypted from the same sum, go beside the base metrics.
    const extras = { ...(survival ? { survival } : {}), ...(fairness ? { fairness } : {}), ...(explanations !== undefined ? { explanations } : {}), ...(explanationsUnavailable ? { explanationsUnavailable } : {}) };
    const report = {
      runId: task.runId,
      round: task.round,
      numExamples: String(base.numExamples),
      evaluators: base.evaluators,
      loss: base.loss,
      accuracy: base.accuracy,
      auc: base.auc,
      aucResolution: base.aucResolution,
      extrasJson: Object.keys(extras).length > 0 ? JSON.stringify(extras) : '',
    };
    await unary((o, cb) => client.reportConsortiumMetrics(report, o, cb));
    this.options.log.info({ runId: task.runId, round: task.round, ...base }, 'consortium metrics reported');
  }
}
