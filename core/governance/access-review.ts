/**
 * The access review (the quarterly access audit of a HIPAA programme), read from the
 * record: every certificate the provisioner issued (`.provisioner/state.json`), its role,
 * validity and revocation, when its holder was last seen in the coordinator's audit log,
 * and flags for what a reviewer must act on; then every agreement and when it lapses.
 */
import { readLineFile } from '../audit/lines.ts';
import { parseRecord, type AuditRecord } from '../audit/record.ts';
import { agreementsRequired } from '../config/consortium.ts';
import { AuditErrors, CohortError } from '../errors/index.ts';
import { readState } from '../pki/state.ts';
import { agreementHolders, agreementStatus, DAY_MS, type AgreementState } from './agreements.ts';
import { auditLogFileOf } from '../audit/audit-log.ts';

export type CertificateFlag = 'unused' | 'expiring-soon' | 'role-changed';
export type CertificateStatus = 'active' | 'expired' | 'revoked';

export interface CertificateReview {
  readonly name: string;
  readonly role: string;
  readonly serial: string;
  readonly issuedAt: string;
  readonly notAfter: string;
  readonly status: CertificateStatus;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
  /** Whole days until notAfter (negative once past). */
  readonly daysLeft: number;
  /** The latest audit record whose actor is this holder (name and role) with outcome ok; null when none. */
  readonly lastSeen: string | null;
  /** The latest refused call by this holder (or presenting this certificate's serial); null when none. */
  readonly lastRefused: string | null;
  /** Every role the holder's name has had: in certificates, the consortium and the audit log. */
  readonly roles: readonly string[];
  readonly flags: readonly CertificateFlag[];
}

export type AgreementFlag = 'expiring-soon' | 'expired' | 'missing' | 'not-yet';

export interface AgreementReview {
  readonly name: string;
  readonly role: string;
  readonly kind: string | null;
  readonly reference: string | null;
  readonly signedOn: string | null;
  readonly expires: string | null;
  readonly state: AgreementState;
  readonly daysLeft: number | null;
  readonly flags: readonly AgreementFlag[];
}

export interface AccessReview {
  readonly consortium: string;
  readonly reviewedAt: string;
  readonly requireAgreements: boolean;
  readonly thresholds: { readonly unusedDays: number; readonly expiringDays: number };
  /** The audit log read for last-seen times; null when none was given. */
  readonly auditLog: string | null;
  readonly auditRecords: number;
  readonly certificates: readonly CertificateReview[];
  readonly agreements: readonly AgreementReview[];
  /** Certificates and agreements with at least one flag. */
  readonly flagged: number;
}

export interface AccessReviewOptions {
  /** The provisioner's output directory (`provision init --out`). */
  readonly provisionerDir: string;
  /** The coordinator's audit directory or audit.jsonl. */
  readonly audit?: string;
  readonly now?: Date;
  /** An active certificate not seen for this many days (or never, this long after issue) is flagged `unused` (default 90: a quarter). */
  readonly unusedDays?: number;
  /** A certificate or agreement ending within this many days is flagged `expiring-soon` (default 30). */
  readonly expiringDays?: number;
}

/** Reads the audit records of `path` (a directory or its audit.jsonl). The chain is not checked here: `cohort audit verify` does that. */
export function readAuditRecords(path: string): { file: string; records: AuditRecord[] } {
  const file = auditLogFileOf(path);
  const records = readLineFile(file).lines.map((line, index) => {
    const r = parseRecord(line);
    if ('problem' in r) throw new CohortError(AuditErrors.RECORD_MALFORMED, `record ${index}: ${r.problem}`, { details: { index } });
    return r.record;
  });
  return { file, records };
}

const daysBetween = (from: Date, to: Date): number => Math.floor((to.getTime() - from.getTime()) / DAY_MS);

