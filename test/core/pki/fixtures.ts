/** Shared fixtures for PKI and TLS tests: temporary directories and consortium files. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DEMO_CONSORTIUM = `name: demo-consortium
coordinator: { name: coordinator, hosts: [localhost, 127.0.0.1], port: 7443 }
keyHolder: hospital-a
sites: [ { name: hospital-a }, { name: hospital-b } ]
users: [ { name: alice, role: data-scientist }, { name: olga, role: operator } ]
`;

/** A fresh temporary directory and its cleanup. */
export function tempDir(prefix = 'cohort-pki-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a consortium file into `dir` and returns its path. */
export function writeConsortium(dir: string, text = DEMO_CONSORTIUM, name = 'consortium.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
