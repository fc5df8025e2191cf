/** `cohort simulate` end to end in-process: encrypted rounds on two local CSVs, with the privacy spent per site. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSimulateCommand } from '../../../cli/commands/simulate.ts';
import { loadSpecFile } from '../../../models/validate-spec.ts';
import { generateHospitals, syntheticColumnMapping } from '../../../scripts/datasets/synthetic-hospitals.ts';
import { runCli } from './run-cli.ts';

describe('cohort simulate', () => {
  let dir: string;
  let specPath: string;
  const csvs: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cohort-simulate-'));
    const hospitals = await generateHospitals({ sites: 2, seed: 3, rowsPerSite: 120, outDir: join(dir, 'raw') });
    // `simulate` reads columns named as the spec's features and label: rename the extracts' headers.
    const toSpecName = new Map(Object.entries(syntheticColumnMapping()).map(([specName, local]) => [local, specName]));
    for (const h of hospitals) {
      const [header, ...rows] = readFileSync(h.path, 'utf8').split('\n');
      const renamed = (header ?? '').split(',').map((c) => toSpecName.get(c) ?? c).join(',');
      const path = join(dir, `${h.site}.csv`);
      writeFileSync(path, [renamed, ...rows].join('\n'));
      csvs.push(`${h.site}=${path}`);
    }
    specPath = join(dir, 'spec.json');
    const spec = loadSpecFile(join(import.meta.dirname, '../../../models/examples/demo-private.yaml'));
    writeFileSync(specPath, JSON.stringify({ ...spec, rounds: 2, minSites: 2 }));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs encrypted, private rounds and reports each site\'s spend as JSON', async () => {
    const r = await runCli(registerSimulateCommand, ['simulate', '--spec', specPath, '--site', csvs[0]!, '--site', csvs[1]!, '--codec', 'bfv', '--backend', 'cpu', '--json']);
    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.out) as { rounds: { round: number }[]; codec: { kind: string; maxSummands: number; maxWeight: number }; privacy: { site: string; epsilon: number; plannedEpsilon: number }[] };
    expect(out.rounds.map((x) => x.round)).toEqual([1, 2]);
    // Site-level DP: unweighted updates (maxWeight 1), two summands.
    expect([out.codec.kind, out.codec.maxSummands, out.codec.maxWeight]).toEqual(['bfv', 2, 1]);
    expect(out.privacy.map((p) => p.site)).toEqual(['hospital-a', 'hospital-b']);
    for (const p of out.privacy) {
      expect(p.epsilon).toBeGreaterThan(0);
      expect(p.epsilon).toBeCloseTo(p.plannedEpsilon, 10);
    }
  }, 120_000);

  it('runs a cox-ph spec on survival extracts and reports the summed C-index as the final metrics', async () => {
    // Two sites of a Cox model with hazard exp(a - b), censored at rate 0.3: columns a, b, T, E.
    let x = 7;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const sites = ['north', 'south'].map((name) => {
      const lines = ['a,b,T,E'];
      for (let i = 0; i < 150; i++) {
        const a = 2 * next() - 1;
        const b = 2 * next() - 1;
        const t = -Math.log(1 - next()) / Math.exp(a - b);
        const c = -Math.log(1 - next()) / 0.3;
        lines.push(`${a},${b},${Math.min(t, c).toFixed(3)},${t <= c ? 1 : 0}`);
      }
      const path = join(dir, `${name}-survival.csv`);
      writeFileSync(path, lines.join('\n'));
      return `${name}=${path}`;
    });
    const coxPath = join(dir, 'cox.json');
    writeFileSync(coxPath, JSON.stringify({
      name: 'cox', dataset: 'synthetic', features: [{ name: 'a', type: 'numeric' }, { name: 'b', type: 'numeric' }],
      label: { type: 'survival', time: 'T', event: 'E' }, model: { family: 'cox-ph' },
      training: { steps: 20, batchSize: 32, optimizer: 'sgd', learningRate: 0.5 }, rounds: 3,
    }));

    const r = await runCli(registerSimulateCommand, ['simulate', '--spec', coxPath, '--site', sites[0]!, '--site', sites[1]!, '--codec', 'bfv', '--backend', 'cpu', '--json']);

    expect(r.exitCode).toBe(0);
    const out = JSON.parse(r.out) as { rounds: { survivalSites: { site: string }[] }[]; final: { evaluators: number; numExamples: number; meanCIndex: number } };
    expect(out.rounds[2]!.survivalSites.map((s) => s.site)).toEqual(['north', 'south']);
    // testFraction 0.3 of 150 rows at each site.
    expect(out.final).toMatchObject({ evaluators: 2, numExamples: 90 });
    expect(out.final.meanCIndex).toBeGreaterThan(0.65);
  }, 120_000);

  it('refuses an unknown codec with a usage error', async () => {
    const r = await runCli(registerSimulateCommand, ['simulate', '--spec', specPath, '--site', csvs[0]!, '--codec', 'rot13', '--json']);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.err) as { error: { code: string } }).toMatchObject({ error: { code: 'COHORT_E_GENERAL_USAGE' } });
  });
});
