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

  it('refuses an unknown codec with a usage error', async () => {
    const r = await runCli(registerSimulateCommand, ['simulate', '--spec', specPath, '--site', csvs[0]!, '--codec', 'rot13', '--json']);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.err) as { error: { code: string } }).toMatchObject({ error: { code: 'COHORT_E_GENERAL_USAGE' } });
  });
});
