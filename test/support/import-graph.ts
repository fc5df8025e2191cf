/** Test helper: the modules a TypeScript file reaches through its relative imports. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ImportGraphOptions {
  /** Follow `import type` too (erased at run time). Default false: only what loads. */
  readonly typeImports?: boolean;
  /** Follow only files under this directory. */
  readonly within?: string;
}

function relativeImports(file: string, options: ImportGraphOptions): string[] {
  const text = readFileSync(file, 'utf8');
  const notType = options.typeImports ? '' : '(?!type\\b)';
  const specifiers = [
    ...text.matchAll(new RegExp(`^\\s*import\\s+${notType}[^;]*?from\\s+'([^']+)'`, 'gms')),
    ...text.matchAll(new RegExp(`^\\s*export\\s+${notType}[^;]*?from\\s+'([^']+)'`, 'gms')),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1] as string);
  return specifiers
    .filter((s) => s.startsWith('.'))
    .map((s) => resolve(dirname(file), s))
    .filter((p) => options.within === undefined || p.startsWith(options.within));
}

/** Every file reachable from `entries` (absolute paths), the entries included. */
export function importGraph(entries: readonly string[], options: ImportGraphOptions = {}): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...relativeImports(file, options));
  }
  return seen;
}
