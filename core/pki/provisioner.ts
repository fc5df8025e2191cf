/**
 * The consortium provisioner: creates the CA, issues one kit per participant, adds
 * participants later, and revokes them. All of its state lives in `<out>/.provisioner/`;
 * the directory is the operator's to back up and to keep offline.
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { coordinatorAddress, coordinatorServerName, loadConsortiumFile, PARTICIPANT_NAME, type Consortium } from '../config/consortium.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { createCa, DAY_MS, issueCertificate, loadCa, type CertificateAuthority, type IssuedCredentials, type Participant } from './ca.ts';
import { createCrl, isRevocationReason, REVOCATION_REASONS, type RevocationReason } from './crl.ts';
import { OWNER_ONLY_FILE, PUBLIC_FILE, makePrivateDir, replaceFile, writeNewFile } from './files.ts';
import { writeKit } from './kit.ts';
import { KIT_CRL_FILE, KIT_FILE, kitDir, provisionerPaths } from './layout.ts';
import { isUserRole, USER_ROLES, type Role, type UserRole } from './roles.ts';
import { readState, writeState, type IssuedRecord, type ProvisionerState } from './state.ts';

/** One kit the provisioner wrote. */
export interface KitSummary {
  readonly name: string;
  readonly role: Role;
  readonly dir: string;
  readonly serial: string;
  readonly notAfter: string;
}

export interface ProvisionResult {
  readonly consortium: string;
  readonly outDir: string;
  readonly caCertificate: string;
  readonly kits: readonly KitSummary[];
}

export interface RevokeResult {
  readonly name: string;
  readonly role: Role;
  readonly serial: string;
  readonly reason: RevocationReason;
  /** The CRL files rewritten: the provisioner's copy and the coordinator kit's. */
  readonly crlFiles: readonly string[];
  /** Every serial the new CRL lists. */
  readonly revokedSerials: readonly string[];
}

export interface CrlResult {
  readonly crlFiles: readonly string[];
  readonly nextUpdate: string;
  readonly revokedSerials: readonly string[];
}

/** `now` pins the issue time (tests). */
export interface ClockOptions {
  readonly now?: Date;
}

function participants(c: Consortium): Participant[] {
  return [
    { name: c.coordinator.name, role: 'coordinator', consortium: c.name, hosts: c.coordinator.hosts },
    ...c.sites.map((s): Participant => ({ name: s.name, role: 'site', consortium: c.name })),
    ...c.users.map((u): Participant => ({ name: u.name, role: u.role, consortium: c.name })),
  ];
}

function isKitDir(dir: string): boolean {
  return existsSync(join(dir, KIT_FILE));
}

/** Refuses to overwrite an earlier consortium unless forced; with force, says what to remove. */
function planOverwrite(outDir: string, names: readonly string[], force: boolean): string[] {
  const paths = provisionerPaths(outDir);
  const toRemove: string[] = [];
  if (existsSync(paths.dir)) {
    if (!force) {
      throw new CohortError(PkiErrors.ALREADY_PROVISIONED, `${outDir} already holds a provisioned consortium (${paths.dir}); pass --force to replace it`, {
        details: { outDir },
      });
    }
    try {
      for (const issued of readState(outDir).issued) {
        if (isKitDir(kitDir(outDir, issued.name))) toRemove.push(kitDir(outDir, issued.name));
      }
    } catch {
      // An unreadable old state still gets replaced; its kits are found by name below.
    }
    toRemove.push(paths.dir);
  }
  for (const name of names) {
    const dir = kitDir(outDir, name);
    if (!existsSync(dir)) continue;
    if (!force || !isKitDir(dir)) {
      throw new CohortError(
        PkiErrors.ALREADY_PROVISIONED,
        force ? `${dir} exists and is not a Cohort kit; move it away first` : `${dir} already exists; pass --force to replace it`,
        { details: { outDir, dir } },
      );
    }
    toRemove.push(dir);
  }
  return [...new Set(toRemove)];
}

function revokedList(state: ProvisionerState): { serial: string; revokedAt: Date; reason: RevocationReason }[] {
  return state.issued
    .filter((i) => i.revoked)
    .map((i) => ({ serial: i.serial, revokedAt: new Date(i.revokedAt ?? 0), reason: i.reason ?? 'unspecified' }));
}

/** Signs the CRL that `state` describes (its revocations, its crlNumber). */
async function signCrl(ca: CertificateAuthority, state: ProvisionerState, now: Date): Promise<string> {
  return createCrl(ca, revokedList(state), { validityDays: state.consortium.pki.crlValidityDays, crlNumber: state.crlNumber, now });
}

function record(p: Participant, issued: { serial: string; notAfter: Date }, now: Date): IssuedRecord {
  return { name: p.name, role: p.role, serial: issued.serial, issuedAt: now.toISOString(), notAfter: issued.notAfter.toISOString(), revoked: false };
}

