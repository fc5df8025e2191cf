/**
 * Writes docs/errors.md from the error registry (core/errors). `--check` fails when the
 * committed file differs, so that no code a user can meet goes undocumented.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { ERROR_FAMILIES } from '../core/errors/index.ts';

const target = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

export function renderErrorTable(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error a user of Cohort can meet, generated from `core/errors/codes/*.ts` by',
    '`npm run errors:gen` (a test fails when this file drifts). Servers send the code in the',
    '`cohort-error-code` trailer and as the prefix of the status message; the CLI prints',
    '`error <CODE>: <message>` and exits 2 for bad input, 1 for a refused operation.',
    '',
  ];
  for (const [area, family] of Object.entries(ERROR_FAMILIES)) {
    lines.push(`## ${area}`, '', '| code | gRPC status | meaning | how to fix |', '| --- | --- | --- | --- |');
    for (const def of Object.values(family)) {
      lines.push(`| \`${def.code}\` | ${status[def.grpc]} | ${def.meaning.replace(/\|/g, '\\|')} | ${def.fix.replace(/\|/g, '\\|')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const text = renderErrorTable();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as drift
  }
  if (current !== text) {
    process.stderr.write('docs/errors.md is out of date; run npm run errors:gen\n');
    process.exit(1);
  }
  process.stdout.write('docs/errors.md is up to date\n');
} else {
  writeFileSync(target, text);
}
