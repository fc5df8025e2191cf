/**
 * ModelRegistry on a real SQLite state file: the three reference forms, the refusals that
 * need no network, and that a refused change leaves the state as it was, with only its refusal recorded.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../coordinator/registry/registry.ts';
import { StateStore } from '../../coordinator/state/store.ts';
import { COHORT_VERSION } from '../../core/version.ts';
import { caughtSync } from '../support/caught.ts';

const WEIGHTS = Buffer.from(new Float32Array([0.5]).buffer);
const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('ModelRegistry', () => {
  let dir: string;
  let store: StateStore;
  let registry: ModelRegistry;
  const carol = { name: 'carol', role: 'approver' };
  const events = (): string[] => (store.db.prepare('SELECT action FROM events ORDER BY id').all() as { action: string }[]).map((e) => e.action);

  function release(name: string, runId: string, at: number): string {
    const modelId = `model-${runId}`;
    store.tx(() => {
      store.insertRun({
        run_id: runId, name, state: 'COMPLETED', spec_json: '{}', spec_sha256: 's', codec_json: '{}', strategy: 'fedavg', rounds: 1, min_sites: 1, round_timeout_ms: 1,
        current_round: 1, submitted_by: 'alice', recruit_deadline_ms: 0, error_code: null, error: null, final_weights_sha256: 'w', created_at_ms: at, updated_at_ms: at,
      });
      store.insertModel({
        model_id: modelId, run_id: runId, name, weights_sha256: sha256(WEIGHTS), spec_sha256: 's', released_by: 'site-a', released_at_ms: at, bytes: 4, weights: WEIGHTS, provenance_json: '{}',
        version: store.nextModelVersion(name), software_version: '0.1.0', intended_use: '', approval: 'PENDING', approved_by: null, approved_at_ms: null, approval_note: null,
      });
    });
    return modelId;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-registry-'));
    store = new StateStore(join(dir, 'state.sqlite'));
    registry = new ModelRegistry(store, () => 1_000);
    release('heart', 'r1', 1);
    release('sepsis', 'r2', 2);
    release('heart', 'r3', 3);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('numbers versions per registered model and resolves ids, <name>/<version> and <name>@<alias>', () => {
    expect(store.models().map((m) => [m.name, m.version, m.model_id])).toEqual([['heart', 1, 'model-r1'], ['heart', 2, 'model-r3'], ['sepsis', 1, 'model-r2']]);
    expect(registry.resolve('model-r3').version).toBe(2);
    expect(registry.resolve('heart/2').model_id).toBe('model-r3');
    expect(registry.resolve(' sepsis/1 ').model_id).toBe('model-r2');
    registry.setAlias({ name: 'oscar', role: 'operator' }, 'heart', 'challenger', 2);
    expect(registry.resolve('heart@challenger').model_id).toBe('model-r3');
    expect(registry.aliasesOf(registry.resolve('heart/2'))).toEqual(['challenger']);
  });

  it.each([
    ['heart/3', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND'],
    ['heart/0', 'COHORT_E_REGISTRY_INVALID_REQUEST'],
    ['heart/two', 'COHORT_E_REGISTRY_INVALID_REQUEST'],
    ['heart@champion', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND'],
    ['model-nope', 'COHORT_E_REGISTRY_VERSION_NOT_FOUND'],
    ['', 'COHORT_E_REGISTRY_INVALID_REQUEST'],
  ])('refuses the reference %j with %s', (ref, code) => {
    expect(caughtSync(() => registry.resolve(ref)).code).toBe(code);
  });

  it('refuses approval without an intended use anywhere, a bad alias, and changes nothing', () => {
    const noUse = caughtSync(() => registry.approve(carol, 'heart/1', 'validated', ''));
    expect([noUse.code, noUse.details]).toEqual(['COHORT_E_REGISTRY_INVALID_REQUEST', { field: 'intended_use' }]);
    const badAlias = caughtSync(() => registry.setAlias(carol, 'heart', 'champion now', 1));
    expect([badAlias.code, badAlias.details]).toEqual(['COHORT_E_REGISTRY_INVALID_REQUEST', { field: 'alias' }]);
    const tooLong = caughtSync(() => registry.approve(carol, 'heart/1', 'x'.repeat(2001), 'triage'));
    expect(tooLong.code).toBe('COHORT_E_REGISTRY_INVALID_REQUEST');
    expect(store.modelInfo('model-r1')?.approval).toBe('PENDING');
    expect(store.modelAliases()).toEqual([]);
    // Only the refusals are recorded: with their code and what they named, never the note or a malformed alias.
    const refusals = store.db.prepare('SELECT action, run_id, detail_json FROM events ORDER BY id').all() as { action: string; run_id: string | null; detail_json: string }[];
    expect(refusals.map((e) => [e.action, e.run_id, JSON.parse(e.detail_json) as unknown])).toEqual([
      ['model.approve.refused', 'r1', { modelId: 'model-r1', name: 'heart', version: 1, code: 'COHORT_E_REGISTRY_INVALID_REQUEST' }],
      ['model.alias.refused', 'r1', { modelId: 'model-r1', name: 'heart', version: 1, aliasSha256: sha256('champion now'), aliasBytes: 12, code: 'COHORT_E_REGISTRY_INVALID_REQUEST' }],
      ['model.approve.refused', 'r1', { modelId: 'model-r1', name: 'heart', version: 1, code: 'COHORT_E_REGISTRY_INVALID_REQUEST' }],
    ]);
    const ok = registry.approve(carol, 'heart/1', 'validated', 'triage');
    expect([ok.approval, ok.approved_by, ok.approved_at_ms, ok.approval_note, ok.intended_use]).toEqual(['APPROVED', 'carol', 1_000, 'validated', 'triage']);
    expect(events().slice(3)).toEqual(['model.approve']);
  });

  it('takes alias names case-insensitively: "Champion" is champion, with its approval check', () => {
    const unapproved = caughtSync(() => registry.setAlias(carol, 'heart', 'Champion', 1));
    expect([unapproved.code, unapproved.details]).toEqual(['COHORT_E_REGISTRY_NOT_APPROVED', { modelId: 'model-r1' }]);
    expect(caughtSync(() => registry.setAlias(carol, 'heart', 'CHAMPION', 2)).code).toBe('COHORT_E_REGISTRY_NOT_APPROVED');
    expect(store.modelAliases()).toEqual([]);
    registry.approve(carol, 'heart/2', 'validated', 'triage');
    const row = registry.setAlias(carol, 'heart', 'ChAmPiOn', 2);
    expect([row.alias, row.model_id]).toEqual(['champion', 'model-r3']);
    registry.setAlias(carol, 'heart', 'Challenger', 1);
    expect(store.modelAliases('heart').map((a) => [a.alias, a.model_id])).toEqual([['challenger', 'model-r1'], ['champion', 'model-r3']]);
    expect(registry.resolve('heart@CHAMPION').model_id).toBe('model-r3');
    expect(registry.resolve('heart@challenger').model_id).toBe('model-r1');
  });

  it('lets only an approver move champion, and only forward: backwards is a rollback, with its note and record', () => {
    const oscar = { name: 'oscar', role: 'operator' };
    registry.approve(carol, 'heart/1', 'validated', 'triage');
    registry.approve(carol, 'heart/2', 'validated again', 'triage');
    const byOperator = caughtSync(() => registry.setAlias(oscar, 'heart', 'champion', 2));
    expect([byOperator.code, byOperator.details]).toEqual(['COHORT_E_RUN_PERMISSION_DENIED', { role: 'operator', alias: 'champion' }]);
    expect(store.modelAliases()).toEqual([]);
    registry.setAlias(oscar, 'heart', 'challenger', 1);
    registry.setAlias(carol, 'heart', 'champion', 2);
    const back = caughtSync(() => registry.setAlias(carol, 'heart', 'champion', 1, 'drift'));
    expect([back.code, back.details]).toEqual(['COHORT_E_REGISTRY_CHAMPION_NEEDS_ROLLBACK', { name: 'heart', champion: 2, to: 1 }]);
    expect(back.message).toMatch(/cohort model rollback heart --to 1 --note/);
    expect(caughtSync(() => registry.setAlias(oscar, 'heart', 'champion', 1)).code).toBe('COHORT_E_RUN_PERMISSION_DENIED');
    expect(store.modelAlias('heart', 'champion')?.model_id).toBe('model-r3');
    // The same version again is no move backwards; a rollback does the backwards move.
    expect(registry.setAlias(carol, 'heart', 'champion', 2).model_id).toBe('model-r3');
    expect(registry.rollback(carol, 'heart', 1, 'drift').to.model_id).toBe('model-r1');
  });

  it('refuses to serve weights that no longer hash to the registered SHA-256, and records the refusal', () => {
    registry.approve(carol, 'heart/1', 'validated', 'triage');
    expect(registry.export(carol, 'heart/1', false).model.weights).toEqual(WEIGHTS);
    // The row altered behind the registry's back, through a second connection to the same SQLite file.
    const other = new Database(store.path);
    other.prepare('UPDATE models SET weights = ? WHERE model_id = ?').run(Buffer.from(new Float32Array([0.25]).buffer), 'model-r1');
    other.close();
    const err = caughtSync(() => registry.export(carol, 'heart/1', false));
    expect([err.code, err.details]).toEqual(['COHORT_E_REGISTRY_WEIGHTS_MISMATCH', { modelId: 'model-r1' }]);
    expect(err.message).not.toContain(sha256(Buffer.from(new Float32Array([0.25]).buffer)));
    const last = store.db.prepare('SELECT action, detail_json FROM events ORDER BY id DESC LIMIT 1').get() as { action: string; detail_json: string };
    expect([last.action, JSON.parse(last.detail_json)]).toEqual(['model.export.refused', { modelId: 'model-r1', name: 'heart', version: 1, allowUnapproved: false, code: 'COHORT_E_REGISTRY_WEIGHTS_MISMATCH' }]);
    expect(events().filter((a) => a === 'model.export')).toHaveLength(1);
  });

  it('records the software version package.json names', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    expect(COHORT_VERSION).toBe(pkg.version);
  });
});
