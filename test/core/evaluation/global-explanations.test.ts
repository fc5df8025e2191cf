/**
 * The explanation part of the evaluation vector: the baseline's row count and column sums go
 * in the first round only (zeros after), and a sum whose attributed rows are fewer than its
 * evaluated rows gives no summary, since the difference is the test-row count of the sites that
 * held no baseline (review of issue 13). Without the check (no evaluated row count given, as
 * before the fix) the summary's `rows` shows it.
 */
import { describe, expect, it } from 'vitest';
import { explanationLength, explanationVector, globalExplanations, globalMeans, type ExplanationLayout } from '../../../core/evaluation/global-explanations.ts';

const L: ExplanationLayout = { method: 'linear-shap', columns: 2, features: ['a', 'b'] };

describe('global explanation sums', () => {
  it('sends the row count and column sums only when asked (the first round), zeros after', () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect([...explanationVector(L, x, 3, undefined)]).toEqual([3, 9, 12, 0, 0, 0, 0]);
    const attribution = { sumAbs: [0.5, 0.25], count: 3, completenessSum: 0.01 };
    expect([...explanationVector(L, x, 3, attribution, new Float64Array(explanationLength(L)), 0, false)]).toEqual([0, 0, 0, 3, 0.5, 0.25, 0.01]);
    expect(globalMeans(L, explanationVector(L, x, 3, attribution, new Float64Array(explanationLength(L)), 0, false))).toBeUndefined();
  });

  it('gives no summary when a site without the baseline evaluated; without that check its row count would follow', () => {
    // Site A (3 rows) holds the baseline and attributes; site B (2 rows) missed it: no attribution, and no means after round 1.
    const a = explanationVector(L, [1, 2, 3, 4, 5, 6], 3, { sumAbs: [0.6, 0.3], count: 3, completenessSum: 0 }, new Float64Array(explanationLength(L)), 0, false);
    const b = explanationVector(L, [1, 1, 1, 1], 2, undefined, new Float64Array(explanationLength(L)), 0, false);
    const sum = a.map((v, i) => v + b[i]!);
    const evaluated = 5;
    const unchecked = globalExplanations(L, sum).explanations!;
    expect(evaluated - unchecked.rows).toBe(2);
    expect(globalExplanations(L, sum, evaluated)).toEqual({
      explanations: null,
      unavailable: "not every evaluating site held the global mean baseline (one missed the first round's decryption): a summary over the others would show the missing sites' test-row count, so none is released",
    });
    const all = globalExplanations(L, sum, 3).explanations!;
    expect(all.rows).toBe(3);
    expect(all.global.map((g) => [g.feature, g.meanAbsAttribution])).toEqual([['a', 0.6 / 3], ['b', 0.3 / 3]]);
  });
});
