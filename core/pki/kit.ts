/**
 * A participant's credentials kit: the directory the operator hands to one site,
 * person or coordinator. It holds the CA certificate, the participant's certificate
 * and key, and (coordinator only) the CRL; never another participant's key, never
 * the CA key.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { agreementSchema, PARTICIPANT_NAME, type Agreement } from '../config/consortium.ts';
import { loadYamlFile } from '../config/load.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { PUBLIC_FILE, makePrivateDir, replaceFile } from './files.ts';
import { identityFromCertificate, type Identity } from './identity.ts';
import { KIT_CA_FILE, KIT_CRL_FILE, KIT_FILE, kitCertFile, kitKeyFile } from './layout.ts';
import { ROLES, type Role } from './roles.ts';

const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/'), { message: 'expected a path relative to the kit directory' });

/** kit.yaml. Paths are relative to the kit directory so that the kit can be moved whole. */
const kitFileSchema = z
  .object({
    name: z.string().regex(PARTICIPANT_NAME),
    role: z.enum(ROLES),
    consortium: z.string().regex(PARTICIPANT_NAME),
    coordinatorAddress: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):[0-9]{1,5}$/, { message: 'expected host:port' }),
    /** A DNS name on the coordinator's certificate: the TLS server name sent when dialling an IP address. */
    coordinatorServerName: z.string().min(1).optional(),
    ca: relativePath,
    certificate: relativePath,
    key: relativePath,
    crl: relativePath.optional(),
    /** The site that generates the consortium's HE key; sites accept a sealed key only from it. */
    keyHolder: z.string().regex(PARTICIPANT_NAME).optional(),
    /** The agreement (BAA or DUA) the operator has on record for this participant, as of signing. */
    agreement: agreementSchema.optional(),
    /** Coordinator kit: the consortium requires agreements, so agreements.json must be there (a missing one refuses runs). */
    requireAgreements: z.boolean().optional(),
  })
  .strict();

type KitFile = z.output<typeof kitFileSchema>;

/** What the provisioner writes into a new kit directory. */
export interface KitContents {
  readonly name: string;
  readonly role: Role;
  readonly consortium: string;
  /** `host:port` the participant dials (the coordinator's first host). */
  readonly coordinatorAddress: string;
  /**
   * A DNS name the coordinator's certificate carries (the consortium file's first DNS host).
   * Sent as the TLS server name when a participant dials the coordinator by IP address,
   * because SNI may carry only DNS names (RFC 6066); the certificate is still checked
   * against the address dialled.
   */
  readonly coordinatorServerName?: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Coordinator kit only: the CRL. */
  readonly crlPem?: string;
  /**
   * The site named by the consortium file to generate the HE key. Written into every kit by
   * the provisioner, so that a site can tell a sealed key from the real key holder from one
   * the coordinator made up.
   */
  readonly keyHolder?: string;
  /** The agreement the operator's record held for this participant when it signed the kit (docs/consortium-file.md#agreements). */
  readonly agreement?: Agreement;
  /** Coordinator kit: the consortium requires agreements; without agreements.json the coordinator refuses runs rather than check nothing. */
  readonly requireAgreements?: boolean;
}

/** A loaded kit, ready for TLS: what the provisioner wrote, and where it lies. */
export interface Kit extends KitContents {
  /** Absolute kit directory. */
  readonly dir: string;
  /** Coordinator kit only: the CRL's absolute path (to watch for updates). */
  readonly crlPath?: string;
}

/** What the operator returns for a signed request: everything of a kit but the participant's key. */
export type KitFiles = Omit<KitContents, 'keyPem'>;

/**
 * Writes (or, on renewal, replaces) the public files of a kit: the certificate, ca.crt,
 * kit.yaml and for the coordinator crl.pem. The directory is made 0700 if absent. The
 * participant's key is never written here: it was made by `cohort enroll` where it is used.
 */
export function writeKitFiles(dir: string, kit: KitFiles): void {
  if (!existsSync(dir)) makePrivateDir(dir);
  const file: KitFile = {
    name: kit.name,
    role: kit.role,
    consortium: kit.consortium,
    coordinatorAddress: kit.coordinatorAddress,
    ...(kit.coordinatorServerName === undefined ? {} : { coordinatorServerName: kit.coordinatorServerName }),
    ca: KIT_CA_FILE,
    certificate: kitCertFile(kit.name),
    key: kitKeyFile(kit.name),
    ...(kit.crlPem === undefined ? {} : { crl: KIT_CRL_FILE }),
    ...(kit.keyHolder === undefined ? {} : { keyHolder: kit.keyHolder }),
    ...(kit.agreement === undefined ? {} : { agreement: kit.agreement }),
    ...(kit.requireAgreements === undefined ? {} : { requireAgreements: kit.requireAgreements }),
  };
  replaceFile(join(dir, kitCertFile(kit.name)), kit.certPem, PUBLIC_FILE);
  replaceFile(join(dir, KIT_CA_FILE), kit.caPem, PUBLIC_FILE);
  if (kit.crlPem !== undefined) replaceFile(join(dir, KIT_CRL_FILE), kit.crlPem, PUBLIC_FILE);
  replaceFile(join(dir, KIT_FILE), `# Cohort credentials kit. ${file.key} is made by \`cohort enroll\` and never leaves this directory.\n${stringify(file)}`, PUBLIC_FILE);
}

