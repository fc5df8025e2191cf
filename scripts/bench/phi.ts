/**
 * `npm run bench:phi`: how well the PHI guard finds identifiers, on generated extracts
 * (scripts/datasets/phi-extract.ts) written to disk and read back through the same
 * `scanCsvFile` as `cohort phi scan`. For each seed and size: every identifier column and
 * notes column should be flagged with its own kind, no clean column flagged at all.
 *
 * Reports, per Safe Harbor kind, the columns holding it and how many were flagged with that
 * kind (recall), how many identifier columns were flagged with any kind (none missed), and
 * every clean column flagged (false positives), by name with the kinds and rules. Writes
 * bench-results/phi.json and the `phi` section of docs/benchmarks.md; `-- --json` prints the
 * JSON instead of the summary.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAFE_HARBOR_CATEGORIES, type SafeHarborCategory } from '../../site-agent/data/phi-patterns.ts';
import { scanCsvFile } from '../../site-agent/data/phi-scan.ts';
import { generatePhiExtract, phiExtractCsv } from '../datasets/phi-extract.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Seeds and sizes measured: a full extract, and a small one where the share and distinct-value rules have less to go on. */
export const PHI_BENCH_RUNS: readonly { readonly seed: number; readonly rows: number }[] = [
  { seed: 1, rows: 500 },
  { seed: 2, rows: 500 },
  { seed: 3, rows: 500 },
  { seed: 4, rows: 30 },
  { seed: 5, rows: 30 },
];

interface KindTally {
  columns: number;
  rightKind: number;
  flagged: number;
}

export interface PhiBenchResult {
  readonly runs: typeof PHI_BENCH_RUNS;
  /** Per kind, over identifier and notes columns: how many hold it, how many were flagged with it, how many flagged at all. */
  readonly perKind: Record<string, KindTally>;
  readonly identifierColumns: number;
  readonly identifierColumnsMissed: { seed: number; rows: number; column: string; what: string }[];
  readonly wrongKind: { seed: number; rows: number; column: string; what: string; expected: SafeHarborCategory[]; suspected: SafeHarborCategory[] }[];
  readonly cleanColumns: number;
  readonly falsePositives: { seed: number; rows: number; column: string; what: string; suspected: SafeHarborCategory[]; rules: string[] }[];
  /** The known-hard cases (docs/phi-guard.md, Limits): per case, in how many runs the guard got it right. */
  readonly hardCases: { what: string; kinds: SafeHarborCategory[]; right: number; runs: number }[];
  readonly seconds: number;
  /** Cells scanned per second (write, read and scan of every extract). */
  readonly cellsPerSecond: number;
}

