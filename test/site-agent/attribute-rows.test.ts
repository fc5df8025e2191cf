/**
 * What a site adds to its evaluation vector for the global explanations of a non-linear model:
 * attributeRows on an MLP gives attributionSums' per-feature sums of |Integrated Gradients|
 * (models/explain/attribution.ts, called, not copied) and the sum of the rows' completeness
 * errors, each capped at 1; the layout names the method the sites will report.
 */
import { describe, expect, it } from 'vitest';
import { evaluationLayout } from '../../core/evaluation/evaluation-layout.ts';
import { buildModel, setFlatWeights } from '../../models/build-model.ts';
import { attributionSums, createExplainer } from '../../models/explain/attribution.ts';
import { mulberry32 } from '../../models/seeded-random.ts';
import { parseSpec } from '../../models/validate-spec.ts';
import { parameterCount } from '../../models/weight-layout.ts';
import { attributeRows } from '../../site-agent/training/local-trainer.ts';

const SPEC = parseSpec({
  name: 'mlp-x',
  dataset: 'd',
  features: [
    { name: 'a', type: 'numeric' },
    { name: 'b', type: 'numeric' },
    { name: 'c', type: 'categorical', categories: ['x', 'y', 'z'] },
  ],
  label: { name: 'y', type: 'binary' },
  model: { family: 'mlp', hidden: [6], activation: 'tanh' },
  training: { epochs: 1 },
  explanations: { global: true },
  rounds: 2,
});

describe('attributeRows', () => {
  it('sums |IG attribution| per feature and the capped completeness errors, as attributionSums over the same explainer', async () => {
    expect(evaluationLayout(SPEC).explanations).toEqual({ method: 'integrated-gradients', columns: 5, features: ['a', 'b', 'c'] });
    const rng = mulberry32(3);
    const weights = Float32Array.from({ length: parameterCount(SPEC) }, () => 2 * rng() - 1);
    const rows = 12;
    const x = Float32Array.from({ length: rows * 5 }, (_, i) => (i % 5 >= 2 ? (Math.floor(i / 5) % 3 === i % 5 - 2 ? 1 : 0) : 2 * rng() - 1));
    const baseline = Float64Array.from([0.1, -0.2, 1 / 3, 1 / 3, 1 / 3]);
    const got = await attributeRows(SPEC, weights, { x, y: new Float32Array(rows), rows, cols: 5 }, baseline);

    const model = await buildModel(SPEC);
    try {
      setFlatWeights(model, weights);
      const explainer = await createExplainer(model, SPEC.features, 'mlp');
      const designRows = Array.from({ length: rows }, (_, i) => Float64Array.from(x.subarray(i * 5, (i + 1) * 5)));
      const direct = attributionSums(explainer, designRows, baseline);
      expect(got.count).toBe(rows);
      expect(Array.from(got.sumAbs)).toEqual(Array.from(direct.sumAbs));
      const completeness = designRows.reduce((s, r) => s + Math.min(1, explainer.explain(r, baseline).completenessError), 0);
      expect(got.completenessSum).toBe(completeness);
      expect(got.completenessSum).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
