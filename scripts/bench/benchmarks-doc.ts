/** Rewrites one marked section of docs/benchmarks.md, leaving the rest as it is. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const doc = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

export function updateBenchmarkSection(name: string, body: string): void {
  const begin = `<!-- bench:${name}:begin -->`;
  const end = `<!-- bench:${name}:end -->`;
  let text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  const block = `${begin}\n${body}\n${end}`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n## ${name}\n\n${block}\n`;
  writeFileSync(doc, text);
}