export function accessReview(options: AccessReviewOptions): AccessReview {
  const now = options.now ?? new Date();
  const unusedDays = options.unusedDays ?? 90;
  const expiringDays = options.expiringDays ?? 30;
  const state = readState(options.provisionerDir);
  const consortium = state.consortium;
  const audit = options.audit === undefined ? undefined : readAuditRecords(options.audit);
  const records = (audit?.records ?? []).filter((r) => Date.parse(r.time) <= now.getTime());

  const currentRole = new Map<string, string>([[consortium.coordinator.name, 'coordinator'], ...consortium.sites.map((s) => [s.name, 'site'] as const), ...consortium.users.map((u) => [u.name, u.role] as const)]);
  const rolesOf = (name: string): string[] => {
    const roles = new Set<string>();
    for (const i of state.issued) if (i.name === name) roles.add(i.role);
    const c = currentRole.get(name);
    if (c !== undefined) roles.add(c);
    for (const r of records) if (r.actor.name === name && r.actor.role !== '(unknown)' && r.actor.role !== '(none)') roles.add(r.actor.role);
    return [...roles].sort();
  };
  const latest = (match: (r: AuditRecord) => boolean): string | null => {
    let best: string | null = null;
    for (const r of records) if (match(r) && (best === null || Date.parse(r.time) > Date.parse(best))) best = r.time;
    return best;
  };

  const certificates = state.issued.map((i): CertificateReview => {
    const notAfter = new Date(i.notAfter);
    const status: CertificateStatus = i.revoked ? 'revoked' : notAfter.getTime() <= now.getTime() ? 'expired' : 'active';
    const lastSeen = latest((r) => r.actor.name === i.name && r.actor.role === i.role && r.outcome === 'ok');
    const lastRefused = latest((r) => r.outcome === 'refused' && (r.target.certificate === i.serial || (r.actor.name === i.name && r.action === 'rpc.refused')));
    const roles = rolesOf(i.name);
    const flags: CertificateFlag[] = [];
    if (status === 'active') {
      const since = lastSeen === null ? new Date(i.issuedAt) : new Date(lastSeen);
      if (daysBetween(since, now) >= unusedDays) flags.push('unused');
      if (notAfter.getTime() - now.getTime() <= expiringDays * DAY_MS) flags.push('expiring-soon');
    }
    if (roles.length > 1) flags.push('role-changed');
    return {
      name: i.name,
      role: i.role,
      serial: i.serial,
      issuedAt: i.issuedAt,
      notAfter: i.notAfter,
      status,
      revokedAt: i.revokedAt ?? null,
      revocationReason: i.revoked ? (i.reason ?? 'unspecified') : null,
      daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
      lastSeen,
      lastRefused,
      roles,
      flags,
    };
  });

  const required = agreementsRequired(consortium);
  const agreements = agreementHolders(consortium)
    .filter((h) => h.agreement !== undefined || required)
    .map((h): AgreementReview => {
      const s = agreementStatus(h.agreement, now);
      const flags: AgreementFlag[] = [];
      if (s.state === 'current' && s.daysLeft !== null && s.daysLeft <= expiringDays) flags.push('expiring-soon');
      if (s.state === 'expired' || s.state === 'missing' || s.state === 'not-yet') flags.push(s.state);
      const a = h.agreement;
      return { name: h.name, role: h.role, kind: a?.kind ?? null, reference: a?.reference ?? null, signedOn: a?.signedOn ?? null, expires: a?.expires ?? null, state: s.state, daysLeft: s.daysLeft, flags };
    });

  return {
    consortium: consortium.name,
    reviewedAt: now.toISOString(),
    requireAgreements: required,
    thresholds: { unusedDays, expiringDays },
    auditLog: audit?.file ?? null,
    auditRecords: records.length,
    certificates,
    agreements,
    flagged: certificates.filter((c) => c.flags.length > 0).length + agreements.filter((a) => a.flags.length > 0).length,
  };
}
