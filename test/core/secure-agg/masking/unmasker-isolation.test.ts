/**
 * The coordinator's unmasker and share reconstruction must never be able to decrypt: their
 * module trees name no decryptor, key generator or HE secret key, and do not reach keys.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importGraph } from '../../../support/import-graph.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../core/secure-agg');

describe('coordinator-side unmasker', () => {
  const files = [...importGraph([resolve(root, 'masking/unmasker.ts'), resolve(root, 'masking/reconstruct.ts')], { typeImports: true, within: root })].sort();

  it('imports only public-parameter modules and the seed derivations', () => {
    expect(files.map((f) => f.slice(root.length + 1))).toEqual([
      'chunk-format.ts',
      'layout.ts',
      'masking/prg.ts',
      'masking/reconstruct.ts',
      'masking/seeds.ts',
      'masking/unmasker.ts',
      'seal-context.ts',
      'seal-library.ts',
    ]);
  });

  it.each(['Decryptor', 'KeyGenerator', 'secretKey', 'SecretKey'])('never mentions %s', (word) => {
    for (const file of files) expect({ file, mentions: readFileSync(file, 'utf8').includes(word) }).toEqual({ file, mentions: false });
  });
});