/** Throws COHORT_E_PKI_KEY_PERMISSIONS when a key file is open to group or others. */
export function assertOwnerOnly(path: string): void {
  // Windows has no POSIX modes to check; there the file's ACL is the operator's job.
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new CohortError(
      PkiErrors.KEY_PERMISSIONS,
      `private key ${path} has mode ${mode.toString(8).padStart(4, '0')}; it must be readable by its owner only (chmod 600 ${path})`,
      { details: { file: path, mode: mode.toString(8) } },
    );
  }
}

function kitInvalid(dir: string, why: string, cause?: unknown): CohortError {
  return new CohortError(PkiErrors.KIT_INVALID, `kit ${dir}: ${why}`, { details: { dir }, cause });
}

/** Checks that the certificate chains to the kit CA, matches the key, and names this kit's participant. */
function checkConsistency(dir: string, file: KitFile, caPem: string, certPem: string, keyPem: string): void {
  let ca: X509Certificate;
  let cert: X509Certificate;
  try {
    ca = new X509Certificate(caPem);
    cert = new X509Certificate(certPem);
  } catch (e) {
    throw kitInvalid(dir, `${file.ca} or ${file.certificate} is not a PEM certificate`, e);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw kitInvalid(dir, `${file.certificate} was not issued by the CA in ${file.ca}`);
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    throw kitInvalid(dir, `${file.key} is not a PEM private key`, e);
  }
  if (!matches) throw kitInvalid(dir, `${file.key} is not the key of ${file.certificate}`);
  let id: Identity;
  try {
    id = identityFromCertificate(certPem);
  } catch (e) {
    throw kitInvalid(dir, `${file.certificate} carries no Cohort identity: ${(e as Error).message}`, e);
  }
  if (id.name !== file.name || id.role !== file.role || id.consortium !== file.consortium) {
    throw kitInvalid(
      dir,
      `${file.certificate} belongs to ${id.role} "${id.name}" of "${id.consortium}", but kit.yaml says ${file.role} "${file.name}" of "${file.consortium}"`,
    );
  }
}

/**
 * Loads and checks a kit directory. Throws COHORT_E_PKI_KIT_INCOMPLETE (a file is
 * missing), COHORT_E_CONFIG_INVALID (kit.yaml malformed), COHORT_E_PKI_KEY_PERMISSIONS
 * (key readable by others) or COHORT_E_PKI_KIT_INVALID (files do not belong together).
 */
export function loadKit(dir: string): Kit {
  const abs = resolve(dir);
  const kitYaml = join(abs, KIT_FILE);
  if (!existsSync(kitYaml)) {
    throw new CohortError(PkiErrors.KIT_INCOMPLETE, `${abs} is not a kit directory: ${KIT_FILE} is missing`, {
      details: { dir: abs, missing: [KIT_FILE] },
    });
  }
  const file = loadYamlFile(kitYaml, kitFileSchema, 'kit file');
  if (file.role === 'coordinator' && file.crl === undefined) {
    throw kitInvalid(abs, `the coordinator kit must name its CRL (crl: ${KIT_CRL_FILE}) in ${KIT_FILE}`);
  }
  const paths = {
    ca: join(abs, file.ca),
    certificate: join(abs, file.certificate),
    key: join(abs, file.key),
    ...(file.crl === undefined ? {} : { crl: join(abs, file.crl) }),
  };
  const missing = Object.entries(paths)
    .filter(([, p]) => !existsSync(p))
    .map(([field, p]) => `${field}: ${p}`);
  if (missing.length > 0) {
    throw new CohortError(PkiErrors.KIT_INCOMPLETE, `kit ${abs} is missing files:\n  ${missing.join('\n  ')}`, {
      details: { dir: abs, missing },
    });
  }
  assertOwnerOnly(paths.key);
  const caPem = readFileSync(paths.ca, 'utf8');
  const certPem = readFileSync(paths.certificate, 'utf8');
  const keyPem = readFileSync(paths.key, 'utf8');
  checkConsistency(abs, file, caPem, certPem, keyPem);
  return Object.freeze({
    dir: abs,
    name: file.name,
    role: file.role,
    consortium: file.consortium,
    coordinatorAddress: file.coordinatorAddress,
    ...(file.coordinatorServerName === undefined ? {} : { coordinatorServerName: file.coordinatorServerName }),
    caPem,
    certPem,
    keyPem,
    ...(file.keyHolder === undefined ? {} : { keyHolder: file.keyHolder }),
    ...(file.agreement === undefined ? {} : { agreement: file.agreement }),
    ...(file.requireAgreements === undefined ? {} : { requireAgreements: file.requireAgreements }),
    ...(paths.crl === undefined ? {} : { crlPem: readFileSync(paths.crl, 'utf8'), crlPath: paths.crl }),
  });
}
