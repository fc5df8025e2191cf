/**
 * `cohort model explain --weights-dir`: a real export (exportVersion, as `cohort model export`
 * writes it) explained offline; exact --json for a logistic model against w_j (x_j - b_j)
 * computed from the registry weight vector; Integrated Gradients for an MLP export; coded
 * errors for a missing feature, an extra key and an altered export. (The registry path is in
 * test/integration/registry-rpc.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVersion, registerModelCommands } from '../../../cli/commands/model.ts';
import { mulberry32 } from '../../../models/seeded-random.ts';
import type { ModelSpecInput } from '../../../models/spec-schema.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { parameterCount } from '../../../models/weight-layout.ts';
import type { ModelVersionExport__Output } from '../../../protos/gen/cohort/v1/ModelVersionExport.ts';
import { numericSpec } from '../../models/helpers.ts';
import { runCli, runCliJson } from './run-cli.ts';

const run = (args: string[]) => runCli(registerModelCommands, args);
const runJson = (args: string[]) => runCliJson(registerModelCommands, args);

let dir: string;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const FEATURES: ModelSpecInput['features'] = [
  { name: 'age', type: 'numeric' },
  { name: 'sex', type: 'categorical', categories: ['F', 'M'], dropFirst: true },
  { name: 'chol', type: 'numeric' },
];

/** Writes a version as `cohort model export` does and returns its directory and flat weights. */
async function exported(name: string, specInput: ModelSpecInput, seed: number): Promise<{ out: string; flat: Float32Array }> {
  const spec = parseSpec(specInput);
  const rng = mulberry32(seed);
  const flat = Float32Array.from({ length: parameterCount(spec) }, () => 2 * rng() - 1);
  const weights = Buffer.from(flat.buffer);
  const res = {
    version: {
      modelId: `model-${name}`,
      name,
      version: 1,
      runId: 'run-1',
      specSha256: sha(Buffer.from(JSON.stringify(specInput))),
      specJson: JSON.stringify(specInput),
      weightsSha256: sha(weights),
      bytes: String(weights.length),
      releasedBy: 'site-a',
      releasedAtMs: '1700000000000',
      softwareVersion: 'test',
      intendedUse: 'test',
      approval: { state: 'APPROVED', approvedBy: 'ann', approvedAtMs: '1700000001000', note: 'validated' },
      aliases: [],
      provenanceJson: '{}',
      fairnessJson: '',
      explanationsJson: '',
    },
    weights,
  } satisfies ModelVersionExport__Output;
  const out = join(dir, name);
  await exportVersion(res, out, 'alice');
  return { out, flat };
}

