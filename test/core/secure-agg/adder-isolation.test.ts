/**
 * The coordinator's adder must never be able to decrypt: its module and everything it
 * imports from core/secure-agg name no decryptor, no key generator and no secret key.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../core/secure-agg');

function localImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from '(\.[^']+)'/g)]
    .map((m) => resolve(dirname(file), m[1] as string))
    .filter((p) => p.startsWith(root));
}

function closure(entry: string): string[] {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...localImports(file));
  }
  return [...seen].sort();
}

describe('coordinator-side adder', () => {
  const files = closure(resolve(root, 'bfv-chunk-adder.ts'));

  it('imports only the public-parameter modules of core/secure-agg', () => {
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(['bfv-chunk-adder.ts', 'chunk-format.ts', 'layout.ts', 'seal-context.ts', 'seal-library.ts']);
  });

  it.each(['Decryptor', 'KeyGenerator', 'secretKey', 'SecretKey'])('never mentions %s', (word) => {
    for (const file of files) expect({ file, mentions: readFileSync(file, 'utf8').includes(word) }).toEqual({ file, mentions: false });
  });
});
