/** Survival test data and a brute-force C-index, shared by the survival tests (metrics, simulator, networked runs). */
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../../models/seeded-random.ts';

/** Coefficients of the Cox model {@link coxRows} draws from. */
export const TRUE_BETA = [1, -1, 0.5];

/** Rows of a Cox model with hazard exp(x . TRUE_BETA) (exponential times), censored by an independent exponential of rate 0.3; times rounded to 0.1 so some tie. */
export function coxRows(n: number, seed: number): { x: number[][]; time: number[]; event: number[] } {
  const rng = mulberry32(seed);
  const out = { x: [] as number[][], time: [] as number[], event: [] as number[] };
  for (let i = 0; i < n; i++) {
    const x = TRUE_BETA.map(() => 2 * rng() - 1);
    const hazard = Math.exp(x.reduce((s, v, k) => s + v * TRUE_BETA[k]!, 0));
    const t = -Math.log(1 - rng()) / hazard;
    const c = -Math.log(1 - rng()) / 0.3;
    out.x.push(x);
    out.time.push(Math.round(Math.min(t, c) * 10) / 10);
    out.event.push(t <= c ? 1 : 0);
  }
  return out;
}

/** The columns {@link writeCoxCsv} writes: three covariates, the time and the event. */
export const COX_COLUMNS = ['a', 'b', 'c', 'T', 'E'] as const;

/** Writes {@link coxRows} as a CSV extract with the {@link COX_COLUMNS} header. */
export function writeCoxCsv(path: string, rows: ReturnType<typeof coxRows>): void {
  writeFileSync(path, [COX_COLUMNS.join(','), ...rows.x.map((x, k) => `${x.join(',')},${rows.time[k]},${rows.event[k]}`)].join('\n') + '\n');
}

/** The fields every cox-ph test spec shares: the three covariates unscaled, the survival label, SGD, seed 3. Each test adds its name, dataset, steps and rounds. */
export const COX_SPEC_BASE = {
  features: ['a', 'b', 'c'].map((name) => ({ name, type: 'numeric', preprocess: 'none' })),
  label: { type: 'survival', time: 'T', event: 'E' },
  model: { family: 'cox-ph' },
  seed: 3,
} as const;

/**
 * Every unordered pair, one at a time: the pair is usable when the patient who left first had
 * the event, or both left at the same time and only one had it (the censored one was still at
 * risk). The earlier leaver should have the higher risk; equal risks count half.
 */
export function bruteForceConcordance({ risk, time, event }: { risk: ArrayLike<number>; time: ArrayLike<number>; event: ArrayLike<number> }): { concordant: number; tied: number; comparable: number } {
  let concordant = 0;
  let tied = 0;
  let comparable = 0;
  for (let a = 0; a < risk.length; a++) {
    for (let b = a + 1; b < risk.length; b++) {
      let first: number;
      let second: number;
      if (time[a]! < time[b]!) [first, second] = [a, b];
      else if (time[b]! < time[a]!) [first, second] = [b, a];
      else if (event[a] !== event[b]) [first, second] = event[a] === 1 ? [a, b] : [b, a];
      else continue;
      if (event[first] !== 1) continue;
      comparable++;
      if (risk[first] === risk[second]) tied++;
      else if (risk[first]! > risk[second]!) concordant++;
    }
  }
  return { concordant, tied, comparable };
}
