/** Shared fixtures for PKI, TLS, config and CLI tests: temporary directories, consortium files, CAs. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { EnrolledConsortium } from '../../../cli/demo/enroll-consortium.ts';
import { createCaCertificate, loadCa, type CertificateAuthority, type ValidityOptions } from '../../../core/pki/ca.ts';
import { generateKeyPair } from '../../../core/pki/keys.ts';
import { crypto } from '../../../core/pki/x509.ts';
import { provisionConsortium } from '../../support/provision.ts';

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

/** A fresh temporary directory for the current test, removed when it finishes. */
export function tempDirForTest(prefix = 'cohort-pki-'): { dir: string } {
  const { dir, cleanup } = tempDir(prefix);
  onTestFinished(cleanup);
  return { dir };
}

/** Writes a consortium file into `dir` and returns its path. */
export function writeConsortium(dir: string, text = DEMO_CONSORTIUM, name = 'consortium.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * Provisions DEMO_CONSORTIUM into `<tmp>/out` for the current test; the temporary
 * directory is removed when the test finishes.
 */
export async function provisionedForTest(options: { now?: Date } = {}): Promise<{ tmp: string; file: string; out: string; result: EnrolledConsortium }> {
  const { dir: tmp } = tempDirForTest();
  const file = writeConsortium(tmp);
  const out = join(tmp, 'out');
  const result = await provisionConsortium(file, out, options);
  return { tmp, file, out, result };
}

/** A fresh consortium CA: its PEM certificate and the authority, ready to sign. */
export async function newCa(consortium = 'demo-consortium', options: ValidityOptions = { validityDays: 10 }): Promise<{ certPem: string; ca: CertificateAuthority }> {
  const keys = await generateKeyPair();
  const certPem = await createCaCertificate(consortium, { ...keys, crypto }, options);
  return { certPem, ca: loadCa(certPem, { privateKey: keys.privateKey, crypto }) };
}

/** Runs `body` after `change` altered `path`, then restores the file's bytes and mode. */
export function withFileChanged(path: string, change: () => void, body: () => void): void {
  const bytes = readFileSync(path);
  const mode = statSync(path).mode & 0o777;
  change();
  try {
    body();
  } finally {
    writeFileSync(path, bytes);
    chmodSync(path, mode);
  }
}
