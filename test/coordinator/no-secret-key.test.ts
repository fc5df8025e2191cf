/**
 * The coordinator can add ciphertexts but never decrypt: no module it loads at run time
 * generates, loads or uses a secret key. Walks the real import graph (value imports,
 * re-exports and dynamic imports; `import type` is erased at run time) from the
 * coordinator's entry points.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../support/import-graph.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY_POINTS = ['cli/commands/coordinator.ts', 'coordinator/coordinator.ts'];
/** What only a key holder's code contains: SEAL's secret-key machinery and Cohort's key loaders. */
const SECRET_KEY_USE = /\b(Decryptor|KeyGenerator)\s*\(|\bloadSecretKey\s*\(|\bopenSealedKey\s*\(|\bgenerateConsortiumKey\s*\(/;
const SITE_ONLY_MODULES = ['core/secure-agg/keys.ts', 'core/secure-agg/bfv-update-encoder.ts', 'site-agent/he-keys.ts', 'site-agent/key-ceremony.ts'];

describe('the coordinator code path', () => {
  const graph = importGraph(ENTRY_POINTS.map((e) => join(ROOT, e)));
  const files = [...graph].map((f) => relative(ROOT, f));

  it('loads the key-free BFV adder and the round engine', () => {
    expect(files).toContain('core/secure-agg/bfv-chunk-adder.ts');
    expect(files).toContain('coordinator/engine/run-engine.ts');
    expect(files).toContain('coordinator/server/key-relay.ts');
  });

  it('loads no module that generates, loads, opens or uses an HE secret key', () => {
    expect(files.filter((f) => SITE_ONLY_MODULES.includes(f))).toEqual([]);
    const offenders = [...graph].filter((f) => SECRET_KEY_USE.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it('would notice a module that decrypts (the check is not vacuous)', () => {
    const siteGraph = [...importGraph([join(ROOT, 'site-agent/agent.ts')])].map((f) => relative(ROOT, f));
    expect(siteGraph).toContain('core/secure-agg/bfv-update-encoder.ts');
    expect(SECRET_KEY_USE.test(readFileSync(join(ROOT, 'core/secure-agg/bfv-update-encoder.ts'), 'utf8'))).toBe(true);
  });
});
