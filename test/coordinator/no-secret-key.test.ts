/**
 * The coordinator can add ciphertexts but never decrypt: no module it loads at run time
 * generates, loads or uses a secret key. Walks the real import graph (value imports,
 * re-exports and dynamic imports; `import type` is erased at run time) from the
 * coordinator's entry points.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ENTRY_POINTS = ['cli/commands/coordinator.ts', 'coordinator/coordinator.ts'];
/** What only a key holder's code contains: SEAL's secret-key machinery and Cohort's key loaders. */
const SECRET_KEY_USE = /\b(Decryptor|KeyGenerator)\s*\(|\bloadSecretKey\s*\(|\bopenSealedKey\s*\(|\bgenerateConsortiumKey\s*\(/;
const SITE_ONLY_MODULES = ['core/secure-agg/keys.ts', 'core/secure-agg/bfv-update-encoder.ts', 'site-agent/he-keys.ts', 'site-agent/key-ceremony.ts'];

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/^\s*export\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

function importGraph(entries: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = entries.map((e) => join(ROOT, e));
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...runtimeImports(file));
  }
  return seen;
}

describe('the coordinator code path', () => {
  const graph = importGraph(ENTRY_POINTS);
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
    const siteGraph = [...importGraph(['site-agent/agent.ts'])].map((f) => relative(ROOT, f));
    expect(siteGraph).toContain('core/secure-agg/bfv-update-encoder.ts');
    expect(SECRET_KEY_USE.test(readFileSync(join(ROOT, 'core/secure-agg/bfv-update-encoder.ts'), 'utf8'))).toBe(true);
  });
});
