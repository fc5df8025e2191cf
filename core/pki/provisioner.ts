/**
 * The consortium provisioner: creates the CA, signs the participants' own certificate
 * requests, adds participants, and revokes them. It never makes a participant's key: its
 * directory holds the CA key (passphrase-encrypted, or only a reference to an HSM) and
 * public material. All of its state lives in `<out>/.provisioner/`; the signed kits (the
 * certificate, ca.crt and kit.yaml, without any key) go to `<out>/<name>/` for the
 * operator to hand back.
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { agreementSchema, agreementsRequired, coordinatorAddress, coordinatorServerName, loadConsortiumFile, PARTICIPANT_NAME, type Agreement, type Consortium } from '../config/consortium.ts';
import { formatZodIssues } from '../config/load.ts';
import type { AppendInput, AuditDetailValue } from '../audit/record.ts';
import { agreementHolders, agreementRefusal, agreementStatus, agreementsFileOf, AGREEMENTS_FILE } from '../governance/agreements.ts';
import { appendChained, verifyChained } from '../governance/chain-log.ts';
import { releaseOwnLock, tryLock } from '../pid-lock.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { createCaCertificate, DAY_MS, issueCertificate, loadCa, readCertificateRequest, type CertificateAuthority, type Participant } from './ca.ts';
import { createCaKey, openCaKey, type CaKeyAccess } from './ca-key.ts';
import { createCrl, isRevocationReason, REVOCATION_REASONS, type RevocationReason } from './crl.ts';
import { OWNER_ONLY_FILE, PUBLIC_FILE, makePrivateDir, replaceFile, writeNewFile } from './files.ts';
import { writeKitFiles } from './kit.ts';
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
  /** Where the CA key is: `passphrase` (encrypted ca.key) or `pkcs11` (an HSM). */
  readonly caKeyStore: 'passphrase' | 'pkcs11';
  /** The participants whose requests the operator can now sign. */
  readonly participants: readonly { name: string; role: Role }[];
}

/** A signed request: the kit files written for the participant, and whether it renews an earlier certificate. */
export interface SignResult extends KitSummary {
  readonly renewed: boolean;
  readonly publicKeySha256: string;
}

