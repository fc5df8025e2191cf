/**
 * The coordinator's check of the extras a site reports beside the consortium metrics (the
 * fairness and global explanation reports, docs/fairness.md and docs/explanations.md), against
 * the layout the run's spec gives (core/evaluation/evaluation-layout.ts): exactly the parts the
 * spec asks for, the spec's attributes in order, each of their groups once (reported or
 * suppressed) and no other, counts non-negative integers, rates in [0, 1] (or NaN/null where
 * undefined), no reported group of 1 to SUPPRESS_AT_MOST patients, the explanation method and
 * features of the layout. A `survival` part (the networked Cox model's) is left to its own check.
 */
import { z } from 'zod';
import type { EvaluationLayout, EvaluationExtras } from '../../core/evaluation/evaluation-layout.ts';
import { FAIRNESS_HISTOGRAM_BINS, FAIRNESS_THRESHOLD, SUPPRESS_AT_MOST } from '../../core/evaluation/fairness-metrics.ts';

/** A rate: in [0, 1], or undefined (NaN in memory, null once written as JSON). */
const rate = z.union([z.number().min(0).max(1), z.nan(), z.null()]);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const name = z.string().max(200);

const group = z.strictObject({
  attribute: name,
  group: name,
  n: count,
  tpr: rate,
  fpr: rate,
  ppv: rate,
  accuracy: rate,
  auc: rate,
  aucResolution: rate,
  selectionRate: rate,
});

/** The schema of extras_json for a run laid out as `layout`. */
export function extrasSchema(layout: EvaluationLayout): z.ZodType<EvaluationExtras & { survival?: unknown }> {
  const names = layout.fairness.map((a) => a.name);
  const differences = z.record(z.string(), z.union([z.number().min(0).max(1), z.null()]));
  const fairness = z
    .strictObject({
      attributes: z.array(name),
      groups: z.array(group),
      equalizedOddsDifference: differences,
      demographicParityDifference: differences,
      suppressed: z.array(z.strictObject({ attribute: name, group: name })),
      histogramBins: z.literal(FAIRNESS_HISTOGRAM_BINS),
      threshold: z.literal(FAIRNESS_THRESHOLD),
    })
    .superRefine((f, ctx) => {
      const issue = (message: string): void => ctx.addIssue({ code: 'custom', message });
      if (JSON.stringify(f.attributes) !== JSON.stringify(names)) issue(`attributes must be the spec's ${JSON.stringify(names)}`);
      for (const key of ['equalizedOddsDifference', 'demographicParityDifference'] as const) {
        if (JSON.stringify(Object.keys(f[key]).sort()) !== JSON.stringify([...names].sort())) issue(`${key} must name exactly the spec's attributes`);
      }
      const expected = layout.fairness.flatMap((a) => a.groups.map((g) => JSON.stringify([a.name, g]))).sort();
      const got = [...f.groups, ...f.suppressed].map((g) => JSON.stringify([g.attribute, g.group])).sort();
      if (JSON.stringify(got) !== JSON.stringify(expected)) issue('every group of the spec must appear once, reported or suppressed, and no other');
      if (f.groups.some((g) => g.n >= 1 && g.n <= SUPPRESS_AT_MOST)) issue(`a reported group has 1 to ${SUPPRESS_AT_MOST} patients`);
    });
  const explanations = z
    .strictObject({
      method: z.enum(['linear-shap', 'integrated-gradients']),
      baseline: z.literal('global-mean'),
      global: z.array(z.strictObject({ feature: name, meanAbsAttribution: z.number().min(0) })),
      completenessError: z.number().min(0),
      rows: count,
    })
    .superRefine((e, ctx) => {
      const l = layout.explanations;
      if (l && e.method !== l.method) ctx.addIssue({ code: 'custom', message: `explanations.method must be ${l.method}` });
      if (l && JSON.stringify(e.global.map((x) => x.feature).sort()) !== JSON.stringify([...l.features].sort())) ctx.addIssue({ code: 'custom', message: "explanations must name exactly the spec's features" });
    })
    .nullable();
  return z
    .strictObject({
      fairness: fairness.optional(),
      explanations: explanations.optional(),
      explanationsUnavailable: z.string().max(1000).optional(),
      survival: z.unknown().optional(),
    })
    .superRefine((x, ctx) => {
      if ((x.fairness !== undefined) !== names.length > 0) ctx.addIssue({ code: 'custom', message: names.length > 0 ? 'the spec asks for a fairness report' : 'the spec asks for no fairness report' });
      if ((x.explanations !== undefined) !== (layout.explanations !== null)) ctx.addIssue({ code: 'custom', message: layout.explanations ? 'the spec asks for global explanations' : 'the spec asks for no global explanations' });
    }) as z.ZodType<EvaluationExtras & { survival?: unknown }>;
}
