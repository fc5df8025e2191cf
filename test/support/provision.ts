/**
 * Test shorthand for a consortium whose participants have all enrolled (keys made by
 * `enroll`, requests signed by the CA), laid out as the older tests expect: each
 * participant's kit, key included, at `<out>/<name>`, beside the provisioner's `.provisioner/`.
 * Real consortia (and the demo) keep each key in the participant's own directory; that
 * separation has its own tests (test/core/pki/enrollment.test.ts). The CA key's passphrase
 * file is remembered per directory, so that revoke and renewCrl read as before.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { enrollConsortium, type EnrolledConsortium } from '../../cli/demo/enroll-consortium.ts';
import type { CaKeyAccess } from '../../core/pki/ca-key.ts';
import { enroll } from '../../core/pki/enroll.ts';
import { kitCertFile } from '../../core/pki/layout.ts';
import * as pki from '../../core/pki/provisioner.ts';

const caKeys = new Map<string, CaKeyAccess>();

/** Creates the CA in `out` and enrols every participant of `file` into `<out>/<name>`. */
export async function provisionConsortium(file: string, out: string, options: { force?: boolean; now?: Date } = {}): Promise<EnrolledConsortium> {
  const r = await enrollConsortium(file, { provisionerDir: out, ...options });
  caKeys.set(resolve(out), r.caKey);
  return r;
}

/** The passphrase access of a consortium provisioned here. */
export function caKeyOf(out: string): CaKeyAccess {
  const key = caKeys.get(resolve(out));
  if (key === undefined) throw new Error(`no consortium was provisioned in ${out} by this test process`);
  return key;
}

export function revoke(out: string, name: string, options: { reason?: string; now?: Date } = {}): ReturnType<typeof pki.revoke> {
  return pki.revoke(out, name, { ...options, caKey: caKeyOf(out) });
}

export function renewCrl(out: string, options: { now?: Date } = {}): ReturnType<typeof pki.renewCrl> {
  return pki.renewCrl(out, { ...options, caKey: caKeyOf(out) });
}

/** `provision add-site`, then the new site enrols into `<out>/<name>` and the operator signs its request. */
export async function addEnrolledSite(out: string, name: string): Promise<pki.SignResult> {
  await pki.addSite(out, name);
  const { requestFile } = await enroll(name, join(out, name));
  return pki.signRequest(out, requestFile, { caKey: caKeyOf(out) });
}

/**
 * The operator's move against a name it already certified, which needs nobody's help: it
 * enrols a key of its own for `name` in `scratchDir` and signs the request with the CA (a
 * "renewal"). The participant's own kit files in `<out>/<name>`, which the provisioner writes
 * into, are put back as they were. Returns the operator's certificate and key for the name.
 */
export async function operatorIssued(out: string, name: string, scratchDir: string): Promise<{ certPem: string; keyPem: string }> {
  const kitDir = join(out, name);
  const files = (): string[] => readdirSync(kitDir).filter((f) => statSync(join(kitDir, f)).isFile());
  const saved = new Map(files().map((f) => [f, { bytes: readFileSync(join(kitDir, f)), mode: statSync(join(kitDir, f)).mode & 0o777 }]));
  const { requestFile, keyFile } = await enroll(name, scratchDir);
  try {
    await pki.signRequest(out, requestFile, { caKey: caKeyOf(out) });
    return { certPem: readFileSync(join(kitDir, kitCertFile(name)), 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  } finally {
    for (const f of files()) if (!saved.has(f)) rmSync(join(kitDir, f));
    for (const [f, { bytes, mode }] of saved) {
      writeFileSync(join(kitDir, f), bytes);
      chmodSync(join(kitDir, f), mode);
    }
  }
}
