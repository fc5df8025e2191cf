/** The cox-ph family in the spec: the survival label, the loss, the weight layout, and the refusal of record-level DP. */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../models/build-model.ts';
import { labelColumns } from '../../models/features.ts';
import type { ModelSpecInput } from '../../models/spec-schema.ts';
import { parseSpec, type SpecIssue } from '../../models/validate-spec.ts';
import { initialWeights, weightLayout } from '../../models/weight-layout.ts';
import { caught, numericSpec } from './helpers.ts';

const issues = (input: unknown): SpecIssue[] => {
  const e = caught(() => parseSpec(input));
  expect(e.code).toBe('COHORT_E_SPEC_INVALID');
  return e.details.issues as SpecIssue[];
};

const coxSpec = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...numericSpec(3),
  label: { type: 'survival', time: 'T', event: 'E' },
  model: { family: 'cox-ph' },
  ...overrides,
});

describe('a cox-ph spec', () => {
  it('parses with the partial likelihood as its loss, a survival label whose events default to 1, and reads T and E', () => {
    const spec = parseSpec(coxSpec());

    expect(spec.loss).toBe('cox-partial-likelihood');
    expect(spec.label).toEqual({ type: 'survival', time: 'T', event: 'E', eventValues: [1] });
    expect(labelColumns(spec)).toEqual(['T', 'E']);
    expect(parseSpec(numericSpec(3)).loss).toBe('binary-crossentropy');
  });

  it('is one bias-free linear score starting at zero: the layout, the initial weights and the built model agree', async () => {
    const spec = parseSpec(coxSpec());

    expect(weightLayout(spec)).toEqual([{ name: 'output/kernel', shape: [3, 1], init: 'zeros', trainable: true }]);
    expect(Array.from(initialWeights(spec))).toEqual([0, 0, 0]);
    const model = await buildModel(spec);
    expect(model.weights.map((w) => w.shape)).toEqual([[3, 1]]);
    model.dispose();
  });

  it('refuses a binary label, a survival label on another family, and mismatched losses, each at its path', () => {
    expect(issues(coxSpec({ label: { name: 'y', type: 'binary' } }))).toEqual([
      { path: 'spec.label.type', message: 'expected "survival" (with "time" and "event" columns) for model family "cox-ph"' },
    ]);
    expect(issues({ ...numericSpec(3), label: { type: 'survival', time: 'T', event: 'E' } })).toEqual([
      { path: 'spec.label.type', message: 'a survival label needs model family "cox-ph", not "logistic-regression"' },
    ]);
    expect(issues(coxSpec({ loss: 'binary-crossentropy' }))).toEqual([{ path: 'spec.loss', message: 'expected "cox-partial-likelihood" (or no loss) for model family "cox-ph"' }]);
    expect(issues({ ...numericSpec(3), loss: 'cox-partial-likelihood' })).toEqual([
      { path: 'spec.loss', message: '"cox-partial-likelihood" needs model family "cox-ph", not "logistic-regression"' },
    ]);
  });

  it('refuses a time or event column that is also a feature, the same column for both, and unknown label fields', () => {
    expect(issues(coxSpec({ label: { type: 'survival', time: 'x0', event: 'x1' } }))).toEqual([
      { path: 'spec.label.time', message: "the label's time column cannot also be a feature" },
      { path: 'spec.label.event', message: "the label's event column cannot also be a feature" },
    ]);
    expect(issues(coxSpec({ label: { type: 'survival', time: 'T', event: 'T' } }))).toEqual([{ path: 'spec.label.event', message: 'expected another column than spec.label.time' }]);
    expect(issues(coxSpec({ label: { type: 'survival', time: 'T', event: 'E', name: 'y' } }))).toEqual([{ path: 'spec.label.name', message: 'unknown field' }]);
  });

  it('refuses record-level DP with COHORT_E_SPEC_DP_UNSUPPORTED_MODEL, saying why, and accepts site-level DP', () => {
    const e = caught(() => parseSpec(coxSpec({ privacy: { record: { noiseMultiplier: 1.1, clipNorm: 1 } } })));

    expect(e.code).toBe('COHORT_E_SPEC_DP_UNSUPPORTED_MODEL');
    expect(e.message).toContain('couples the patients of each risk set');
    expect(e.message).toContain('spec.privacy.site');
    expect(e.details).toEqual({ path: 'spec.privacy.record', family: 'cox-ph' });
    const site = parseSpec(coxSpec({ privacy: { site: { noiseMultiplier: 0.5, clipNorm: 1 } } }));
    expect(site.privacy).toEqual({ site: { noiseMultiplier: 0.5, clipNorm: 1 } });
    // Record-level DP stays allowed for the other families.
    expect(parseSpec({ ...numericSpec(3), privacy: { record: { noiseMultiplier: 1.1, clipNorm: 1 } } } satisfies ModelSpecInput).privacy?.record).toEqual({ noiseMultiplier: 1.1, clipNorm: 1 });
  });
});