/** Writes one participant's kit (the CRL only into the coordinator's) and says what it wrote. */
function writeParticipantKit(
  outDir: string,
  consortium: Consortium,
  caPem: string,
  { p, creds }: { p: Participant; creds: IssuedCredentials },
  crlPem?: string,
): KitSummary {
  const dir = kitDir(outDir, p.name);
  writeKit(dir, {
    name: p.name,
    role: p.role,
    consortium: consortium.name,
    coordinatorAddress: coordinatorAddress(consortium),
    coordinatorServerName: coordinatorServerName(consortium),
    caPem,
    certPem: creds.certPem,
    keyPem: creds.keyPem,
    keyHolder: consortium.keyHolder,
    ...(crlPem === undefined ? {} : { crlPem }),
  });
  return { name: p.name, role: p.role, dir, serial: creds.serial, notAfter: creds.notAfter.toISOString() };
}

/**
 * Provisions a consortium into `outDir`: a new CA, one kit per participant, an empty
 * CRL. Refuses (COHORT_E_PKI_ALREADY_PROVISIONED) when `outDir` already holds one,
 * unless `force`, which replaces the CA and every kit.
 */
export async function provisionConsortium(
  consortiumFile: string,
  outDirArg: string,
  options: { force?: boolean } & ClockOptions = {},
): Promise<ProvisionResult> {
  const consortium = loadConsortiumFile(consortiumFile);
  const outDir = resolve(outDirArg);
  const people = participants(consortium);
  const toRemove = planOverwrite(outDir, people.map((p) => p.name), options.force === true);

  // Everything is generated in memory first: a failure here leaves the disk untouched.
  const now = options.now ?? new Date();
  const caFiles = await createCa(consortium.name, { validityDays: consortium.pki.caValidityDays, now });
  const ca = await loadCa(caFiles.certPem, caFiles.keyPem);
  const issued = [];
  for (const p of people) issued.push({ p, creds: await issueCertificate(ca, p, { validityDays: consortium.pki.certValidityDays, now }) });
  const state: ProvisionerState = {
    version: 1,
    consortium,
    crlNumber: 1,
    issued: issued.map(({ p, creds }) => record(p, creds, now)),
  };
  const crlPem = await signCrl(ca, state, now);

  for (const path of toRemove) rmSync(path, { recursive: true, force: true });
  const paths = provisionerPaths(outDir);
  const written: string[] = [];
  const kits: KitSummary[] = [];
  try {
    // An existing output directory keeps its mode: it may be the operator's own.
    if (!existsSync(outDir)) makePrivateDir(outDir);
    makePrivateDir(paths.dir);
    written.push(paths.dir);
    writeNewFile(paths.caKey, caFiles.keyPem, OWNER_ONLY_FILE);
    writeNewFile(paths.caCert, caFiles.certPem, OWNER_ONLY_FILE);
    writeNewFile(paths.crl, crlPem, OWNER_ONLY_FILE);
    copyFileSync(consortiumFile, paths.consortiumCopy);
    for (const participant of issued) {
      written.push(kitDir(outDir, participant.p.name));
      kits.push(writeParticipantKit(outDir, consortium, caFiles.certPem, participant, participant.p.role === 'coordinator' ? crlPem : undefined));
    }
    // state.json last: its presence is what marks the directory as provisioned.
    writeState(outDir, state);
  } catch (e) {
    for (const path of written) rmSync(path, { recursive: true, force: true });
    throw e;
  }
  return { consortium: consortium.name, outDir, caCertificate: paths.caCert, kits };
}

/** The provisioner state and CA of `outDirArg`; `caPem` is ca.crt as stored, for new kits. */
async function openProvisioner(outDirArg: string): Promise<{ outDir: string; state: ProvisionerState; ca: CertificateAuthority; caPem: string }> {
  const outDir = resolve(outDirArg);
  const state = readState(outDir);
  const paths = provisionerPaths(outDir);
  try {
    const caPem = readFileSync(paths.caCert, 'utf8');
    const ca = await loadCa(caPem, readFileSync(paths.caKey, 'utf8'));
    return { outDir, state, ca, caPem };
  } catch (e) {
    throw new CohortError(PkiErrors.STATE_INVALID, `the CA in ${paths.dir} (ca.crt, ca.key) cannot be loaded`, { details: { dir: paths.dir }, cause: e });
  }
}

function checkNewName(outDir: string, state: ProvisionerState, name: string): void {
  if (!PARTICIPANT_NAME.test(name)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `name "${name}" is not a participant name: expected ${PARTICIPANT_NAME.source}`, {
      details: { name },
    });
  }
  if (state.issued.some((i) => i.name === name) || existsSync(kitDir(outDir, name))) {
    throw new CohortError(PkiErrors.NAME_EXISTS, `"${name}" already has a certificate or kit directory in ${outDir}`, { details: { name } });
  }
}

