/**
 * Generates the TypeScript types for protos/ into protos/gen/ with @grpc/proto-loader's
 * generator. `--check` generates into a temporary directory and fails if protos/gen differs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const protoFiles = ['cohort/v1/site.proto', 'cohort/v1/admin.proto', 'cohort/v1/registry.proto', 'cohort/v1/audit.proto'];

function generate(outDir: string): void {
  execFileSync(
    join(root, 'node_modules/.bin/proto-loader-gen-types'),
    [...protoFiles, '--longs=String', '--enums=String', '--defaults', '--oneofs', '--includeComments', '--grpcLib=@grpc/grpc-js', '--importFileExtension=.ts', '--outDir', outDir, '-I', 'protos'],
    // A relative include path keeps the checkout's location out of the "Original file" headers,
    // so the drift check gives the same answer in any clone.
    { stdio: 'inherit', cwd: root },
  );
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

const check = process.argv.includes('--check');
if (!check) {
  rmSync(join(root, 'protos/gen'), { recursive: true, force: true });
  generate(join(root, 'protos/gen'));
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'cohort-protos-'));
  try {
    generate(tmp);
    const fresh = listFiles(tmp).map((f) => relative(tmp, f)).sort();
    const committed = listFiles(join(root, 'protos/gen')).map((f) => relative(join(root, 'protos/gen'), f)).sort();
    const drift = fresh.filter((f) => !committed.includes(f) || readFileSync(join(tmp, f), 'utf8') !== readFileSync(join(root, 'protos/gen', f), 'utf8'));
    const extra = committed.filter((f) => !fresh.includes(f));
    if (drift.length > 0 || extra.length > 0) {
      process.stderr.write(`protos/gen is out of date (${[...drift, ...extra].join(', ')}); run npm run protos:gen\n`);
      process.exit(1);
    }
    process.stdout.write('protos/gen is up to date\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