const writeRow = (file: string, row: unknown): string => {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify(row));
  return path;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cohort-explain-'));
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cohort model explain --weights-dir', () => {
  it('explains a logistic export with exact linear SHAP: --json is w_j (x_j - b_j) from the registry weights', async () => {
    const { out, flat } = await exported('heart', { ...numericSpec(3), name: 'heart', features: FEATURES }, 1);
    const input = writeRow('input.json', { age: 1.5, sex: 'M', chol: -0.25 });
    const baseline = writeRow('mean.json', { age: 0.1, sex: { M: 0.55 }, chol: 0.05 });
    const json = await runJson(['model', 'explain', 'model-heart', '--weights-dir', out, '--input', input, '--baseline', baseline, '--json']);

    const x = [1.5, 1, -0.25];
    const b = [0.1, 0.55, 0.05];
    const w = [flat[0]!, flat[1]!, flat[2]!];
    const phi = w.map((wj, j) => wj * (x[j]! - b[j]!));
    const baseValue = w.reduce((s, wj, j) => s + wj * b[j]!, flat[3]!);
    const prediction = w.reduce((s, wj, j) => s + wj * x[j]!, flat[3]!);
    const sum = phi.reduce((s, p) => s + p, 0);
    expect(json).toEqual({
      modelId: 'model-heart',
      name: 'heart',
      version: 1,
      source: 'export',
      method: 'linear-shap',
      scale: 'logit',
      steps: null,
      rule: null,
      initialSteps: null,
      grid: null,
      converged: true,
      baseline: 'given',
      baseValue,
      prediction,
      attributions: [
        { feature: 'age', value: phi[0] },
        { feature: 'sex', value: phi[1] },
        { feature: 'chol', value: phi[2] },
      ],
      completenessError: Math.abs(sum - (prediction - baseValue)) / Math.abs(prediction - baseValue),
    });
  });

  it('prints a readable table without --json, largest attribution first', async () => {
    const { out } = await exported('heart2', { ...numericSpec(3), name: 'heart2', features: FEATURES }, 2);
    const input = writeRow('input2.json', { age: 1.5, sex: 'F', chol: 3 });
    const { out: text, exitCode } = await run(['model', 'explain', 'heart2/1', '--weights-dir', out, '--input', input]);
    expect(exitCode).toBe(0);
    expect(text).toMatch(/^heart2 version 1 \(model-heart2\): exact linear SHAP, on the logit scale, baseline the zero row\n {2}base value {2}.+\n {2}prediction {2}.+\n/);
    expect(text).toMatch(/completeness error \d\.\d\de[-+]\d+ /);
  });

  it('explains an MLP export with 50-step Integrated Gradients on the probability', async () => {
    const { out } = await exported('mlp', { ...numericSpec(4), name: 'mlp', model: { family: 'mlp', hidden: [6], activation: 'tanh' } }, 3);
    const input = writeRow('input3.json', { x0: 1, x1: -2, x2: 0.5, x3: 2 });
    const json = (await runJson(['model', 'explain', 'model-mlp', '--weights-dir', out, '--input', input, '--json'])) as Record<string, unknown> & { attributions: { feature: string; value: number }[] };
    expect([json.method, json.scale, json.steps, json.rule, json.baseline]).toEqual(['integrated-gradients', 'probability', 50, 'trapezoid', 'zero']);
    expect(json.attributions.map((a) => a.feature)).toEqual(['x0', 'x1', 'x2', 'x3']);
    expect(json.completenessError).toBeLessThan(0.01);
    const sum = json.attributions.reduce((s, a) => s + a.value, 0);
    expect(sum).toBeCloseTo((json.prediction as number) - (json.baseValue as number), 3);
  });

  it('refines Integrated Gradients on a relu MLP to 1% completeness and says so in --json; --no-refine keeps the 50 uniform steps and their larger error', async () => {
    const { out } = await exported('relu', { ...numericSpec(4), name: 'relu', model: { family: 'mlp', hidden: [16, 8], activation: 'relu' } }, 6);
    const input = writeRow('input-relu.json', { x0: -2, x1: -2, x2: 1, x3: 1 });
    type Json = Record<string, unknown> & { attributions: { feature: string; value: number }[]; completenessError: number; prediction: number; baseValue: number; steps: number };
    const refined = (await runJson(['model', 'explain', 'model-relu', '--weights-dir', out, '--input', input, '--json'])) as Json;
    expect([refined.method, refined.rule, refined.initialSteps, refined.grid, refined.converged]).toEqual(['integrated-gradients', 'trapezoid', 50, 'adaptive', true]);
    expect(refined.steps).toBeGreaterThan(50);
    expect(refined.completenessError).toBeLessThan(0.01);
    const delta = refined.prediction - refined.baseValue;
    const sum = refined.attributions.reduce((s, a) => s + a.value, 0);
    expect(Math.abs(sum - delta)).toBeLessThan(0.01 * Math.abs(delta));
    const fixed = (await runJson(['model', 'explain', 'model-relu', '--weights-dir', out, '--input', input, '--no-refine', '--json'])) as Json;
    expect([fixed.steps, fixed.initialSteps, fixed.grid, fixed.converged]).toEqual([50, 50, 'uniform', false]);
    expect(fixed.completenessError).toBeGreaterThan(0.01);
    const { out: text } = await run(['model', 'explain', 'model-relu', '--weights-dir', out, '--input', input]);
    expect(text).toContain(`Integrated Gradients, ${refined.steps} steps (trapezoid, refined from 50 uniform steps)`);
    const { out: fixedText } = await run(['model', 'explain', 'model-relu', '--weights-dir', out, '--input', input, '--no-refine']);
    expect(fixedText).toContain('  not within the 1% completeness target after 50 steps');
  });

  it('refuses a missing feature and an extra key with coded errors naming them, never a value', async () => {
    const { out } = await exported('heart3', { ...numericSpec(3), name: 'heart3', features: FEATURES }, 4);
    const missing = await run(['model', 'explain', 'model-heart3', '--weights-dir', out, '--input', writeRow('m.json', { age: 61.5, chol: 2 }), '--json']);
    expect(missing.exitCode).toBe(2);
    expect(missing.out).toBe('');
    expect(JSON.parse(missing.err)).toEqual({
      error: { code: 'COHORT_E_EXPLAIN_MISSING_FEATURE', message: 'input.sex: missing (every spec feature needs a value)', details: { field: 'input', feature: 'sex', missing: ['sex'] } },
    });
    const extra = await run(['model', 'explain', 'model-heart3', '--weights-dir', out, '--input', writeRow('e.json', { age: 61.5, sex: 'F', chol: 2, mrn: 'MRN-99812' }), '--json']);
    expect(extra.exitCode).toBe(2);
    const err = (JSON.parse(extra.err) as { error: { code: string; message: string } }).error;
    expect([err.code, err.message]).toEqual(['COHORT_E_EXPLAIN_UNKNOWN_FEATURE', "input.mrn: not a feature of the model's spec (its features: age, sex, chol)"]);
    expect(extra.err).not.toContain('MRN-99812');
    expect(extra.err).not.toContain('61.5');
  });

  it('refuses an export whose weights were altered, and a directory that holds another model', async () => {
    const { out } = await exported('heart4', { ...numericSpec(3), name: 'heart4', features: FEATURES }, 5);
    const input = writeRow('i4.json', { age: 0, sex: 'F', chol: 0 });
    const other = await run(['model', 'explain', 'model-heart', '--weights-dir', out, '--input', input, '--json']);
    expect([other.exitCode, (JSON.parse(other.err) as { error: { code: string } }).error.code]).toEqual([2, 'COHORT_E_GENERAL_USAGE']);
    const file = join(out, 'group1-shard1of1.bin');
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(file, bytes);
    const altered = await run(['model', 'explain', 'model-heart4', '--weights-dir', out, '--input', input, '--json']);
    expect(altered.exitCode).toBe(1);
    expect(JSON.parse(altered.err)).toEqual({
      error: { code: 'COHORT_E_EXPLAIN_EXPORT_MISMATCH', message: `--weights-dir: group1-shard1of1.bin does not hash to the SHA-256 model-card.json records`, details: { file: 'group1-shard1of1.bin' } },
    });
  });
});
