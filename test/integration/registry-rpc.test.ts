/**
 * The model registry over real mTLS on 127.0.0.1 with real kits: every RegistryService RPC
 * against every role (exact gRPC status and Cohort code), approval refused to a data
 * scientist, export refused before approval and allowed after, the exported layers model
 * loaded by TensorFlow.js's own HTTP loader and predicting what the registry's weights
 * compute by hand, rollback of champion to an earlier approved version, and every change
 * in the coordinator's audit log under a signed checkpoint.
 */
import * as grpc from '@grpc/grpc-js';
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModelCommands } from '../../cli/commands/model.ts';
import type { RunningCoordinator } from '../../coordinator/coordinator.ts';
import { verifyAuditLog } from '../../core/audit/verify.ts';
import type { CohortError } from '../../core/errors/index.ts';
import type { Kit } from '../../core/pki/kit.ts';
import { adminClient, registryClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { flattenWeights } from '../../models/build-model.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { initialWeights, parameterCount } from '../../models/weight-layout.ts';
import type { ModelVersion__Output } from '../../protos/gen/cohort/v1/ModelVersion.ts';
import type { ModelVersionExport__Output } from '../../protos/gen/cohort/v1/ModelVersionExport.ts';
import type { ModelAlias__Output } from '../../protos/gen/cohort/v1/ModelAlias.ts';
import type { ListModelVersionsResponse__Output } from '../../protos/gen/cohort/v1/ListModelVersionsResponse.ts';
import type { RegistryServiceClient } from '../../protos/gen/cohort/v1/RegistryService.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';
import { refusal, registerSites, startTestConsortium } from '../support/in-process-coordinator.ts';

const SPEC: ModelSpec = { ...loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml')), rounds: 1, minSites: 2 };
const NAME = SPEC.name;
const PERMISSION = 'COHORT_E_RUN_PERMISSION_DENIED';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const bytesOf = (w: Float32Array): Buffer => Buffer.from(w.buffer, w.byteOffset, w.byteLength);

/** Version v's weights: the spec's initial weights shifted by v / 10, so each version differs. */
function weightsOf(v: number): Float32Array {
  return initialWeights(SPEC).map((x, i) => x + v / 10 - (i % 3) * 0.05);
}

type Call = (c: RegistryServiceClient) => Promise<unknown>;

describe('model registry over mTLS', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let kit: (name: string) => Kit;
  let address: string;
  const modelIds: string[] = [];
  /** Notes and uses are free text: they must reach the audit log only as hashes. */
  const NOTE = 'Validated on the 2026 retrospective cohort, committee minute 14';
  const USE = 'Decision support for cardiology triage of adults';
  /** Single tokens that look like identifiers: core/audit's safeDetails would let them through as they are. */
  const ONE_WORD = { note: 'MRN-00482913', use: 'MRN-00482914', aliasNote: 'MRN-00482915' } as const;

  const as = <T>(who: string, call: (c: RegistryServiceClient, o: grpc.CallOptions, cb: grpc.requestCallback<T>) => unknown): Promise<T> => {
    const c = registryClient(kit(who), address);
    return unary<T>((o, cb) => call(c, o, cb)).finally(() => c.close());
  };
  const cli = (args: string[]) => runCli(registerModelCommands, ['model', ...args, '--address', address]);

  beforeAll(async () => {
    const t = await startTestConsortium({
      name: 'registry-test',
      sites: ['site-a', 'site-b'],
      users: [
        { name: 'alice', role: 'data-scientist' },
        { name: 'oscar', role: 'operator' },
        { name: 'aud', role: 'auditor' },
        { name: 'carol', role: 'approver' },
      ],
    });
    ({ dir, coordinator, address, kit } = t);
    await registerSites(t, ['site-a', 'site-b']);
    // Three completed runs of the same spec, each released by site-a through the real ReleaseModel RPC:
    // versions 1, 2 and 3 of one registered model. The runs are written as completed (training is not what this tests).
    const store = coordinator.engine.store;
    for (let v = 1; v <= 3; v++) {
      const runId = `run-reg-${v}`;
      const specJson = JSON.stringify(SPEC);
      const now = Date.now();
      store.tx(() => {
        store.insertRun({
          run_id: runId, name: NAME, state: 'COMPLETED', spec_json: specJson, spec_sha256: sha(Buffer.from(specJson)), codec_json: '{"kind":"plain"}',
          strategy: 'fedavg', rounds: 1, min_sites: 2, round_timeout_ms: 60_000, current_round: 1, submitted_by: 'alice', recruit_deadline_ms: now,
          error_code: null, error: null, final_weights_sha256: sha(bytesOf(weightsOf(v))), created_at_ms: now, updated_at_ms: now,
        });
        for (const site of ['site-a', 'site-b']) {
          store.upsertRunSite({ run_id: runId, site, state: 'ACCEPTED', reason_code: null, reason: null, num_examples: 100 + v, dataset_fingerprint: `hmac-${site}-${v}`, updated_at_ms: now });
          store.setRunSitePrivacy(runId, site, { privacy_json: JSON.stringify({ epsilon: v / 2, delta: 1e-5 }) });
        }
      });
      const c = siteClient(kit('site-a'), address);
      const weights = bytesOf(weightsOf(v));
      const receipt = await unary<{ modelId: string }>((o, cb) => c.releaseModel({ runId, weights, weightsSha256: sha(weights) }, o, cb));
      c.close();
      modelIds.push(receipt.modelId);
    }
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers the releases of one spec as versions 1, 2, 3 with provenance, pending approval', async () => {
    const list = await as<ListModelVersionsResponse__Output>('aud', (c, o, cb) => c.listModelVersions({ name: NAME }, o, cb));
    expect(list.versions.map((v) => [v.version, v.modelId, v.approval?.state])).toEqual([
      [1, modelIds[0], 'PENDING'],
      [2, modelIds[1], 'PENDING'],
      [3, modelIds[2], 'PENDING'],
    ]);
    expect(list.aliases).toEqual([]);
    const v2 = list.versions[1]!;
    expect(v2).toMatchObject({ name: NAME, runId: 'run-reg-2', weightsSha256: sha(bytesOf(weightsOf(2))), bytes: String(4 * parameterCount(SPEC)), releasedBy: 'site-a', softwareVersion: '0.1.0', intendedUse: SPEC.description });
    expect(JSON.parse(v2.specJson)).toEqual(JSON.parse(JSON.stringify(SPEC)));
    expect(JSON.parse(v2.provenanceJson)).toMatchObject({
      runId: 'run-reg-2',
      strategy: 'fedavg',
      rounds: 1,
      codec: { kind: 'plain' },
      sites: [
        { site: 'site-a', numExamples: 102, datasetFingerprint: 'hmac-site-a-2', privacy: { epsilon: 1, delta: 1e-5 }, agentVersion: '0.1.0-site-a' },
        { site: 'site-b', numExamples: 102, datasetFingerprint: 'hmac-site-b-2', privacy: { epsilon: 1, delta: 1e-5 }, agentVersion: '0.1.0-site-b' },
      ],
    });
  });

  describe('role matrix', () => {
    // Requests that, once authorized, fail (or succeed) without changing state, so each cell shows only the access decision.
    const rpcs: Record<string, Call> = {
      ListModelVersions: (c) => unary((o, cb) => c.listModelVersions({ name: '' }, o, cb)),
      GetModelVersion: (c) => unary((o, cb) => c.getModelVersion({ ref: 'model-none' }, o, cb)),
      ApproveModelVersion: (c) => unary((o, cb) => c.approveModelVersion({ ref: 'model-none', note: 'n', intendedUse: 'u' }, o, cb)),
      SetModelAlias: (c) => unary((o, cb) => c.setModelAlias({ name: 'none', alias: 'challenger', version: 1, note: '' }, o, cb)),
      RollbackModel: (c) => unary((o, cb) => c.rollbackModel({ name: 'none', toVersion: 1, note: 'n' }, o, cb)),
      ExportModelVersion: (c) => unary((o, cb) => c.exportModelVersion({ ref: 'model-none', allowUnapproved: false }, o, cb)),
    };
    // What an authorized caller gets: 'ok' or the code after the access check. Written out, not derived from the server's table.
    const authorized: Record<string, [string, grpc.status]> = {
      ListModelVersions: ['ok', grpc.status.OK],
      GetModelVersion: ['COHORT_E_REGISTRY_VERSION_NOT_FOUND', grpc.status.NOT_FOUND],
      ApproveModelVersion: ['COHORT_E_REGISTRY_VERSION_NOT_FOUND', grpc.status.NOT_FOUND],
      SetModelAlias: ['COHORT_E_REGISTRY_VERSION_NOT_FOUND', grpc.status.NOT_FOUND],
      RollbackModel: ['COHORT_E_REGISTRY_ROLLBACK_REFUSED', grpc.status.FAILED_PRECONDITION],
      ExportModelVersion: ['COHORT_E_REGISTRY_VERSION_NOT_FOUND', grpc.status.NOT_FOUND],
    };
    const allowed: Record<string, readonly string[]> = {
      ListModelVersions: ['alice', 'oscar', 'aud', 'carol'],
      GetModelVersion: ['alice', 'oscar', 'aud', 'carol'],
      ApproveModelVersion: ['carol'],
      SetModelAlias: ['oscar', 'carol'],
      RollbackModel: ['carol'],
      ExportModelVersion: ['alice', 'oscar', 'carol'],
    };
    const callers = ['alice', 'oscar', 'aud', 'carol', 'site-a', 'coordinator'];
    const cells = Object.keys(rpcs).flatMap((rpc) => callers.map((who) => [rpc, who] as const));

    it.each(cells)('%s as %s', async (rpc, who) => {
      const c = registryClient(kit(who), address);
      let outcome: [string, grpc.status];
      try {
        await rpcs[rpc]!(c);
        outcome = ['ok', grpc.status.OK];
      } catch (e) {
        outcome = [(e as CohortError).code, (e as CohortError).grpc];
      } finally {
        c.close();
      }
      expect(outcome).toEqual(allowed[rpc]!.includes(who) ? authorized[rpc] : [PERMISSION, grpc.status.PERMISSION_DENIED]);
    });
  });

  it('refuses approval to a data scientist, and records the refusal', async () => {
    const err = await refusal(as('alice', (c, o, cb) => c.approveModelVersion({ ref: modelIds[0]!, note: NOTE, intendedUse: USE }, o, cb)));
    expect([err.code, err.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
    expect(coordinator.engine.store.modelInfo(modelIds[0]!)).toMatchObject({ approval: 'PENDING', approved_by: null });
    const refused = auditRecords().filter((r) => r.action === 'rpc.refused' && r.actor.name === 'alice' && r.target.rpc === '/cohort.v1.RegistryService/ApproveModelVersion');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.at(-1)).toMatchObject({ actor: { name: 'alice', role: 'data-scientist' }, outcome: 'refused', details: { code: PERMISSION } });
  });

  it('refuses export before approval, lets only an operator override (recorded), and allows it after approval', async () => {
    const before = await refusal(as('alice', (c, o, cb) => c.exportModelVersion({ ref: modelIds[0]!, allowUnapproved: false }, o, cb)));
    expect([before.code, before.grpc]).toEqual(['COHORT_E_REGISTRY_NOT_APPROVED', grpc.status.FAILED_PRECONDITION]);
    const override = await refusal(as('alice', (c, o, cb) => c.exportModelVersion({ ref: modelIds[0]!, allowUnapproved: true }, o, cb)));
    expect([override.code, override.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
    // The override is the operator's alone: an approver, who may export approved versions, may not use it either.
    const byApprover = await refusal(as('carol', (c, o, cb) => c.exportModelVersion({ ref: modelIds[0]!, allowUnapproved: true }, o, cb)));
    expect([byApprover.code, byApprover.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
    // Through the CLI as the data scientist: the same code, exit status 1, nothing written.
    const out = join(dir, 'export-refused');
    const cliRefused = await cli(['export', modelIds[0]!, '--kit', join(dir, 'kits', 'alice'), '--out', out, '--json']);
    expect(cliRefused.exitCode).toBe(1);
    expect((JSON.parse(cliRefused.err) as { error: { code: string } }).error.code).toBe('COHORT_E_REGISTRY_NOT_APPROVED');
    expect(() => readdirSync(out)).toThrow(/ENOENT/);

    const byOperator = await as<ModelVersionExport__Output>('oscar', (c, o, cb) => c.exportModelVersion({ ref: modelIds[0]!, allowUnapproved: true }, o, cb));
    expect(sha(byOperator.weights)).toBe(sha(bytesOf(weightsOf(1))));
    expect(byOperator.version?.approval?.state).toBe('PENDING');

    const emptyNote = await refusal(as('carol', (c, o, cb) => c.approveModelVersion({ ref: modelIds[0]!, note: '  ', intendedUse: USE }, o, cb)));
    expect([emptyNote.code, emptyNote.grpc]).toEqual(['COHORT_E_REGISTRY_INVALID_REQUEST', grpc.status.INVALID_ARGUMENT]);
    const approved = await runCliJson(registerModelCommands, ['model', 'approve', `${NAME}/1`, '--kit', join(dir, 'kits', 'carol'), '--note', NOTE, '--use', USE, '--json', '--address', address]);
    expect(approved).toMatchObject({ modelId: modelIds[0], version: 1, validationStatus: 'APPROVED', intendedUse: USE, approval: { approvedBy: 'carol', note: NOTE } });
    const again = await refusal(as('carol', (c, o, cb) => c.approveModelVersion({ ref: modelIds[0]!, note: NOTE, intendedUse: USE }, o, cb)));
    expect([again.code, again.grpc]).toEqual(['COHORT_E_REGISTRY_ALREADY_APPROVED', grpc.status.FAILED_PRECONDITION]);

    const after = await as<ModelVersionExport__Output>('alice', (c, o, cb) => c.exportModelVersion({ ref: modelIds[0]!, allowUnapproved: false }, o, cb));
    expect(sha(after.weights)).toBe(sha(bytesOf(weightsOf(1))));

    const records = auditRecords();
    const exports = records.filter((r) => r.action.startsWith('model.export') && r.target.model === modelIds[0]);
    expect(exports.map((r) => [r.action, r.actor.name, r.actor.role, r.outcome, r.details.code ?? null, r.details.allowUnapproved, r.details.approved ?? null])).toEqual([
      ['model.export.refused', 'alice', 'data-scientist', 'refused', 'COHORT_E_REGISTRY_NOT_APPROVED', false, null],
      ['model.export.refused', 'alice', 'data-scientist', 'refused', PERMISSION, true, null],
      ['model.export.refused', 'carol', 'approver', 'refused', PERMISSION, true, null],
      ['model.export.refused', 'alice', 'data-scientist', 'refused', 'COHORT_E_REGISTRY_NOT_APPROVED', false, null],
      ['model.export', 'oscar', 'operator', 'ok', null, true, false],
      ['model.export', 'alice', 'data-scientist', 'ok', null, false, true],
    ]);
    const approval = records.find((r) => r.action === 'model.approve');
    expect(approval).toMatchObject({ actor: { name: 'carol', role: 'approver' }, target: { run: 'run-reg-1', model: modelIds[0] }, outcome: 'ok', details: { name: NAME, version: 1, noteSha256: sha(Buffer.from(NOTE)), intendedUseSha256: sha(Buffer.from(USE)) } });
    // Free text stays in the registry; the log has its hash only.
    const raw = readFileSync(join(dir, 'state', 'audit', 'audit.jsonl'), 'utf8');
    expect(raw).not.toContain(NOTE);
    expect(raw).not.toContain(USE);
  });

  it('holds AdminService.GetModel (raw weights) to the export approval rule, recording downloads and refusals', async () => {
    const getModel = (who: string, modelId: string) => {
      const c = adminClient(kit(who), address);
      return unary<{ weights: Buffer }>((o, cb) => c.getModel({ modelId }, o, cb)).finally(() => c.close());
    };
    // Version 2 is unapproved: no raw copy for anyone through GetModel (an operator's override is ExportModelVersion's --allow-unapproved).
    for (const who of ['alice', 'carol', 'oscar']) {
      const err = await refusal(getModel(who, modelIds[1]!));
      expect([who, err.code, err.grpc]).toEqual([who, 'COHORT_E_REGISTRY_NOT_APPROVED', grpc.status.FAILED_PRECONDITION]);
    }
    // Version 1 was approved above: downloadable, byte for byte.
    const blob = await getModel('alice', modelIds[0]!);
    expect(sha(blob.weights)).toBe(sha(bytesOf(weightsOf(1))));
    const records = auditRecords().filter((r) => r.action.startsWith('model.download'));
    expect(records.map((r) => [r.action, r.actor.name, r.actor.role, r.target.model, r.details.version, r.details.approved ?? null, r.details.code ?? null])).toEqual([
      ['model.download.refused', 'alice', 'data-scientist', modelIds[1], 2, null, 'COHORT_E_REGISTRY_NOT_APPROVED'],
      ['model.download.refused', 'carol', 'approver', modelIds[1], 2, null, 'COHORT_E_REGISTRY_NOT_APPROVED'],
      ['model.download.refused', 'oscar', 'operator', modelIds[1], 2, null, 'COHORT_E_REGISTRY_NOT_APPROVED'],
      ['model.download', 'alice', 'data-scientist', modelIds[0], 1, true, null],
    ]);
    // Each under a signed checkpoint.
    expect(verifyAudit().summary.treeSize).toBe(auditRecords().length);
  });

  it('exports a layers model that TensorFlow.js loads and that predicts what the registry weights compute', async () => {
    const out = join(dir, 'export-v1');
    const r = await runCliJson(registerModelCommands, ['model', 'export', `${NAME}/1`, '--kit', join(dir, 'kits', 'alice'), '--out', out, '--json', '--address', address]) as { files: Record<string, string> };
    expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'model-card.json', 'model.json']);
    expect(Object.keys(r.files).sort()).toEqual(['group1-shard1of1.bin', 'model-card.json', 'model.json']);
    for (const [name, hash] of Object.entries(r.files)) expect(sha(readFileSync(join(out, name)))).toBe(hash);

    // TensorFlow.js's own HTTP loader (what a browser uses), its fetch answered from the directory: it reads
    // model.json, resolves the manifest's paths against its URL and fetches each weights file.
    const fetched: string[] = [];
    const fetchFunc: typeof fetch = async (input) => {
      const path = new URL(input instanceof Request ? input.url : input).pathname.slice(1);
      fetched.push(path);
      return new Response(readFileSync(join(out, path)), { status: 200, headers: { 'content-type': path.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
    };
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    const loaded = await tf.loadLayersModel(tf.io.http('http://registry.test/model.json', { fetchFunc }));
    try {
      expect(fetched).toEqual(['model.json', 'group1-shard1of1.bin']);
      const registryWeights = weightsOf(1);
      expect([...flattenWeights(loaded)]).toEqual([...registryWeights]);
      // Logistic regression by hand in float64 from the registry's float32 values: kernel (13 x 1), then bias.
      const inputs = 13;
      expect(registryWeights.length).toBe(inputs + 1);
      const x = Array.from({ length: 5 }, (_, i) => Array.from({ length: inputs }, (_, j) => Math.sin(i * 7 + j) * 2));
      const expected = x.map((row) => 1 / (1 + Math.exp(-(row.reduce((s, v, j) => s + v * registryWeights[j]!, 0) + registryWeights[inputs]!))));
      const predicted = tf.tidy(() => (loaded.predict(tf.tensor2d(x)) as tf.Tensor).dataSync());
      expect(predicted.length).toBe(5);
      predicted.forEach((p, i) => expect(Math.abs(p - expected[i]!)).toBeLessThan(1e-6));
    } finally {
      loaded.dispose();
    }

    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as Record<string, unknown>;
    expect(card).toMatchObject({
      schema: 'cohort.model-card/v1',
      model: { modelId: modelIds[0], name: NAME, version: 1, runId: 'run-reg-1', weightsSha256: sha(bytesOf(weightsOf(1))), softwareVersion: '0.1.0' },
      intendedUse: USE,
      validationStatus: 'APPROVED',
      approval: { approvedBy: 'carol', note: NOTE },
      export: { by: 'alice', unapproved: false },
      provenance: { strategy: 'fedavg', rounds: 1, sites: [{ site: 'site-a', numExamples: 101, datasetFingerprint: 'hmac-site-a-1' }, { site: 'site-b', numExamples: 101, datasetFingerprint: 'hmac-site-b-1' }] },
      privacy: { 'site-a': { epsilon: 0.5, delta: 1e-5 }, 'site-b': { epsilon: 0.5, delta: 1e-5 } },
    });
    expect((card.input as { columns: string[] }).columns).toHaveLength(13);

    // A second export into the same directory is refused and changes nothing.
    const before = readFileSync(join(out, 'model-card.json'));
    const again = await cli(['export', `${NAME}/1`, '--kit', join(dir, 'kits', 'alice'), '--out', out]);
    expect(again.exitCode).toBe(2);
    expect(again.err).toMatch(/^error COHORT_E_GENERAL_USAGE: .*already holds/);
    expect(readFileSync(join(out, 'model-card.json'))).toEqual(before);
  });

  it('rolls champion back to an earlier approved version, refusing later or unapproved targets and non-approvers', async () => {
    // Version 1 approved above; version 3 approved now; version 2 stays pending.
    // One-word free text (an identifier typed as a note or use) must reach the log as a hash too, never verbatim.
    await as('carol', (c, o, cb) => c.approveModelVersion({ ref: modelIds[2]!, note: ONE_WORD.note, intendedUse: ONE_WORD.use }, o, cb));
    const unapprovedChampion = await refusal(as('carol', (c, o, cb) => c.setModelAlias({ name: NAME, alias: 'champion', version: 2, note: '' }, o, cb)));
    expect([unapprovedChampion.code, unapprovedChampion.grpc]).toEqual(['COHORT_E_REGISTRY_NOT_APPROVED', grpc.status.FAILED_PRECONDITION]);
    const challenger = await as<ModelAlias__Output>('oscar', (c, o, cb) => c.setModelAlias({ name: NAME, alias: 'challenger', version: 2, note: '' }, o, cb));
    expect([challenger.alias, challenger.version, challenger.modelId]).toEqual(['challenger', 2, modelIds[1]]);
    const champion = await runCliJson(registerModelCommands, ['model', 'alias', NAME, 'champion', '3', '--note', ONE_WORD.aliasNote, '--kit', join(dir, 'kits', 'carol'), '--json', '--address', address]);
    expect(champion).toMatchObject({ alias: 'champion', version: 3, modelId: modelIds[2], setBy: 'carol' });
    // An operator sets other aliases but never champion; an approver moves it back only by a rollback (with its note).
    const byOperator = await refusal(as('oscar', (c, o, cb) => c.setModelAlias({ name: NAME, alias: 'champion', version: 1, note: '' }, o, cb)));
    expect([byOperator.code, byOperator.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
    const backwards = await refusal(as('carol', (c, o, cb) => c.setModelAlias({ name: NAME, alias: 'Champion', version: 1, note: '' }, o, cb)));
    expect([backwards.code, backwards.grpc]).toEqual(['COHORT_E_REGISTRY_CHAMPION_NEEDS_ROLLBACK', grpc.status.FAILED_PRECONDITION]);

    const byScientist = await refusal(as('alice', (c, o, cb) => c.rollbackModel({ name: NAME, toVersion: 1, note: 'drift' }, o, cb)));
    expect([byScientist.code, byScientist.grpc]).toEqual([PERMISSION, grpc.status.PERMISSION_DENIED]);
    const toUnapproved = await refusal(as('carol', (c, o, cb) => c.rollbackModel({ name: NAME, toVersion: 2, note: 'drift' }, o, cb)));
    expect([toUnapproved.code, toUnapproved.grpc]).toEqual(['COHORT_E_REGISTRY_NOT_APPROVED', grpc.status.FAILED_PRECONDITION]);
    const toSame = await refusal(as('carol', (c, o, cb) => c.rollbackModel({ name: NAME, toVersion: 3, note: 'drift' }, o, cb)));
    expect([toSame.code, toSame.grpc]).toEqual(['COHORT_E_REGISTRY_ROLLBACK_REFUSED', grpc.status.FAILED_PRECONDITION]);
    const noNote = await refusal(as('carol', (c, o, cb) => c.rollbackModel({ name: NAME, toVersion: 1, note: '' }, o, cb)));
    expect([noNote.code, noNote.grpc]).toEqual(['COHORT_E_REGISTRY_INVALID_REQUEST', grpc.status.INVALID_ARGUMENT]);
    // The refusal is the log's last record, and a signed checkpoint covers it already.
    const afterRefusal = auditRecords();
    expect([afterRefusal.at(-1)?.action, afterRefusal.at(-1)?.details.code]).toEqual(['model.rollback.refused', 'COHORT_E_REGISTRY_INVALID_REQUEST']);
    expect(verifyAudit().summary.treeSize).toBe(afterRefusal.length);
    expect((await as<ModelVersion__Output>('aud', (c, o, cb) => c.getModelVersion({ ref: `${NAME}@champion` }, o, cb))).version).toBe(3);

    const rolled = await runCliJson(registerModelCommands, ['model', 'rollback', NAME, '--to', '1', '--note', 'calibration drift at site-b', '--kit', join(dir, 'kits', 'carol'), '--json', '--address', address]);
    expect(rolled).toMatchObject({ name: NAME, alias: 'champion', version: 1, modelId: modelIds[0], setBy: 'carol', note: 'calibration drift at site-b' });
    const shown = await runCliJson(registerModelCommands, ['model', 'show', `${NAME}@champion`, '--kit', join(dir, 'kits', 'aud'), '--json', '--address', address]);
    expect(shown).toMatchObject({ modelId: modelIds[0], version: 1, aliases: ['champion'] });
    // What the champion now serves is version 1's weights, bit for bit.
    const served = await as<ModelVersionExport__Output>('alice', (c, o, cb) => c.exportModelVersion({ ref: `${NAME}@champion`, allowUnapproved: false }, o, cb));
    expect(sha(served.weights)).toBe(sha(bytesOf(weightsOf(1))));

    // The human listing: one line per version with its approval and aliases.
    const listed = await cli(['list', '--kit', join(dir, 'kits', 'aud')]);
    expect(listed.exitCode).toBe(0);
    expect(listed.out.split('\n').filter((l) => l !== '').map((l) => l.replace(/ (by carol) \S+/, ' $1').replace(/sha256 \S+/, 'sha256'))).toEqual([
      NAME,
      `  v1  ${modelIds[0]}  run run-reg-1  APPROVED by carol  @champion  sha256`,
      `  v2  ${modelIds[1]}  run run-reg-2  PENDING approval  @challenger  sha256`,
      `  v3  ${modelIds[2]}  run run-reg-3  APPROVED by carol  sha256`,
    ]);

    const records = auditRecords();
    const rollback = records.filter((r) => r.action === 'model.rollback');
    expect(rollback).toHaveLength(1);
    expect(rollback[0]).toMatchObject({ actor: { name: 'carol', role: 'approver' }, target: { model: modelIds[0] }, outcome: 'ok', details: { name: NAME, version: 1, fromModelId: modelIds[2], fromVersion: 3, noteSha256: sha(Buffer.from('calibration drift at site-b')) } });
    expect(records.filter((r) => r.action === 'model.alias').map((r) => [r.actor.name, r.details.alias, r.details.version, r.target.model])).toEqual([
      ['oscar', 'challenger', 2, modelIds[1]],
      ['carol', 'champion', 3, modelIds[2]],
    ]);
    // The one-word note and use: their SHA-256 and byte length only, nowhere in the log's bytes.
    const approval3 = records.find((r) => r.action === 'model.approve' && r.target.model === modelIds[2]);
    expect(approval3?.details).toMatchObject({ noteSha256: sha(Buffer.from(ONE_WORD.note)), noteBytes: ONE_WORD.note.length, intendedUseSha256: sha(Buffer.from(ONE_WORD.use)), intendedUseBytes: ONE_WORD.use.length });
    expect(Object.keys(approval3?.details ?? {})).not.toContain('note');
    const championAlias = records.find((r) => r.action === 'model.alias' && r.details.alias === 'champion');
    expect(championAlias?.details).toMatchObject({ noteSha256: sha(Buffer.from(ONE_WORD.aliasNote)), noteBytes: ONE_WORD.aliasNote.length });
    const rawLog = readFileSync(join(dir, 'state', 'audit', 'audit.jsonl'));
    for (const text of Object.values(ONE_WORD)) expect(rawLog.includes(Buffer.from(text))).toBe(false);
    // Every refused registry change is recorded with its code (never its note); those of the role matrix name no
    // existing model, so they carry the reference's hash.
    const refusedChanges = records.filter((r) => /^model\.(approve|alias|rollback)\.refused$/.test(r.action) && r.details.name === NAME);
    expect(refusedChanges.map((r) => [r.action, r.actor.name, r.outcome, r.details.code, r.target.model])).toEqual([
      ['model.approve.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_INVALID_REQUEST', modelIds[0]],
      ['model.approve.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_ALREADY_APPROVED', modelIds[0]],
      ['model.alias.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_NOT_APPROVED', modelIds[1]],
      ['model.alias.refused', 'oscar', 'refused', PERMISSION, modelIds[0]],
      ['model.alias.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_CHAMPION_NEEDS_ROLLBACK', modelIds[0]],
      ['model.rollback.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_NOT_APPROVED', modelIds[1]],
      ['model.rollback.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_ROLLBACK_REFUSED', modelIds[2]],
      ['model.rollback.refused', 'carol', 'refused', 'COHORT_E_REGISTRY_INVALID_REQUEST', modelIds[0]],
    ]);
    for (const r of refusedChanges) expect(Object.keys(r.details).filter((k) => k.startsWith('note'))).toEqual([]);
    expect(refusedChanges.filter((r) => r.action === 'model.alias.refused').map((r) => r.details.alias)).toEqual(['champion', 'champion', 'champion']);
    const unnamed = records.filter((r) => r.action.endsWith('.refused') && r.action.startsWith('model.') && r.details.name === undefined);
    expect(unnamed.map((r) => [r.action, r.actor.name, r.details.code, r.details.refSha256 ?? r.details.nameSha256])).toEqual([
      ['model.approve.refused', 'carol', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('model-none'))],
      ['model.alias.refused', 'oscar', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('none'))],
      ['model.alias.refused', 'carol', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('none'))],
      ['model.rollback.refused', 'carol', 'COHORT_E_REGISTRY_ROLLBACK_REFUSED', sha(Buffer.from('none'))],
      ['model.export.refused', 'alice', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('model-none'))],
      ['model.export.refused', 'oscar', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('model-none'))],
      ['model.export.refused', 'carol', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND', sha(Buffer.from('model-none'))],
    ]);
    expect(records.filter((r) => r.action === 'model.release').map((r) => [r.actor.name, r.details.version, r.target.model])).toEqual([
      ['site-a', 1, modelIds[0]],
      ['site-a', 2, modelIds[1]],
      ['site-a', 3, modelIds[2]],
    ]);
    // Every registry change is under a signed checkpoint: the log is intact, and the last checkpoint covers the rollback.
    const verified = verifyAudit();
    expect(verified.summary.trust).toBe('ca');
    const lastRegistry = records.filter((r) => r.action.startsWith('model.')).at(-1)!;
    expect(verified.summary.treeSize).toBeGreaterThan(lastRegistry.index);
  });

  it('refuses over RPC to export weights altered in the state file (DATA_LOSS), and records it', async () => {
    const state = new Database(coordinator.engine.store.path);
    const original = (state.prepare('SELECT weights FROM models WHERE model_id = ?').get(modelIds[2]!) as { weights: Buffer }).weights;
    const altered = Buffer.from(original);
    altered[0]! ^= 0x01;
    state.prepare('UPDATE models SET weights = ? WHERE model_id = ?').run(altered, modelIds[2]!);
    try {
      const err = await refusal(as('alice', (c, o, cb) => c.exportModelVersion({ ref: `${NAME}/3`, allowUnapproved: false }, o, cb)));
      expect([err.code, err.grpc]).toEqual(['COHORT_E_REGISTRY_WEIGHTS_MISMATCH', grpc.status.DATA_LOSS]);
      const last = auditRecords().at(-1)!;
      expect([last.action, last.actor.name, last.target.model, last.details.code]).toEqual(['model.export.refused', 'alice', modelIds[2], 'COHORT_E_REGISTRY_WEIGHTS_MISMATCH']);
    } finally {
      state.prepare('UPDATE models SET weights = ? WHERE model_id = ?').run(original, modelIds[2]!);
      state.close();
    }
    const restored = await as<ModelVersionExport__Output>('alice', (c, o, cb) => c.exportModelVersion({ ref: `${NAME}/3`, allowUnapproved: false }, o, cb));
    expect(sha(restored.weights)).toBe(sha(bytesOf(weightsOf(3))));
  });

  it('explains a prediction of an approved version fetched as export fetches it (audited), the same as from its export; refuses an unapproved one', async () => {
    const row = { age: 0.8, sex: 1, cp: 4, trestbps: -0.3, chol: 1.1, fbs: 0, restecg: 2, thalach: -1.2, exang: 1, oldpeak: 0.6 };
    const rowFile = join(dir, 'explain-row.json');
    writeFileSync(rowFile, JSON.stringify(row));
    const before = auditRecords().length;
    const fromRegistry = (await runCliJson(registerModelCommands, ['model', 'explain', `${NAME}/1`, '--kit', join(dir, 'kits', 'alice'), '--input', rowFile, '--json', '--address', address])) as Record<string, unknown>;
    // The export written by the test above, explained offline: the same explanation.
    const fromExport = (await runCliJson(registerModelCommands, ['model', 'explain', `${NAME}/1`, '--weights-dir', join(dir, 'export-v1'), '--input', rowFile, '--json'])) as Record<string, unknown>;
    expect(fromRegistry).toEqual({ ...fromExport, source: 'registry' });
    // By hand from the registry weights: kernel over the 13 design columns (cp and restecg drop their first level), then bias.
    const w = weightsOf(1);
    const x = [0.8, 1, 0, 0, 1, -0.3, 1.1, 0, 0, 1, -1.2, 1, 0.6];
    // + 0: JSON has no -0 (w_j * 0 with w_j < 0 is -0 here, 0 once printed).
    const phi = x.map((v, j) => w[j]! * v + 0);
    expect(fromRegistry).toMatchObject({ modelId: modelIds[0], version: 1, method: 'linear-shap', scale: 'logit', baseline: 'zero', baseValue: w[13] });
    expect(fromRegistry.attributions).toEqual([
      { feature: 'age', value: phi[0] }, { feature: 'sex', value: phi[1] }, { feature: 'cp', value: phi[2]! + phi[3]! + phi[4]! }, { feature: 'trestbps', value: phi[5] },
      { feature: 'chol', value: phi[6] }, { feature: 'fbs', value: phi[7] }, { feature: 'restecg', value: phi[8]! + phi[9]! }, { feature: 'thalach', value: phi[10] },
      { feature: 'exang', value: phi[11] }, { feature: 'oldpeak', value: phi[12] },
    ]);
    const fetched = auditRecords().slice(before);
    expect(fetched.map((r) => [r.action, r.actor.name, r.target.model, r.details.approved ?? null])).toEqual([['model.export', 'alice', modelIds[0], true]]);
    // Version 2 is not approved: the export rule holds for explain, and the row is never read into a request.
    const refused = await cli(['explain', `${NAME}/2`, '--kit', join(dir, 'kits', 'alice'), '--input', rowFile, '--json']);
    expect(refused.exitCode).toBe(1);
    expect((JSON.parse(refused.err) as { error: { code: string } }).error.code).toBe('COHORT_E_REGISTRY_NOT_APPROVED');
  });

  /** The coordinator's audit log verified against its checkpoints (summary.treeSize: the latest checkpoint's). */
  function verifyAudit(): ReturnType<typeof verifyAuditLog> {
    const audit = join(dir, 'state', 'audit');
    return verifyAuditLog({ logFile: join(audit, 'audit.jsonl'), checkpointFiles: [join(audit, 'checkpoints.jsonl')], caPem: kit('coordinator').caPem, role: 'coordinator' });
  }

  /** The coordinator's audit records, parsed from its audit.jsonl. */
  function auditRecords(): { index: number; action: string; actor: { name: string; role: string }; target: Record<string, string | number>; outcome: string; details: Record<string, unknown> }[] {
    return readFileSync(join(dir, 'state', 'audit', 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ReturnType<typeof auditRecords>[number]);
  }
});
