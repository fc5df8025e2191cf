/**
 * Where the provisioner keeps things under its output directory:
 *
 *   <out>/.provisioner/   ca.key, ca.crt, crl.pem, consortium.yaml, state.json  (0700)
 *   <out>/<name>/         one kit per participant                                 (0700)
 */
import { join } from 'node:path';

const STATE_DIR = '.provisioner';

export interface ProvisionerPaths {
  readonly dir: string;
  readonly caKey: string;
  readonly caCert: string;
  readonly crl: string;
  readonly consortiumCopy: string;
  readonly state: string;
  /** Held (created exclusively) by the one command changing the state. */
  readonly lock: string;
  /** The provisioner's hash-chained audit log (audit.jsonl): agreement checks, issuance, revocation. */
  readonly audit: string;
}

export function provisionerPaths(outDir: string): ProvisionerPaths {
  const dir = join(outDir, STATE_DIR);
  return {
    dir,
    caKey: join(dir, 'ca.key'),
    caCert: join(dir, 'ca.crt'),
    crl: join(dir, 'crl.pem'),
    consortiumCopy: join(dir, 'consortium.yaml'),
    state: join(dir, 'state.json'),
    lock: join(dir, 'lock'),
    audit: join(dir, 'audit'),
  };
}

/** File names inside a kit directory. Paths in kit.yaml are relative to the kit directory. */
export const KIT_FILE = 'kit.yaml';
export const KIT_CA_FILE = 'ca.crt';
export const KIT_CRL_FILE = 'crl.pem';
export const kitCertFile = (name: string): string => `${name}.crt`;
export const kitKeyFile = (name: string): string => `${name}.key`;

export function kitDir(outDir: string, name: string): string {
  return join(outDir, name);
}
