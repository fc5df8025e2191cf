/**
 * A whole consortium enrolled the way a real one is, on one machine: the operator creates
 * the CA (its key encrypted under a passphrase file), every participant makes its own key
 * and request in its own directory (`cohort enroll`), the operator signs each request, and
 * each participant puts the returned certificate, ca.crt and kit.yaml beside its key. The
 * demo, the benchmarks and the tests use it.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { enroll } from '../../core/pki/enroll.ts';
import { OWNER_ONLY_FILE, writeNewFile } from '../../core/pki/files.ts';
import type { CaKeyAccess } from '../../core/pki/ca-key.ts';
import { initProvisioner, signRequest } from '../../core/pki/provisioner.ts';

export interface EnrolledConsortium {
  readonly provisionerDir: string;
  readonly caKey: CaKeyAccess;
  readonly participants: readonly string[];
}

export interface EnrollConsortiumOptions {
  /** Where the operator keeps the CA (`provision init --out`). */
  readonly provisionerDir: string;
  /** Each participant's own directory, where its key is born; default `<provisionerDir>/<name>` (tests). */
  readonly participantDir?: (name: string) => string;
  /** The CA key's passphrase file; default a new random one beside the provisioner directory. */
  readonly caKey?: CaKeyAccess;
  readonly force?: boolean;
  readonly now?: Date;
}

/** Writes a fresh random passphrase to `path` (0600) and returns the access it gives. */
export function newPassphraseFile(path: string): CaKeyAccess {
  writeNewFile(path, `${randomBytes(24).toString('base64url')}\n`, OWNER_ONLY_FILE);
  return { passphraseFile: path };
}

export async function enrollConsortium(consortiumFile: string, options: EnrollConsortiumOptions): Promise<EnrolledConsortium> {
  const provisionerDir = resolve(options.provisionerDir);
  const caKey = options.caKey ?? newPassphraseFile(`${provisionerDir}.ca-passphrase-${randomBytes(4).toString('hex')}`);
  const init = await initProvisioner(consortiumFile, provisionerDir, { caKey, ...(options.force ? { force: true } : {}), ...(options.now ? { now: options.now } : {}) });
  const own = options.participantDir ?? ((name: string) => join(provisionerDir, name));
  for (const { name } of init.participants) {
    const dir = resolve(own(name));
    const request = await enroll(name, dir);
    const signed = await signRequest(provisionerDir, request.requestFile, { caKey, ...(options.now ? { now: options.now } : {}) });
    // Hand back: the signed kit files (no key among them) go beside the participant's key.
    if (signed.dir !== dir) for (const f of readdirSync(signed.dir)) copyFileSync(join(signed.dir, f), join(dir, f));
  }
  return { provisionerDir, caKey, participants: init.participants.map((p) => p.name) };
}
