/**
 * A released version whose equalized odds difference exceeds the spec's threshold (or the
 * policy's 0.1) is marked reviewRequired, and ModelRegistry.approve, on a real SQLite state
 * file, refuses it with REGISTRY_FAIRNESS_REVIEW_REQUIRED until the approver states the review
 * was done; the approval then records the review in the version's fairness record and event.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fairnessRecord, type FairnessRecord } from '../../coordinator/registry/fairness-review.ts';
import { ModelRegistry } from '../../coordinator/registry/registry.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { fairnessReport, fairnessVector } from '../../core/evaluation/fairness-metrics.ts';
import { caughtSync } from '../support/caught.ts';

const WEIGHTS = Buffer.from(new Float32Array([0.5]).buffer);
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const SEX = [{ name: 'sex', groups: ['F', 'M'] }];

/** 20 women and 20 men, 10 positives each; women's positives all caught, men's half (TPR gap 0.5, FPR 0 for both). */
function report(): ReturnType<typeof fairnessReport> {
  const scores: number[] = [];
  const labels: number[] = [];
  const groups: number[] = [];
  for (const g of [0, 1]) {
    for (let i = 0; i < 20; i++) {
      const positive = i < 10;
      labels.push(positive ? 1 : 0);
      scores.push(positive && (g === 0 || i < 5) ? 0.9 : 0.1);
      groups.push(g);
    }
  }
  return fairnessReport(SEX, fairnessVector(SEX, scores, labels, [groups]));
}

describe('fairness review before approval', () => {
  let dir: string;
  let store: StateStore;
  let registry: ModelRegistry;
  const carol = { name: 'carol', role: 'approver' };

  function release(runId: string, fairness: FairnessRecord | null): string {
    const modelId = `model-${runId}`;
    store.tx(() => {
      store.insertRun({
        run_id: runId, name: 'heart', state: 'COMPLETED', spec_json: '{}', spec_sha256: 's', codec_json: '{}', strategy: 'fedavg', rounds: 1, min_sites: 1, round_timeout_ms: 1,
        current_round: 1, submitted_by: 'alice', recruit_deadline_ms: 0, error_code: null, error: null, final_weights_sha256: 'w', created_at_ms: 1, updated_at_ms: 1,
      });
      store.insertModel({
        model_id: modelId, run_id: runId, name: 'heart', weights_sha256: sha256(WEIGHTS), spec_sha256: 's', released_by: 'site-a', released_at_ms: 1, bytes: 4, weights: WEIGHTS, provenance_json: '{}',
        version: store.nextModelVersion('heart'), software_version: '0.1.0', intended_use: 'triage', approval: 'PENDING', approved_by: null, approved_at_ms: null, approval_note: null,
        fairness_json: fairness ? JSON.stringify(fairness) : null,
      });
    });
    return modelId;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-fairness-review-'));
    store = new StateStore(join(dir, 'state.sqlite'));
    registry = new ModelRegistry(store, () => 5_000);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks a version over the policy threshold (0.1 by default; the spec may set another) and names the reason', () => {
    const r = report();
    expect(r.equalizedOddsDifference).toEqual({ sex: 0.5 });
    expect(fairnessRecord(r, {})).toMatchObject({ maxEqualizedOddsDifference: 0.1, reviewRequired: true, reviewReasons: ['equalized odds difference 0.5000 over "sex" exceeds 0.1'] });
    expect(fairnessRecord(r, { fairness: { attributes: [{ name: 'sex', type: 'categorical', groups: ['F', 'M'] }], maxEqualizedOddsDifference: 0.5 } })).toMatchObject({ reviewRequired: false, reviewReasons: [] });
  });

  it('refuses approval of a version that needs review without --fairness-reviewed, records the refusal, and approves with it, recording the review', () => {
    const id = release('r1', fairnessRecord(report(), {}));
    const refused = caughtSync(() => registry.approve(carol, id, 'validated', ''));
    expect(refused.code).toBe('COHORT_E_REGISTRY_FAIRNESS_REVIEW_REQUIRED');
    expect(refused.details).toMatchObject({ modelId: id, maxEqualizedOddsDifference: 0.1, equalizedOddsDifference: { sex: 0.5 } });
    expect(store.modelInfo(id)?.approval).toBe('PENDING');
    const events = (): { action: string; detail: Record<string, unknown> }[] =>
      (store.db.prepare('SELECT action, detail_json FROM events ORDER BY id').all() as { action: string; detail_json: string }[]).map((e) => ({ action: e.action, detail: JSON.parse(e.detail_json) as Record<string, unknown> }));
    expect(events().at(-1)).toMatchObject({ action: 'model.approve.refused', detail: { code: 'COHORT_E_REGISTRY_FAIRNESS_REVIEW_REQUIRED', modelId: id } });

    const note = 'TPR gap over sex reviewed by the committee: men are under-detected; deployed with a second reader';
    const ok = registry.approve(carol, id, note, '', true);
    expect(ok).toMatchObject({ approval: 'APPROVED', approved_by: 'carol', approval_note: note });
    const stored = JSON.parse(store.modelInfo(id)!.fairness_json!) as FairnessRecord;
    expect(stored.review).toEqual({ by: 'carol', atMs: 5_000, noteSha256: sha256(note) });
    expect(events().at(-1)).toMatchObject({ action: 'model.approve', detail: { modelId: id, fairnessReviewed: true, noteSha256: sha256(note) } });
  });

  it('approves a version within the threshold, or without fairness, with no flag and records no review', () => {
    const within = release('r2', fairnessRecord(report(), { fairness: { attributes: [{ name: 'sex', type: 'categorical', groups: ['F', 'M'] }], maxEqualizedOddsDifference: 0.5 } }));
    const none = release('r3', null);
    registry.approve(carol, within, 'validated', '');
    registry.approve(carol, none, 'validated', '');
    expect(JSON.parse(store.modelInfo(within)!.fairness_json!)).not.toHaveProperty('review');
    expect(store.modelInfo(none)!.fairness_json).toBeNull();
    expect(store.models().map((m) => m.approval)).toEqual(['APPROVED', 'APPROVED']);
  });
});
