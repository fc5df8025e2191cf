/**
 * A real coordinator (in this process) over real mTLS on 127.0.0.1, called with real
 * kits: role checks per RPC and the refusals of the update stream.
 */
import * as grpc from '@grpc/grpc-js';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator.ts';
import { createLogger } from '../../core/logging.ts';
import { type Kit } from '../../core/pki/kit.ts';
import { adminClient, siteClient, unary } from '../../core/rpc/clients.ts';
import { fromServiceError } from '../../core/rpc/status-errors.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { refusal, startTestConsortium } from '../support/in-process-coordinator.ts';

const SPEC = loadSpecFile(join(import.meta.dirname, '../../models/examples/heart-logistic.yaml'));


describe('coordinator RPCs over mTLS', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let kit: (name: string) => Kit;
  let address: string;
  let runId: string;

  beforeAll(async () => {
    const t = await startTestConsortium({ name: 'rpc-test', sites: ['site-a', 'site-b'], users: [{ name: 'alice', role: 'data-scientist' }, { name: 'aud', role: 'auditor' }], recruitTimeoutMs: 60_000 });
    ({ dir, coordinator, address, kit } = t);
    // Both sites register and accept, so round 1 opens with both pending.
    for (const s of ['site-a', 'site-b']) {
      const c = siteClient(kit(s), address);
      await unary((o, cb) => c.register({ agentVersion: 't', backend: 'cpu', datasets: ['heart'] }, o, cb));
      c.close();
    }
    const admin = adminClient(kit('alice'), address);
    const res = await unary<{ runId: string }>((o, cb) => admin.submitRun({ specJson: JSON.stringify({ ...SPEC, rounds: 1, minSites: 2 }), codec: 'plain' }, o, cb));
    admin.close();
    runId = res.runId;
    for (const s of ['site-a', 'site-b']) {
      const c = siteClient(kit(s), address);
      await unary((o, cb) => c.respondToRun({ runId, accept: true, numExamples: '10', datasetFingerprint: 'f', reasonCode: '', reason: '' }, o, cb));
      c.close();
    }
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start with a site grace no longer than the agents\' reconnect backoff', async () => {
    const start = startCoordinator({ kit: kit('coordinator'), stateDir: join(dir, 'state-2'), listen: '127.0.0.1:0', log: createLogger('test', { level: 'silent' }), siteGraceMs: 5_000 });
    await expect(start).rejects.toMatchObject({ code: 'COHORT_E_GENERAL_USAGE' });
  });

  it('refuses a site certificate on a data-scientist RPC with PERMISSION_DENIED', async () => {
    const c = adminClient(kit('site-a'), address);
    const err = await refusal(unary((o, cb) => c.submitRun({ specJson: '{}', codec: 'plain' }, o, cb)));
    c.close();
    expect(err.code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    expect(err.grpc).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('refuses a data scientist on a site RPC and an auditor on SubmitRun', async () => {
    const c = siteClient(kit('alice'), address);
    const err = await refusal(unary((o, cb) => c.heartbeat({ state: 'x' }, o, cb)));
    c.close();
    expect(err.code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    const a = adminClient(kit('aud'), address);
    const err2 = await refusal(unary((o, cb) => a.submitRun({ specJson: '{}', codec: 'plain' }, o, cb)));
    a.close();
    expect(err2.code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
  });

  it('refuses a spec with an unknown field with SPEC_INVALID and records no run', async () => {
    const a = adminClient(kit('alice'), address);
    const err = await refusal(unary((o, cb) => a.submitRun({ specJson: JSON.stringify({ ...SPEC, trainingg: 1 }), codec: 'plain' }, o, cb)));
    const list = await unary<{ runs: unknown[] }>((o, cb) => a.listRuns({}, o, cb));
    a.close();
    expect(err.code).toBe('COHORT_E_SPEC_INVALID');
    expect(err.message).toContain('trainingg');
    expect(list.runs.length).toBe(1);
  });

  function upload(site: string, messages: object[], cancelAfter?: number): Promise<unknown> {
    const c = siteClient(kit(site), address);
    return new Promise((resolve, reject) => {
      const stream = c.uploadUpdate((err, res) => {
        c.close();
        if (err) reject(fromServiceError(err));
        else resolve(res);
      });
      messages.forEach((m, i) => {
        stream.write(m);
        if (cancelAfter === i) stream.cancel();
      });
      if (cancelAfter === undefined) stream.end();
    });
  }

  const chunkBytes = (n: number): Buffer => Buffer.from(new Float64Array(n).fill(0.5).buffer);

  it('refuses a stream that stops half way and counts nothing of it', async () => {
    const length = coordinator.engine.adderOf(coordinator.engine.getRunOrThrow(runId)).chunkCount;
    expect(length).toBe(1);
    const header = { header: { runId, round: 1, chunkCount: 1, totalBytes: '0', trainLoss: 0.1 } };
    const err = await refusal(upload('site-a', [header]));
    expect(err.code).toBe('COHORT_E_UPDATE_TRUNCATED');
    expect(coordinator.engine.store.getRoundSite(runId, 1, 'site-a')?.state).toBe('PENDING');
    expect(coordinator.engine.store.sumChunkCount(runId, 1)).toBe(0);
  });

  it('refuses a stream without a header, a wrong-size chunk and an out-of-order chunk', async () => {
    const noHeader = await refusal(upload('site-a', [{ chunk: { index: 0, data: chunkBytes(15) } }]));
    expect(noHeader.code).toBe('COHORT_E_UPDATE_HEADER_MISSING');
    const header = { header: { runId, round: 1, chunkCount: 1, totalBytes: '0', trainLoss: 0.1 } };
    const wrongSize = await refusal(upload('site-a', [header, { chunk: { index: 0, data: chunkBytes(3) } }]));
    expect(wrongSize.code).toBe('COHORT_E_UPDATE_CHUNK_SIZE');
    const wrongIndex = await refusal(upload('site-a', [header, { chunk: { index: 1, data: chunkBytes(15) } }]));
    expect(wrongIndex.code).toBe('COHORT_E_UPDATE_CHUNK_INDEX');
    expect(coordinator.engine.store.sumChunkCount(runId, 1)).toBe(0);
  });

  it('accepts one complete update, then refuses the same site again and a replay of another round', async () => {
    const header = { header: { runId, round: 1, chunkCount: 1, totalBytes: '0', trainLoss: 0.1 } };
    const receipt = (await upload('site-a', [header, { chunk: { index: 0, data: chunkBytes(15) } }])) as { chunks: number; bytes: string };
    expect(receipt.chunks).toBe(1);
    expect(receipt.bytes).toBe('120');
    const dup = await refusal(upload('site-a', [header, { chunk: { index: 0, data: chunkBytes(15) } }]));
    expect(dup.code).toBe('COHORT_E_UPDATE_DUPLICATE');
    const replay = await refusal(upload('site-b', [{ header: { ...header.header, round: 0 } }]));
    expect(replay.code).toBe('COHORT_E_UPDATE_WRONG_ROUND');
    const sum = coordinator.engine.store.getSum(runId, 1, 0) as Buffer;
    expect([...new Float64Array(Uint8Array.from(sum).buffer)]).toEqual(new Array(15).fill(0.5));
  });
});
