/**
 * `npm run bench:he`: the BFV codec alone on a 1,000,000-parameter update (wire bytes,
 * encode+encrypt per site, adding 10 sites). Writes bench-results/he.json and its section
 * of docs/benchmarks.md. The round-level figures of the encrypted-aggregation issue
 * (coordinator peak memory 50 vs 10 sites, encrypted vs plaintext round) need the BFV
 * codec wired into runs and are not measured yet.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { measureHeCodec } from './he-codec.ts';
import { updateBenchmarkSection } from './benchmarks-doc.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const r = await measureHeCodec({ params: 1_000_000, sites: 10, repetitions: 3 });
mkdirSync(`${root}/bench-results`, { recursive: true });
writeFileSync(`${root}/bench-results/he.json`, `${JSON.stringify(r, null, 2)}\n`);
updateBenchmarkSection('he', ['Command: `npm run bench:he` (medians of 3; codec only, not a networked round).', '', '```json', JSON.stringify(r, null, 2), '```'].join('\n'));
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
