/**
 * Enrolment: a participant (coordinator, site or person) makes its own key pair where it
 * will be used and hands the operator only a PKCS#10 request. The private key never
 * leaves the directory it was written to.
 *
 *   <dir>/<name>.key   ECDSA P-256, PKCS#8 PEM, 0600
 *   <dir>/<name>.csr   PKCS#10 PEM, subject CN=<name>, signed by that key
 *
 * After `cohort provision sign`, the participant copies the certificate, ca.crt and
 * kit.yaml the operator returns into the same directory: that directory is its kit.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PARTICIPANT_NAME } from '../config/consortium.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { readCertificateRequest } from './ca.ts';
import { OWNER_ONLY_FILE, PUBLIC_FILE, makePrivateDir, writeNewFile } from './files.ts';
import { generateKeyPair, privateKeyToPem } from './keys.ts';
import { kitKeyFile } from './layout.ts';
import { SIGNING_ALGORITHM, x509 } from './x509.ts';

export const requestFile = (name: string): string => `${name}.csr`;

export interface EnrollResult {
  readonly name: string;
  readonly keyFile: string;
  readonly requestFile: string;
  /** SHA-256 of the public key (SPKI DER), hex: read it to the operator to compare. */
  readonly publicKeySha256: string;
}

/** Makes `<dir>/<name>.key` (0600) and `<dir>/<name>.csr`. Refuses to overwrite either. */
export async function enroll(name: string, dirArg: string): Promise<EnrollResult> {
  if (!PARTICIPANT_NAME.test(name)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `name "${name}" is not a participant name: expected ${PARTICIPANT_NAME.source}`, { details: { name } });
  }
  const dir = resolve(dirArg);
  const keyFile = join(dir, kitKeyFile(name));
  const csrFile = join(dir, requestFile(name));
  for (const f of [keyFile, csrFile]) {
    if (existsSync(f)) throw new CohortError(PkiErrors.ENROLLMENT_EXISTS, `${f} already exists; enrol never overwrites a key or request`, { details: { file: f } });
  }
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [name] }], keys, signingAlgorithm: SIGNING_ALGORITHM });
  const csrPem = `${csr.toString('pem')}\n`;
  const { publicKeySha256 } = await readCertificateRequest(csrPem, csrFile);
  if (!existsSync(dir)) makePrivateDir(dir);
  writeNewFile(keyFile, await privateKeyToPem(keys.privateKey), OWNER_ONLY_FILE);
  writeNewFile(csrFile, csrPem, PUBLIC_FILE);
  return { name, keyFile, requestFile: csrFile, publicKeySha256 };
}