/** A name added to the consortium: it now needs a request to sign. */
export interface AddResult {
  readonly name: string;
  readonly role: Role;
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

/** What unlocks the CA key for a command that signs (sign, revoke, crl). */
export interface CaKeyOptions extends ClockOptions {
  readonly caKey?: CaKeyAccess;
  /** How long to wait for another command's `.provisioner/lock` (default 30 s). */
  readonly lockWaitMs?: number;
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

/** Every participant the consortium (with later additions) names, with the role it gives. */
function participantNamed(c: Consortium, name: string): Participant | undefined {
  return participants(c).find((p) => p.name === name);
}

/** `{ agreement }` of a site or person when the consortium records one (for its kit.yaml), else {}. */
function agreementOf(c: Consortium, name: string): { agreement?: Agreement } {
  const a = agreementHolders(c).find((h) => h.name === name)?.agreement;
  return a === undefined ? {} : { agreement: a };
}

/** The provisioner as the actor of its own audit records (it holds no participant certificate). */
export const PROVISIONER_ACTOR = { name: 'provisioner', role: 'provisioner' } as const;

/** Appends records to the provisioner's hash-chained audit log (`.provisioner/audit/audit.jsonl`). */
function audit(outDir: string, records: readonly Omit<AppendInput, 'actor'>[], now: Date): void {
  appendChained(provisionerPaths(outDir).audit, records.map((r) => ({ actor: PROVISIONER_ACTOR, time: now, ...r })));
}

/** Audit details of an agreement check: who, which agreement, its state; never free text. */
function agreementDetails(name: string, role: string, agreement: Agreement | undefined, now: Date, purpose: string): Record<string, AuditDetailValue> {
  const status = agreementStatus(agreement, now);
  return {
    participant: name,
    role,
    purpose,
    state: status.state,
    ...(agreement === undefined ? {} : { kind: agreement.kind, reference: agreement.reference, signedOn: agreement.signedOn, expires: agreement.expires }),
  };
}

/**
 * Writes `<out>/<coordinator>/agreements.json` (when the coordinator's kit is there): every
 * site's and person's agreement, for the coordinator to check runs against. Copy it into the
 * coordinator's own kit directory as you do crl.pem.
 */
function writeAgreementsFile(outDir: string, consortium: Consortium, issued: readonly IssuedRecord[]): string | undefined {
  const dir = kitDir(outDir, consortium.coordinator.name);
  if (!isKitDir(dir)) return undefined;
  const file = join(dir, AGREEMENTS_FILE);
  replaceFile(file, `${JSON.stringify(agreementsFileOf(consortium, issued), null, 2)}\n`, PUBLIC_FILE);
  return file;
}

/**
 * Creates the consortium's CA in `outDir`: the CA key (encrypted under the passphrase, or
 * made inside the HSM), its certificate, an empty CRL and the provisioner state. No
 * participant key or certificate is made: each participant enrols (`cohort enroll`) and the
 * operator signs its request (`signRequest`). Refuses (COHORT_E_PKI_ALREADY_PROVISIONED) when
 * `outDir` already holds a consortium, unless `force`, which replaces the CA.
 */
export async function initProvisioner(
  consortiumFile: string,
  outDirArg: string,
  options: { force?: boolean; caKey?: CaKeyAccess } & ClockOptions = {},
): Promise<ProvisionResult> {
  const consortium = loadConsortiumFile(consortiumFile);
  const outDir = resolve(outDirArg);
  const people = participants(consortium);
  if (options.caKey === undefined) {
    throw new CohortError(PkiErrors.CA_KEY_LOCKED, 'the CA key needs a home: pass --ca-passphrase-file <file> (an encrypted key file) or --hsm <pkcs11.yaml>', { details: { outDir } });
  }
  const toRemove = planOverwrite(outDir, people.map((p) => p.name), options.force === true);

  // The key and certificate are made first: a failure here leaves the disk untouched.
  const now = options.now ?? new Date();
  const made = await createCaKey(options.caKey);
  let caCertPem: string;
  let crlPem: string;
  const state: ProvisionerState = { version: 2, caKey: made.record, consortium, crlNumber: 1, issued: [] };
  try {
    caCertPem = await createCaCertificate(consortium.name, made.key, { validityDays: consortium.pki.caValidityDays, now });
    crlPem = await signCrl(loadCa(caCertPem, made.key), state, now);
  } finally {
    made.key.close();
  }

  for (const path of toRemove) rmSync(path, { recursive: true, force: true });
  const paths = provisionerPaths(outDir);
  try {
    // An existing output directory keeps its mode: it may be the operator's own.
    if (!existsSync(outDir)) makePrivateDir(outDir);
    makePrivateDir(paths.dir);
    if (made.encryptedPem !== undefined) writeNewFile(paths.caKey, made.encryptedPem, OWNER_ONLY_FILE);
    writeNewFile(paths.caCert, caCertPem, PUBLIC_FILE);
    writeNewFile(paths.crl, crlPem, OWNER_ONLY_FILE);
    copyFileSync(consortiumFile, paths.consortiumCopy);
    // state.json last: its presence is what marks the directory as provisioned.
    writeState(outDir, state);
    audit(outDir, [{ action: 'consortium.init', outcome: 'ok', details: { consortium: consortium.name, requireAgreements: agreementsRequired(consortium), caKeyStore: made.record.store } }], now);
  } catch (e) {
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
  return { consortium: consortium.name, outDir, caCertificate: paths.caCert, caKeyStore: made.record.store, participants: people.map((p) => ({ name: p.name, role: p.role })) };
}

/** The provisioner state of `outDir` and its CA certificate (ca.crt as stored, for kits). */
function readProvisioner(outDir: string): { state: ProvisionerState; caPem: string } {
  const state = readState(outDir);
  const paths = provisionerPaths(outDir);
  try {
    return { state, caPem: readFileSync(paths.caCert, 'utf8') };
  } catch (e) {
    throw new CohortError(PkiErrors.STATE_INVALID, `the CA certificate ${paths.caCert} cannot be read`, { details: { dir: paths.dir }, cause: e });
  }
}

/** How long a command waits for another to release `.provisioner/lock`. */
const LOCK_WAIT_MS = 30_000;

/**
 * Runs `change` holding `.provisioner/lock` (created exclusively), with the state read under
 * the lock: two commands run at once would otherwise each write back their own copy and lose
 * the other's issuance or revocation. A second command waits for the first (up to
 * `waitMs`, then COHORT_E_PKI_BUSY); a lock left by a killed command is taken over.
 */
async function underLock<T>(
  outDirArg: string,
  change: (p: { outDir: string; state: ProvisionerState; caPem: string }) => Promise<T> | T,
  waitMs: number = LOCK_WAIT_MS,
): Promise<T> {
  const outDir = resolve(outDirArg);
  readState(outDir); // COHORT_E_PKI_NOT_PROVISIONED before any lock file is made
  const { lock } = provisionerPaths(outDir);
  const deadline = Date.now() + waitMs;
  // A lock left by a killed command is taken over (core/pid-lock.ts).
  while (!tryLock(lock).taken) {
    if (Date.now() >= deadline) {
      throw new CohortError(PkiErrors.BUSY, `another provision command is changing ${outDir} (${lock}); run this one again when it has finished`, { details: { lock } });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    // The provisioner's audit log must verify before anything changes: a change lands only with its record.
    verifyChained(provisionerPaths(outDir).audit);
    return await change({ outDir, ...readProvisioner(outDir) });
  } finally {
    releaseOwnLock(lock);
  }
}

/** Runs `use` with the CA unlocked, and closes the key store (an HSM session) after. */
async function withCa<T>(state: ProvisionerState, outDir: string, caPem: string, access: CaKeyAccess | undefined, use: (ca: CertificateAuthority) => Promise<T>): Promise<T> {
  const key = await openCaKey(state.caKey, access, provisionerPaths(outDir).caKey);
  try {
    return await use(loadCa(caPem, key));
  } finally {
    key.close();
  }
}

/**
 * Signs a participant's certificate request. The name (the request's CN) must be a
 * participant of the consortium; the role and everything else in the certificate come
 * from the consortium file, never from the request. A name not in the consortium is
 * refused (COHORT_E_PKI_REQUEST_UNKNOWN_NAME) and nothing is written. A request for a name
 * already certified is a renewal: a new certificate for the (possibly new) key; the old
 * one stays valid until it expires or is revoked. Writes `<out>/<name>/` with the
 * certificate, ca.crt, kit.yaml and, for the coordinator, crl.pem.
 */
export async function signRequest(outDirArg: string, requestPath: string, options: CaKeyOptions = {}): Promise<SignResult> {
  return underLock(outDirArg, ({ outDir, state, caPem }) => signUnderLock(outDir, state, caPem, requestPath, options), options.lockWaitMs);
}

async function signUnderLock(outDir: string, state: ProvisionerState, caPem: string, requestPath: string, options: CaKeyOptions): Promise<SignResult> {
  if (!existsSync(requestPath)) {
    throw new CohortError(PkiErrors.REQUEST_INVALID, `certificate request ${requestPath} does not exist`, { details: { source: requestPath } });
  }
  const request = await readCertificateRequest(readFileSync(requestPath), requestPath);
  const consortium = state.consortium;
  const p = participantNamed(consortium, request.name);
  if (p === undefined) {
    throw new CohortError(PkiErrors.REQUEST_UNKNOWN_NAME, `${requestPath} asks for "${request.name}", which is not a participant of consortium ${consortium.name}; nothing was written`, {
      details: { name: request.name, source: requestPath },
    });
  }
  const now = options.now ?? new Date();
  if (p.role !== 'coordinator' && agreementsRequired(consortium)) {
    // Agreements before access: no certificate for a site or person without a current BAA/DUA on record. Audited either way.
    const holder = agreementHolders(consortium).find((h) => h.name === p.name)!;
    const refusal = agreementRefusal(holder, now, 'sign its certificate');
    audit(outDir, [{
      action: 'agreement.check',
      target: p.role === 'site' ? { site: p.name } : {},
      outcome: refusal === undefined ? 'ok' : 'refused',
      details: { ...agreementDetails(p.name, p.role, holder.agreement, now, 'certificate'), ...(refusal === undefined ? {} : { code: refusal.code }) },
    }], now);
    if (refusal !== undefined) throw refusal;
  }
  const days = p.role === 'coordinator' ? consortium.pki.coordinatorCertValidityDays : consortium.pki.certValidityDays;
  // A required agreement bounds the certificate: it ends with the agreement's last day (UTC), not later.
  const bound = p.role !== 'coordinator' && agreementsRequired(consortium) ? agreementOf(consortium, p.name).agreement : undefined;
  const notAfterCap = bound === undefined ? {} : { notAfterCap: new Date(`${bound.expires}T23:59:59Z`) };
  const issued = await withCa(state, outDir, caPem, options.caKey, (ca) => issueCertificate(ca, p, request.publicKey, { validityDays: days, now, ...notAfterCap }));
  const renewed = state.issued.some((i) => i.name === p.name);
  const dir = kitDir(outDir, p.name);
  // A renewal leaves the earlier certificates of the name valid until they expire or are revoked: the record names them.
  const stillValid = state.issued.filter((i) => i.name === p.name && !i.revoked && new Date(i.notAfter) > now).map((i) => i.serial);
  // The record first: a kit or state written without its record would be a change the log does not show.
  // Serial, role, validity and the public key's hash; never a key or a certificate.
  audit(outDir, [{
    action: renewed ? 'certificate.renew' : 'certificate.issue',
    target: { certificate: issued.serial, ...(p.role === 'site' ? { site: p.name } : {}) },
    outcome: 'ok',
    details: {
      participant: p.name,
      role: p.role,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
      validityDays: days,
      publicKeySha256: request.publicKeySha256,
      ...(renewed ? { stillValidSerials: stillValid } : {}),
    },
  }], now);
  writeKitFiles(dir, {
    name: p.name,
    role: p.role,
    consortium: consortium.name,
    coordinatorAddress: coordinatorAddress(consortium),
    coordinatorServerName: coordinatorServerName(consortium),
    caPem,
    certPem: issued.certPem,
    keyHolder: consortium.keyHolder,
    ...agreementOf(consortium, p.name),
    ...(p.role === 'coordinator' ? { crlPem: readFileSync(provisionerPaths(outDir).crl, 'utf8'), ...(agreementsRequired(consortium) ? { requireAgreements: true } : {}) } : {}),
  });
  const issuedNow = [...state.issued, record(p, issued, now)];
  writeState(outDir, { ...state, issued: issuedNow });
  // Every signature: agreements.json lists each participant's serials (a site whose serials the CRL all lists has left).
  writeAgreementsFile(outDir, consortium, issuedNow);
  return { name: p.name, role: p.role, dir, serial: issued.serial, notAfter: issued.notAfter.toISOString(), renewed, publicKeySha256: request.publicKeySha256 };
}

function checkNewName(outDir: string, state: ProvisionerState, name: string): void {
  if (!PARTICIPANT_NAME.test(name)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `name "${name}" is not a participant name: expected ${PARTICIPANT_NAME.source}`, {
      details: { name },
    });
  }
  if (participantNamed(state.consortium, name) !== undefined || state.issued.some((i) => i.name === name)) {
    throw new CohortError(PkiErrors.NAME_EXISTS, `"${name}" is already a participant of the consortium in ${outDir}`, { details: { name } });
  }
}

/** Adds a name to the consortium; it gets a certificate when its own request is signed. */
function addParticipant(outDirArg: string, name: string, role: 'site' | UserRole): Promise<AddResult> {
  return underLock(outDirArg, ({ outDir, state }) => {
    checkNewName(outDir, state, name);
    const consortium = state.consortium;
    const next = {
      ...consortium,
      sites: role === 'site' ? [...consortium.sites, { name }] : consortium.sites,
      users: role === 'site' ? consortium.users : [...consortium.users, { name, role }],
    };
    audit(outDir, [{ action: role === 'site' ? 'participant.add-site' : 'participant.add-user', target: role === 'site' ? { site: name } : {}, outcome: 'ok', details: { participant: name, role } }], new Date());
    writeState(outDir, { ...state, consortium: next });
    writeAgreementsFile(outDir, next, state.issued);
    return { name, role };
  });
}

/** Adds a site to the consortium. Existing certificates and kits are left byte-identical. */
export function addSite(outDir: string, name: string): Promise<AddResult> {
  return addParticipant(outDir, name, 'site');
}

/** Adds a person with one of the user roles. */
export async function addUser(outDir: string, name: string, role: string): Promise<AddResult> {
  if (!isUserRole(role)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `role "${role}" is not a user role: expected one of ${USER_ROLES.join(', ')}`, {
      details: { role },
    });
  }
  return addParticipant(outDir, name, role);
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
export async function revoke(outDirArg: string, name: string, options: { reason?: string } & CaKeyOptions = {}): Promise<RevokeResult> {
  const reason = options.reason ?? 'unspecified';
  if (!isRevocationReason(reason)) {
    throw new CohortError(PkiErrors.INVALID_INPUT, `revocation reason "${reason}" is not one of ${REVOCATION_REASONS.join(', ')}`, {
      details: { reason },
    });
  }
  return underLock(outDirArg, async ({ outDir, state, caPem }) => {
    const certs = state.issued.filter((i) => i.name === name);
    if (certs.length === 0) {
      throw new CohortError(PkiErrors.UNKNOWN_NAME, `no certificate was issued to "${name}" in ${outDir}`, { details: { name } });
    }
    // Every certificate of the name still in force (a renewal leaves the older one valid until it expires).
    const targets = certs.filter((i) => !i.revoked);
    const target = targets[0];
    if (target === undefined) {
      const last = certs[certs.length - 1] as IssuedRecord;
      throw new CohortError(PkiErrors.ALREADY_REVOKED, `the certificate of "${name}" (serial ${last.serial}) was already revoked on ${last.revokedAt ?? '?'}`, {
        details: { name, serial: last.serial },
      });
    }
    const now = options.now ?? new Date();
    const next: ProvisionerState = {
      ...state,
      crlNumber: state.crlNumber + 1,
      issued: state.issued.map((i) => (targets.includes(i) ? { ...i, revoked: true, revokedAt: now.toISOString(), reason } : i)),
    };
    const crlPem = await withCa(state, outDir, caPem, options.caKey, (ca) => signCrl(ca, next, now));
    // CRL files first, state last: a failure in between leaves a CRL that lists one more
    // serial than the state, and running revoke again repairs it.
    audit(outDir, targets.map((t) => ({
      action: 'certificate.revoke',
      target: { certificate: t.serial, ...(t.role === 'site' ? { site: t.name } : {}) },
      outcome: 'ok' as const,
      details: { participant: t.name, role: t.role, reason, issuedAt: t.issuedAt, notAfter: t.notAfter, crlNumber: next.crlNumber },
    })), now);
    const crlFiles = writeCrlFiles(outDir, next, crlPem);
    writeState(outDir, next);
    return { name, role: target.role, serial: target.serial, reason, crlFiles, revokedSerials: revokedList(next).map((r) => r.serial) };
  });
}

/**
 * Signs a fresh CRL with the same revocations and a new nextUpdate. Run it before the
 * current CRL's nextUpdate: past it, OpenSSL refuses every client of the coordinator.
 */
export async function renewCrl(outDirArg: string, options: CaKeyOptions = {}): Promise<CrlResult> {
  return underLock(outDirArg, async ({ outDir, state, caPem }) => {
    const now = options.now ?? new Date();
    const next: ProvisionerState = { ...state, crlNumber: state.crlNumber + 1 };
    const crlPem = await withCa(state, outDir, caPem, options.caKey, (ca) => signCrl(ca, next, now));
    audit(outDir, [{ action: 'crl.renew', outcome: 'ok', details: { crlNumber: next.crlNumber, revoked: revokedList(next).length } }], now);
    const crlFiles = writeCrlFiles(outDir, next, crlPem);
    writeState(outDir, next);
    const nextUpdate = new Date(now.getTime() + state.consortium.pki.crlValidityDays * DAY_MS);
    return { crlFiles, nextUpdate: nextUpdate.toISOString(), revokedSerials: revokedList(next).map((r) => r.serial) };
  });
}

/** A recorded agreement: whom it covers and what it is. */
export interface AgreementResult {
  readonly name: string;
  readonly role: Role;
  readonly agreement: Agreement;
  /** The coordinator kit's agreements.json, rewritten; null when the coordinator's kit is not in `out`. */
  readonly agreementsFile: string | null;
}

/**
 * Records (or replaces) the agreement that covers a site or person in the provisioner's
 * state, audits it (`agreement.record`) and rewrites the coordinator kit's agreements.json.
 * An invalid agreement is COHORT_E_PKI_INVALID_INPUT naming the field; an unknown name
 * COHORT_E_PKI_UNKNOWN_NAME.
 */
export async function recordAgreement(outDirArg: string, name: string, input: Record<string, unknown>, options: ClockOptions = {}): Promise<AgreementResult> {
  const parsed = agreementSchema.safeParse(input);
  if (!parsed.success) {
    const problems = formatZodIssues(parsed.error);
    throw new CohortError(PkiErrors.INVALID_INPUT, `the agreement is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
  }
  const agreement = parsed.data;
  return underLock(outDirArg, ({ outDir, state }) => {
    const c = state.consortium;
    const site = c.sites.find((s) => s.name === name);
    const user = c.users.find((u) => u.name === name);
    if (site === undefined && user === undefined) {
      throw new CohortError(PkiErrors.UNKNOWN_NAME, `"${name}" is not a site or person of the consortium in ${outDir}`, { details: { name } });
    }
    const next: Consortium = {
      ...c,
      sites: c.sites.map((s) => (s.name === name ? { ...s, agreement } : s)),
      users: c.users.map((u) => (u.name === name ? { ...u, agreement } : u)),
    };
    const role: Role = site !== undefined ? 'site' : user!.role;
    const now = options.now ?? new Date();
    audit(outDir, [{ action: 'agreement.record', target: role === 'site' ? { site: name } : {}, outcome: 'ok', details: agreementDetails(name, role, agreement, now, 'record') }], now);
    writeState(outDir, { ...state, consortium: next });
    const agreementsFile = writeAgreementsFile(outDir, next, state.issued) ?? null;
    return { name, role, agreement, agreementsFile };
  });
}
