/**
 * The coordinator's adder must never be able to decrypt: its module and everything it
 * imports from core/secure-agg name no decryptor, no key generator and no secret key.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../support/import-graph.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../core/secure-agg');

describe('coordinator-side adder', () => {
  // Type imports count too here: the adder's module tree must not even name key types.
  const files = [...importGraph([resolve(root, 'bfv-chunk-adder.ts')], { typeImports: true, within: root })].sort();

  it('imports only the public-parameter modules of core/secure-agg', () => {
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(['bfv-chunk-adder.ts', 'chunk-format.ts', 'layout.ts', 'seal-context.ts', 'seal-library.ts']);
  });

  it.each(['Decryptor', 'KeyGenerator', 'secretKey', 'SecretKey'])('never mentions %s', (word) => {
    for (const file of files) expect({ file, mentions: readFileSync(file, 'utf8').includes(word) }).toEqual({ file, mentions: false });
  });
});
