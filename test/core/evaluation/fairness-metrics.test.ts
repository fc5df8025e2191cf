/**
 * The fairness part of the evaluation vector on hand-made cases: Fairlearn's definitions
 * (equalized_odds_difference the larger of the TPR and FPR gaps; demographic_parity_difference
 * the selection-rate gap), suppression of groups of 1 to 10 patients (no metric, no part in a
 * difference), empty groups, vectors adding like the sites' do, and the cell-to-group rule.
 */
import { describe, expect, it } from 'vitest';
import { evaluationLayout, extendedMetrics, layoutVector } from '../../../core/evaluation/evaluation-layout.ts';
import { FAIRNESS_GROUP_LENGTH, fairnessLength, fairnessReport, fairnessVector, groupMetrics, SUPPRESS_AT_MOST, suppressedGroups, type FairnessReport, type GroupMetrics } from '../../../core/evaluation/fairness-metrics.ts';
import { consortiumMetrics } from '../../../core/evaluation/summed-metrics.ts';
import { EVAL_VECTOR_LENGTH, evaluationVector } from '../../../core/evaluation/summed-metrics.ts';
import { parseSpec } from '../../../models/validate-spec.ts';
import { groupIndex } from '../../../site-agent/data/fairness-groups.ts';
import { fairnessGroups } from '../../../models/fairness.ts';
import { caughtSync } from '../../support/caught.ts';

const ATTRS = [{ name: 'band', groups: ['young', 'mid', 'old', 'none', 'senior'] }];

/** Rows of one group: `tp` true positives and so on, scores 0.9 for predicted positive, 0.1 otherwise. */
function rows(group: number, c: { tp: number; fp: number; tn: number; fn: number }): { s: number[]; y: number[]; g: number[] } {
  const out = { s: [] as number[], y: [] as number[], g: [] as number[] };
  const push = (n: number, score: number, label: number): void => {
    for (let i = 0; i < n; i++) {
      out.s.push(score);
      out.y.push(label);
      out.g.push(group);
    }
  };
  push(c.tp, 0.9, 1);
  push(c.fp, 0.9, 0);
  push(c.tn, 0.1, 0);
  push(c.fn, 0.1, 1);
  return out;
}

function site(parts: { s: number[]; y: number[]; g: number[] }[]): Float64Array {
  const all = { s: parts.flatMap((p) => p.s), y: parts.flatMap((p) => p.y), g: parts.flatMap((p) => p.g) };
  return fairnessVector(ATTRS, all.s, all.y, [all.g]);
}