export async function runPhiBench(): Promise<PhiBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-phi-bench-'));
  const perKind: Record<string, KindTally> = {};
  const missed: PhiBenchResult['identifierColumnsMissed'] = [];
  const wrongKind: PhiBenchResult['wrongKind'] = [];
  const falsePositives: PhiBenchResult['falsePositives'] = [];
  let identifierColumns = 0;
  let cleanColumns = 0;
  let cells = 0;
  const hard = new Map<string, { what: string; kinds: SafeHarborCategory[]; right: number; runs: number }>();
  const started = performance.now();
  try {
    for (const { seed, rows } of PHI_BENCH_RUNS) {
      const extract = generatePhiExtract(seed, rows);
      const path = join(dir, `extract-${seed}-${rows}.csv`);
      writeFileSync(path, phiExtractCsv(extract));
      const scanned = await scanCsvFile(path);
      cells += rows * extract.columns.length;
      extract.columns.forEach((truth, i) => {
        const got = scanned.columns[i];
        if (got === undefined || got.name !== truth.name) throw new Error(`column ${i} of the scan is not ${truth.name}`);
        if (truth.group === 'hard-identifier' || truth.group === 'hard-clean') {
          const tally = hard.get(truth.what) ?? { what: truth.what, kinds: [...truth.kinds], right: 0, runs: 0 };
          tally.runs++;
          const right = truth.kinds.length === 0 ? got.suspected.length === 0 : truth.kinds.every((k) => got.suspected.includes(k));
          if (right) tally.right++;
          hard.set(truth.what, tally);
          return;
        }
        if (truth.group === 'clean') {
          cleanColumns++;
          if (got.suspected.length > 0) falsePositives.push({ seed, rows, column: truth.name, what: truth.what, suspected: got.suspected, rules: got.reasons.map((r) => r.rule) });
          return;
        }
        identifierColumns++;
        if (got.suspected.length === 0) missed.push({ seed, rows, column: truth.name, what: truth.what });
        else if (!truth.kinds.every((k) => got.suspected.includes(k))) wrongKind.push({ seed, rows, column: truth.name, what: truth.what, expected: [...truth.kinds], suspected: got.suspected });
        for (const kind of truth.kinds) {
          const tally = (perKind[kind] ??= { columns: 0, rightKind: 0, flagged: 0 });
          tally.columns++;
          if (got.suspected.includes(kind)) tally.rightKind++;
          if (got.suspected.length > 0) tally.flagged++;
        }
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    runs: PHI_BENCH_RUNS,
    perKind,
    identifierColumns,
    identifierColumnsMissed: missed,
    wrongKind,
    cleanColumns,
    falsePositives,
    hardCases: [...hard.values()],
    seconds: (performance.now() - started) / 1000,
    cellsPerSecond: cells / ((performance.now() - started) / 1000),
  };
}

function markdown(r: PhiBenchResult): string {
  const kinds = Object.keys(r.perKind).sort() as SafeHarborCategory[];
  const runs = r.runs.map((x) => `seed ${x.seed} at ${x.rows} rows`).join(', ');
  const lines = [
    `Command: \`npm run bench:phi\` (generated extracts: ${runs}; \`scripts/datasets/phi-extract.ts\`; scanned through \`cohort phi scan\`'s reader; ${r.seconds.toFixed(1)} s in all, about ${Math.round(r.cellsPerSecond / 1000)}k cells a second on one core).`,
    'Identifier columns carry innocent names (`V01`, ...), except an age column and a 3-digit ZIP column, which only their names make identifiers; notes columns hold one identifier kind inside clinical sentences in about a third of their rows.',
    'The rules were written with this generator at hand: the figures show that every shape it draws is covered and that its clean columns pass, not how the guard does on real extracts. The tests of the guard use their own fixtures, and the generator at another seed.',
    '',
    '| kind | columns holding it | flagged with this kind | flagged at all |',
    '| --- | --- | --- | --- |',
    ...kinds.map((k) => {
      const t = r.perKind[k]!;
      return `| ${k} (${SAFE_HARBOR_CATEGORIES[k]}) | ${t.columns} | ${t.rightKind} (${((100 * t.rightKind) / t.columns).toFixed(0)}%) | ${t.flagged} |`;
    }),
    '',
    `Identifier and notes columns: ${r.identifierColumns}, missed (flagged with no kind): **${r.identifierColumnsMissed.length}**${r.identifierColumnsMissed.length === 0 ? '' : ` (${r.identifierColumnsMissed.map((m) => `${m.column} at ${m.rows} rows: ${m.what}`).join('; ')})`}.`,
    `Clean clinical columns: ${r.cleanColumns}, flagged: **${r.falsePositives.length}**${r.falsePositives.length === 0 ? '' : ` (${r.falsePositives.map((f) => `${f.column} at ${f.rows} rows: ${f.suspected.join(', ')} by ${f.rules.join(', ')}`).join('; ')})`}.`,
    ...(r.wrongKind.length === 0
      ? []
      : [
          `Flagged but not with their own kind: ${[...new Set(r.wrongKind.map((w) => `${w.what} (expected ${w.expected.join(', ')}, got ${w.suspected.join(', ')})`))].join('; ')}.`,
        ]),
    '',
    'Known-hard cases (docs/phi-guard.md, Limits), not counted above: right in how many runs.',
    '',
    '| case | expected | right |',
    '| --- | --- | --- |',
    ...r.hardCases.map((h) => `| ${h.what} | ${h.kinds.length === 0 ? 'clean' : h.kinds.join(', ')} | ${h.right} of ${h.runs} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await runPhiBench();
  mkdirSync(join(root, 'bench-results'), { recursive: true });
  writeFileSync(join(root, 'bench-results', 'phi.json'), `${JSON.stringify(result, null, 2)}\n`);
  updateBenchmarkSection('phi', markdown(result));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${markdown(result)}\n`);
}
