/**
 * A version's fairness and explanations from release to model card, over real mTLS with real
 * kits and the real CLI: a completed run whose final round holds the sites' fairness report
 * (an equalized odds difference over the threshold) and global explanations is released through
 * the real ReleaseModel RPC; `cohort model show --json` has `fairness`, `reviewRequired` and
 * `explanations`; `cohort model approve` refuses it with REGISTRY_FAIRNESS_REVIEW_REQUIRED until
 * `--fairness-reviewed`; the export's model-card.json carries both.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerModelCommands } from '../../cli/commands/model.ts';
import type { RunningCoordinator } from '../../coordinator/coordinator.ts';
import { fairnessReport, fairnessVector } from '../../core/evaluation/fairness-metrics.ts';
import type { Kit } from '../../core/pki/kit.ts';
import { siteClient, unary } from '../../core/rpc/clients.ts';
import type { ModelSpec } from '../../models/spec-schema.ts';
import { loadSpecFile } from '../../models/validate-spec.ts';
import { initialWeights } from '../../models/weight-layout.ts';
import { runCli, runCliJson } from '../cli/commands/run-cli.ts';
import { registerSites, startTestConsortium } from '../support/in-process-coordinator.ts';

const DEMO = loadSpecFile(join(import.meta.dirname, '../../models/examples/demo-private.yaml'));
const SPEC: ModelSpec = { ...DEMO, name: 'fair-heart', rounds: 2, minSites: 2 };
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The sites' final-round report: 20 of each sex, men's positives half caught (TPR gap 0.5); age bands: only the middle one populated. */
function finalMetrics(): Record<string, unknown> {
  const scores: number[] = [];
  const labels: number[] = [];
  const sex: number[] = [];
  for (const g of [0, 1]) {
    for (let i = 0; i < 20; i++) {
      labels.push(i < 10 ? 1 : 0);
      scores.push(i < 10 && (g === 0 || i < 5) ? 0.9 : 0.1);
      sex.push(g);
    }
  }
  const attributes = [
    { name: 'sex', groups: ['0', '1'] },
    { name: 'age', groups: ['[0,40)', '[40,65)', '[65,120)'] },
  ];
  const fairness = fairnessReport(attributes, fairnessVector(attributes, scores, labels, [sex, sex.map(() => 1)]));
  const explanations = { method: 'linear-shap', baseline: 'global-mean', global: [{ feature: 'cp', meanAbsAttribution: 0.5 }, { feature: 'age', meanAbsAttribution: 0.25 }], completenessError: 0, rows: 40 };
  return { numExamples: 40, evaluators: 3, loss: 0.5, accuracy: 0.75, auc: 0.8, aucResolution: 0.01, fairness, explanations };
}