describe('fairness metrics', () => {
  it('computes per-group rates and Fairlearn\'s differences from summed counts, suppressing groups of 1 to 10 (and the smallest other group) and leaving them out of the differences', () => {
    // Two sites; "young" split across them. young: tp 8 fp 2 tn 6 fn 4 (n 20); mid: tp 3 fp 6 tn 6 fn 3 (n 18); old: 5 patients (suppressed, and extreme); none: 0;
    // senior: tp 4 fp 2 tn 10 fn 4 (n 20). "old" alone would be derivable by subtraction, so "mid", the smallest reported group, is suppressed too.
    const a = site([rows(0, { tp: 5, fp: 1, tn: 3, fn: 2 }), rows(1, { tp: 3, fp: 6, tn: 6, fn: 3 }), rows(2, { tp: 0, fp: 5, tn: 0, fn: 0 }), rows(4, { tp: 4, fp: 2, tn: 10, fn: 4 })]);
    const b = site([rows(0, { tp: 3, fp: 1, tn: 3, fn: 2 })]);
    expect(a).toHaveLength(fairnessLength(ATTRS));
    expect(fairnessLength(ATTRS)).toBe(5 * FAIRNESS_GROUP_LENGTH);
    const r = fairnessReport(ATTRS, a.map((x, i) => x + b[i]!));
    const byGroup = Object.fromEntries(r.groups.map((g) => [g.group, g]));
    expect(byGroup.young).toMatchObject({ n: 20, tpr: 8 / 12, fpr: 2 / 8, ppv: 8 / 10, accuracy: 14 / 20, selectionRate: 10 / 20, auc: (8 * 6 + (8 * 2 + 4 * 6) / 2) / (12 * 8) });
    // Pairs in one bin count half: two bins, so the resolution is (8*2 + 4*6) / (2 * 12 * 8).
    expect(byGroup.young!.aucResolution).toBe((8 * 2 + 4 * 6) / (2 * 12 * 8));
    expect(byGroup.senior).toMatchObject({ n: 20, tpr: 4 / 8, fpr: 2 / 12, ppv: 4 / 6, accuracy: 14 / 20, selectionRate: 6 / 20 });
    expect(byGroup.mid).toBeUndefined();
    expect(byGroup.none!.n).toBe(0);
    expect(byGroup.none!.tpr).toBeNaN();
    expect(byGroup.old).toBeUndefined();
    expect(r.suppressed).toEqual([{ attribute: 'band', group: 'mid' }, { attribute: 'band', group: 'old' }]);
    // Over young and senior only: TPR gap 1/6, FPR gap 1/12; selection gap 0.2. "old" (FPR 1, selection 1) would change both.
    expect(r.equalizedOddsDifference.band).toBeCloseTo(1 / 6, 15);
    expect(r.demographicParityDifference.band).toBeCloseTo(0.2, 15);
  });

  it('gives no difference with fewer than two reportable groups', () => {
    // mid (4) is suppressed, and young with it: young's numbers minus the total would give mid's.
    const r = fairnessReport(ATTRS, site([rows(0, { tp: 6, fp: 6, tn: 6, fn: 6 }), rows(1, { tp: 1, fp: 1, tn: 1, fn: 1 })]));
    expect(r.suppressed).toEqual([{ attribute: 'band', group: 'young' }, { attribute: 'band', group: 'mid' }]);
    expect(r.groups.map((g) => g.group)).toEqual(['old', 'none', 'senior']);
    expect(r.equalizedOddsDifference).toEqual({ band: null });
    expect(r.demographicParityDifference).toEqual({ band: null });
  });

  it('keeps the base metrics and the evaluator count where they were: a spec without fairness or explanations lays out the base vector alone', () => {
    const plain = parseSpec({ name: 'x', dataset: 'd', features: [{ name: 'a', type: 'numeric' }], label: { name: 'y', type: 'binary' }, model: { family: 'logistic-regression' }, training: { epochs: 1 }, rounds: 1 });
    expect(evaluationLayout(plain).length).toBe(EVAL_VECTOR_LENGTH);
    const spec = { ...plain, fairness: { attributes: [{ name: 'a', type: 'numeric' as const, bands: [0, 1, 2] }] } };
    const layout = evaluationLayout(spec);
    expect(layout.length).toBe(EVAL_VECTOR_LENGTH + 3 * FAIRNESS_GROUP_LENGTH); // two bands and "unrecorded"
    const base = evaluationVector([0.9, 0.2], [1, 0]);
    const v = layoutVector(layout, base);
    fairnessVector(layout.fairness, [0.9, 0.2], [1, 0], [[0, 1]], v, layout.fairnessOffset);
    expect(v[v.length - 1]).toBe(1);
    const { metrics } = extendedMetrics(layout, v);
    expect(metrics).toMatchObject({ numExamples: 2, evaluators: 1, accuracy: 1 });
    expect(metrics.fairness?.suppressed).toEqual([{ attribute: 'a', group: '[0,1)' }, { attribute: 'a', group: '[1,2)' }]);
  });

  it('puts a cell in its listed group or band, and a missing cell or one in none in unrecorded (never a refusal the coordinator could read as an oracle)', () => {
    const sex = { name: 'sex', type: 'categorical' as const, groups: [0, 1] };
    const age = { name: 'age', type: 'numeric' as const, bands: [0, 40, 65, 120] };
    const row = (cells: Record<string, string>) => ({ line: 7, cells });
    expect(groupIndex(sex, row({ sex: '1' }))).toBe(1);
    expect(groupIndex(sex, row({ sex: '0.0' }))).toBe(0);
    expect([39.9, 40, 64, 65, 119].map((x) => groupIndex(age, row({ age: String(x) })))).toEqual([0, 1, 1, 2, 2]);
    // A missing value is the last group, "unrecorded", after the listed groups or bands.
    expect(['', 'NA', '?'].map((c) => groupIndex(sex, row({ sex: c })))).toEqual([2, 2, 2]);
    expect(groupIndex(age, row({ age: '' }))).toBe(3);
    expect(fairnessGroups({ fairness: { attributes: [sex, age] } }).map((a) => a.groups)).toEqual([['0', '1', 'unrecorded'], ['[0,40)', '[40,65)', '[65,120)', 'unrecorded']]);
    // A level not listed, or a number outside the bands: counted, not refused. A refusal would reach the coordinator as the
    // site's decline code and tell it whether any test row holds the unlisted value (a spec listing every group but one).
    expect([[sex, '2'], [age, '120'], [age, '-1'], [age, 'old']].map(([attribute, cell]) => groupIndex(attribute as typeof age, row({ [(attribute as typeof age).name]: cell as string })))).toEqual([2, 3, 3, 3]);
  });

  it('validates the spec: ascending bands, unique names, binary labels and tables only', () => {
    const base = { name: 'x', dataset: 'd', features: [{ name: 'a', type: 'numeric' }], label: { name: 'y', type: 'binary' }, model: { family: 'logistic-regression' }, training: { epochs: 1 }, rounds: 1 };
    const issues = (extra: Record<string, unknown>): string[] => (caughtSync(() => parseSpec({ ...base, ...extra })).details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(issues({ fairness: { attributes: [{ name: 'age', type: 'numeric', bands: [0, 65, 40] }] } })).toEqual(['spec.fairness.attributes[0].bands']);
    expect(issues({ fairness: { attributes: [{ name: 's', type: 'categorical', groups: [0, 1] }, { name: 's', type: 'categorical', groups: [0, 1] }] } })).toEqual(['spec.fairness']);
    expect(issues({ fairness: { attributes: [{ name: 's', type: 'categorical', groups: ['a', 'unrecorded'] }] } })).toEqual(['spec.fairness.attributes[0].groups']);
    expect(parseSpec({ ...base, fairness: { attributes: [{ name: 's', type: 'categorical', groups: [0, 1] }], maxEqualizedOddsDifference: 0.2 } }).fairness).toEqual({ attributes: [{ name: 's', type: 'categorical', groups: [0, 1] }], maxEqualizedOddsDifference: 0.2 });
  });
});

/**
 * The reviewer's subtraction attack (review of issue 13): from the released numExamples and
 * accuracy and the reported groups' n, accuracy, selectionRate and ppv only, the suppressed
 * rows of "race" are counted, and their confusion counts are taken from the "sex" groups (which
 * partition the same rows) minus the reported race groups.
 */
function subtractionAttack(base: { numExamples: number; accuracy: number }, groups: readonly Pick<GroupMetrics, 'attribute' | 'n' | 'accuracy' | 'selectionRate' | 'ppv'>[]): { n: number; correct: number; tp: number; fp: number; tn: number; fn: number } {
  const counts = (g: (typeof groups)[number]): { tp: number; fp: number; tn: number; fn: number } => {
    if (g.n === 0) return { tp: 0, fp: 0, tn: 0, fn: 0 };
    const tp = Number.isNaN(g.ppv) ? 0 : Math.round(g.ppv * g.selectionRate * g.n);
    const fp = Math.round(g.selectionRate * g.n) - tp;
    const tn = Math.round(g.accuracy * g.n) - tp;
    return { tp, fp, tn, fn: g.n - tp - fp - tn };
  };
  const total = (a: string): { tp: number; fp: number; tn: number; fn: number } =>
    groups.filter((g) => g.attribute === a).map(counts).reduce((s, c) => ({ tp: s.tp + c.tp, fp: s.fp + c.fp, tn: s.tn + c.tn, fn: s.fn + c.fn }), { tp: 0, fp: 0, tn: 0, fn: 0 });
  const all = total('sex');
  const known = total('race');
  const n = base.numExamples - groups.filter((g) => g.attribute === 'race').reduce((t, g) => t + g.n, 0);
  return { n, correct: Math.round(base.accuracy * base.numExamples) - known.tp - known.tn, tp: all.tp - known.tp, fp: all.fp - known.fp, tn: all.tn - known.tn, fn: all.fn - known.fn };
}

describe('complementary suppression', () => {
  const RACE_SEX = [{ name: 'race', groups: ['white', 'black', 'other'] }, { name: 'sex', groups: ['F', 'M'] }];
  // 60 white, 40 black (alternating labels, scores on the right side of 0.5 but for every 7th row), and 4 "other": tp 2, fp 1, tn 0, fn 1.
  const scores: number[] = [];
  const labels: number[] = [];
  const race: number[] = [];
  const sex: number[] = [];
  const add = (r: number, n: number): void => {
    for (let i = 0; i < n; i++) {
      const y = i % 5 < 2 ? 1 : 0;
      labels.push(y);
      scores.push((y === 1) !== (i % 7 === 0) ? 0.8 : 0.2);
      race.push(r);
      sex.push(i % 2);
    }
  };
  add(0, 60);
  add(1, 40);
  for (const [s, y] of [[0.9, 1], [0.8, 1], [0.7, 0], [0.2, 1]] as const) {
    scores.push(s);
    labels.push(y);
    race.push(2);
    sex.push(0);
  }
  const sum = fairnessVector(RACE_SEX, scores, labels, [race, sex]);
  const base = consortiumMetrics(evaluationVector(scores, labels));

  it('without it, the lone suppressed group\'s n and confusion counts follow from the released numbers by subtraction', () => {
    // Primary suppression only: every group of 1 to 10 withheld, the rest released (as before the fix).
    const groups: GroupMetrics[] = [];
    let at = 0;
    for (const a of RACE_SEX) {
      for (const g of a.groups) {
        const m = groupMetrics(a.name, g, sum.subarray(at, at + FAIRNESS_GROUP_LENGTH));
        if (!(m.n >= 1 && m.n <= SUPPRESS_AT_MOST)) groups.push(m);
        at += FAIRNESS_GROUP_LENGTH;
      }
    }
    expect(groups.map((g) => g.group)).toEqual(['white', 'black', 'F', 'M']);
    expect(subtractionAttack(base, groups)).toEqual({ n: 4, correct: 2, tp: 2, fp: 1, tn: 0, fn: 1 });
  });

  it('with it, the smallest reported group is suppressed too, and subtraction gives only a set of more than 10 patients', () => {
    const r: FairnessReport = JSON.parse(JSON.stringify(fairnessReport(RACE_SEX, sum))) as FairnessReport;
    expect(r.suppressed).toEqual([{ attribute: 'race', group: 'black' }, { attribute: 'race', group: 'other' }]);
    expect(r.groups.map((g) => `${g.attribute}=${g.group}`)).toEqual(['race=white', 'sex=F', 'sex=M']);
    const derived = subtractionAttack(base, r.groups.map((g) => ({ ...g, ppv: g.ppv ?? Number.NaN })));
    expect(derived.n).toBe(44);
    expect(derived.tp + derived.fp + derived.tn + derived.fn).toBe(44);
    // One reported group left: race's difference cannot be computed.
    expect(r.equalizedOddsDifference.race).toBeNull();
  });

  it('picks complements by size until the suppressed total is 0 or over 10, leaving empty groups reported', () => {
    expect([...suppressedGroups([50, 4, 0, 30])].sort()).toEqual([1, 3]);
    expect([...suppressedGroups([50, 4, 3, 30])].sort()).toEqual([1, 2, 3]);
    expect([...suppressedGroups([50, 6, 5, 30])].sort()).toEqual([1, 2]);
    expect([...suppressedGroups([50, 0, 30])]).toEqual([]);
    expect([...suppressedGroups([5, 0])]).toEqual([0]);
    expect([...suppressedGroups([12, 11])]).toEqual([]);
  });
});