async function addParticipant(outDirArg: string, name: string, role: 'site' | UserRole, options: ClockOptions): Promise<KitSummary> {
  const { outDir, state, ca, caPem } = await openProvisioner(outDirArg);
  checkNewName(outDir, state, name);
  const consortium = state.consortium;
  const now = options.now ?? new Date();
  const p: Participant = { name, role, consortium: consortium.name };
  const creds = await issueCertificate(ca, p, { validityDays: consortium.pki.certValidityDays, now });
  const dir = kitDir(outDir, name);
  let summary: KitSummary;
  try {
    summary = writeParticipantKit(outDir, consortium, caPem, { p, creds });
    writeState(outDir, {
      ...state,
      consortium: {
        ...consortium,
        sites: role === 'site' ? [...consortium.sites, { name }] : consortium.sites,
        users: role === 'site' ? consortium.users : [...consortium.users, { name, role }],
      },
      issued: [...state.issued, record(p, creds, now)],
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return summary;
}

/** Issues a kit for a new site. Existing certificates and kits are left byte-identical. */
export async function addSite(outDir: string, name: string, options: ClockOptions = {}): Promise<KitSummary> {
  return addParticipant(outDir, name, 'site', options);
}

/** Issues a kit for a new person with one of the user roles. */
export async function addUser(outDir: string, name: string, role: string, options: ClockOptions = {}): Promise<KitSummary> {
  if (!isUserRole(role)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `role "${role}" is not a user role: expected one of ${USER_ROLES.join(', ')}`, {
      details: { role },
    });
  }
  return addParticipant(outDir, name, role, options);
}

/** Rewrites the CRL in the provisioner state and, if present, in the coordinator kit. */
function writeCrlFiles(outDir: string, state: ProvisionerState, crlPem: string): string[] {
  const provisionerCrl = provisionerPaths(outDir).crl;
  replaceFile(provisionerCrl, crlPem, OWNER_ONLY_FILE);
  const files = [provisionerCrl];
  const coordinatorKit = kitDir(outDir, state.consortium.coordinator.name);
  if (isKitDir(coordinatorKit)) {
    const kitCrl = join(coordinatorKit, KIT_CRL_FILE);
    replaceFile(kitCrl, crlPem, PUBLIC_FILE);
    files.push(kitCrl);
  }
  return files;
}

/**
 * Revokes a participant's certificate: records it, signs a new CRL, and rewrites the
 * CRL in the provisioner state and in the coordinator kit (a running coordinator that
 * watches its crl.pem picks it up). No kit is re-issued.
 */
export async function revoke(outDirArg: string, name: string, options: { reason?: string } & ClockOptions = {}): Promise<RevokeResult> {
  const reason = options.reason ?? 'unspecified';
  if (!isRevocationReason(reason)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `revocation reason "${reason}" is not one of ${REVOCATION_REASONS.join(', ')}`, {
      details: { reason },
    });
  }
  const { outDir, state, ca } = await openProvisioner(outDirArg);
  const target = state.issued.find((i) => i.name === name);
  if (target === undefined) {
    throw new CohortError(PkiErrors.UNKNOWN_NAME, `no certificate was issued to "${name}" in ${outDir}`, { details: { name } });
  }
  if (target.revoked) {
    throw new CohortError(PkiErrors.ALREADY_REVOKED, `the certificate of "${name}" (serial ${target.serial}) was already revoked on ${target.revokedAt ?? '?'}`, {
      details: { name, serial: target.serial },
    });
  }
  const now = options.now ?? new Date();
  const next: ProvisionerState = {
    ...state,
    crlNumber: state.crlNumber + 1,
    issued: state.issued.map((i) => (i === target ? { ...i, revoked: true, revokedAt: now.toISOString(), reason } : i)),
  };
  const crlPem = await signCrl(ca, next, now);
  // CRL files first, state last: a failure in between leaves a CRL that lists one more
  // serial than the state, and running revoke again repairs it.
  const crlFiles = writeCrlFiles(outDir, next, crlPem);
  writeState(outDir, next);
  return { name, role: target.role, serial: target.serial, reason, crlFiles, revokedSerials: revokedList(next).map((r) => r.serial) };
}

/**
 * Signs a fresh CRL with the same revocations and a new nextUpdate. Run it before the
 * current CRL's nextUpdate: past it, OpenSSL refuses every client of the coordinator.
 */
export async function renewCrl(outDirArg: string, options: ClockOptions = {}): Promise<CrlResult> {
  const { outDir, state, ca } = await openProvisioner(outDirArg);
  const now = options.now ?? new Date();
  const next: ProvisionerState = { ...state, crlNumber: state.crlNumber + 1 };
  const crlPem = await signCrl(ca, next, now);
  const crlFiles = writeCrlFiles(outDir, next, crlPem);
  writeState(outDir, next);
  const nextUpdate = new Date(now.getTime() + state.consortium.pki.crlValidityDays * DAY_MS);
  return { crlFiles, nextUpdate: nextUpdate.toISOString(), revokedSerials: revokedList(next).map((r) => r.serial) };
}