describe('fairness and explanations in the registry, the CLI and the model card', () => {
  let dir: string;
  let coordinator: RunningCoordinator;
  let kit: (name: string) => Kit;
  let address: string;
  let modelId: string;
  const cli = (args: string[]) => runCli(registerModelCommands, ['model', ...args, '--address', address]);

  beforeAll(async () => {
    const t = await startTestConsortium({
      name: 'fairness-registry-test',
      sites: ['site-a', 'site-b'],
      users: [
        { name: 'alice', role: 'data-scientist' },
        { name: 'carol', role: 'approver' },
      ],
    });
    ({ dir, coordinator, address, kit } = t);
    await registerSites(t, ['site-a', 'site-b']);
    // A completed run written as the engine leaves it (training is not what this tests), its last round holding the sites' report.
    const store = coordinator.engine.store;
    const runId = 'run-fair-1';
    const specJson = JSON.stringify(SPEC);
    const weights = Buffer.from(initialWeights(SPEC).buffer);
    const now = Date.now();
    store.tx(() => {
      store.insertRun({
        run_id: runId, name: SPEC.name, state: 'COMPLETED', spec_json: specJson, spec_sha256: sha(Buffer.from(specJson)), codec_json: '{"kind":"plain"}',
        strategy: 'fedavg', rounds: 2, min_sites: 2, round_timeout_ms: 60_000, current_round: 2, submitted_by: 'alice', recruit_deadline_ms: now,
        error_code: null, error: null, final_weights_sha256: sha(weights), created_at_ms: now, updated_at_ms: now,
      });
      for (const site of ['site-a', 'site-b']) {
        store.upsertRunSite({ run_id: runId, site, state: 'ACCEPTED', reason_code: null, reason: null, num_examples: 100, dataset_fingerprint: `hmac-${site}`, updated_at_ms: now });
      }
      store.insertRound({ run_id: runId, round: 1, state: 'CLOSED', opened_at_ms: now, deadline_ms: now, closed_at_ms: now, contributors: 2, metrics_json: JSON.stringify({ numExamples: 40, evaluators: 3, loss: 0.7, accuracy: 0.5, auc: 0.5, aucResolution: 0 }) });
      store.insertRound({ run_id: runId, round: 2, state: 'CLOSED', opened_at_ms: now, deadline_ms: now, closed_at_ms: now, contributors: 2, metrics_json: JSON.stringify(finalMetrics()) });
    });
    const c = siteClient(kit('site-a'), address);
    modelId = (await unary<{ modelId: string }>((o, cb) => c.releaseModel({ runId, weights, weightsSha256: sha(weights) }, o, cb))).modelId;
    c.close();
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the final round\'s fairness with its review verdict and the explanations; the provenance keeps the base metrics alone', async () => {
    const v = (await runCliJson(registerModelCommands, ['model', 'show', modelId, '--kit', join(dir, 'kits', 'alice'), '--json', '--address', address])) as Record<string, unknown> & {
      fairness: { attributes: string[]; groups: { attribute: string; group: string; n: number; tpr: number }[]; equalizedOddsDifference: Record<string, number | null>; demographicParityDifference: Record<string, number | null>; suppressed: unknown[]; reviewRequired: boolean; maxEqualizedOddsDifference: number };
      provenance: { finalMetrics: Record<string, unknown> };
    };
    expect(v.fairness.attributes).toEqual(['sex', 'age']);
    expect(v.fairness.groups.map((g) => [g.attribute, g.group, g.n, g.tpr])).toEqual([
      ['sex', '0', 20, 1],
      ['sex', '1', 20, 0.5],
      ['age', '[0,40)', 0, null],
      ['age', '[40,65)', 40, 0.75],
      ['age', '[65,120)', 0, null],
    ]);
    expect(v.fairness.equalizedOddsDifference).toEqual({ sex: 0.5, age: null });
    expect(v.fairness.demographicParityDifference).toEqual({ sex: 0.25, age: null });
    expect(v.fairness).toMatchObject({ suppressed: [], maxEqualizedOddsDifference: 0.1, reviewRequired: true });
    expect(v.reviewRequired).toBe(true);
    // Every age row is in one band: age's difference cannot be computed, which needs review too (fail closed).
    expect(v.reviewReasons).toEqual(['equalized odds difference 0.5000 over "sex" exceeds 0.1', 'equalized odds difference over "age" cannot be assessed: fewer than two groups of more than 10 patients are reported']);
    expect(v.explanations).toEqual({ method: 'linear-shap', baseline: 'global-mean', global: [{ feature: 'cp', meanAbsAttribution: 0.5 }, { feature: 'age', meanAbsAttribution: 0.25 }], completenessError: 0, rows: 40 });
    expect(v.provenance.finalMetrics).toEqual({ numExamples: 40, evaluators: 3, loss: 0.5, accuracy: 0.75, auc: 0.8, aucResolution: 0.01 });
  });

  it('refuses approval without --fairness-reviewed (coded, exit 1), approves with it, and the model card carries fairness and explanations', async () => {
    const carol = join(dir, 'kits', 'carol');
    const refused = await cli(['approve', modelId, '--kit', carol, '--note', 'validated', '--use', 'triage', '--json']);
    expect(refused.exitCode).toBe(1);
    expect((JSON.parse(refused.err) as { error: { code: string } }).error.code).toBe('COHORT_E_REGISTRY_FAIRNESS_REVIEW_REQUIRED');
    const note = 'Sex TPR gap reviewed by the committee; a second reader for men';
    const ok = (await runCliJson(registerModelCommands, ['model', 'approve', modelId, '--kit', carol, '--note', note, '--use', 'triage', '--fairness-reviewed', '--json', '--address', address])) as {
      validationStatus: string;
      fairness: { review: { by: string; noteSha256: string } };
    };
    expect(ok.validationStatus).toBe('APPROVED');
    expect(ok.fairness.review).toMatchObject({ by: 'carol', noteSha256: sha(Buffer.from(note)) });

    const out = join(dir, 'export');
    await runCliJson(registerModelCommands, ['model', 'export', modelId, '--kit', join(dir, 'kits', 'alice'), '--out', out, '--json', '--address', address]);
    const card = JSON.parse(readFileSync(join(out, 'model-card.json'), 'utf8')) as { fairness: { equalizedOddsDifference: unknown; review: unknown }; reviewRequired: boolean; explanations: { method: string } };
    expect(card.fairness.equalizedOddsDifference).toEqual({ sex: 0.5, age: null });
    expect(card.fairness.review).toMatchObject({ by: 'carol' });
    expect(card.reviewRequired).toBe(true);
    expect(card.explanations.method).toBe('linear-shap');
  });
});
