/**
 * Agreements before access, at the coordinator: a run involves every registered site, so
 * before a run is accepted each site's agreement (from the coordinator kit's agreements.json,
 * written by the provisioner) must be in force today. Every check is an `agreement.check`
 * record in the coordinator's audit log, one per site, `ok` or `refused`.
 */
import type { AppendInput, AuditActor, AuditDetailValue } from '../../core/audit/record.ts';
import { CohortError, GovernanceErrors, isCohortError } from '../../core/errors/index.ts';
import { agreementRefusal, agreementStatus, hasLeft, type AgreementsFile } from '../../core/governance/agreements.ts';

export interface AgreementGate {
  /** The consortium's agreements as the coordinator kit holds them now; undefined when the kit has no agreements.json. */
  readonly agreements: () => AgreementsFile | undefined;
  /** The coordinator kit says agreements are required (kit.yaml requireAgreements): a missing agreements.json refuses. */
  readonly required?: boolean;
  /** Appends one record to the coordinator's audit log. */
  readonly audit: (input: AppendInput) => void;
  /** Whether the CRL the coordinator has loaded lists a serial: a site all of whose certificates it lists has left, and no run involves it. */
  readonly isRevoked?: (serial: string) => boolean;
  /** The coordinator, as the actor of its checks. */
  readonly self: AuditActor;
  readonly now?: () => Date;
}

const DOING: Readonly<Record<string, string>> = { run: 'start a run that involves it', 'join-run': 'invite it into a run', submit: 'accept a run it submits' };

/** One site's check, audited; the coded refusal or undefined. */
function checkSite(gate: AgreementGate, book: AgreementsFile, site: string, now: Date, purpose: string, context: Record<string, AuditDetailValue>): CohortError | undefined {
  return checkHolder(gate, book, { name: site, role: 'site' }, now, purpose, context);
}

/** One participant's check (a site, or the person submitting), audited; the coded refusal or undefined. */
function checkHolder(gate: AgreementGate, book: AgreementsFile, who: { readonly name: string; readonly role: string }, now: Date, purpose: string, context: Record<string, AuditDetailValue>): CohortError | undefined {
  const holder = book.participants.find((p) => p.name === who.name && p.role === who.role) ?? { name: who.name, role: who.role };
  const refusal = agreementRefusal(holder, now, DOING[purpose] ?? purpose);
  const a = holder.agreement;
  const details: Record<string, AuditDetailValue> = {
    participant: who.name,
    role: who.role,
    purpose,
    state: agreementStatus(a, now).state,
    ...context,
    ...(a === undefined ? {} : { kind: a.kind, reference: a.reference, signedOn: a.signedOn, expires: a.expires }),
    ...(refusal === undefined ? {} : { code: refusal.code }),
  };
  gate.audit({ actor: gate.self, action: 'agreement.check', target: who.role === 'site' ? { site: who.name } : {}, outcome: refusal === undefined ? 'ok' : 'refused', details, time: now });
  return refusal;
}

/**
 * The agreements to check against, undefined when none are required, or the coded refusal
 * (audited) when they are required and agreements.json is missing or unreadable.
 */
function bookFor(gate: AgreementGate, now: Date, purpose: string, context: Record<string, AuditDetailValue>): AgreementsFile | CohortError | undefined {
  let refusal: CohortError | undefined;
  let book: AgreementsFile | undefined;
  try {
    book = gate.agreements();
    if (book === undefined && gate.required === true) {
      refusal = new CohortError(GovernanceErrors.AGREEMENTS_INVALID, "the coordinator kit requires agreements (kit.yaml requireAgreements) and has no agreements.json: refusing rather than checking nothing", { details: { file: 'agreements.json' } });
    }
  } catch (e) {
    if (!isCohortError(e)) throw e;
    refusal = e;
  }
  if (refusal !== undefined) {
    gate.audit({ actor: gate.self, action: 'agreement.check', target: {}, outcome: 'refused', details: { purpose, ...context, code: refusal.code }, time: now });
    return refusal;
  }
  return book !== undefined && (book.requireAgreements || gate.required === true) ? book : undefined;
}

/**
 * Checks every site a run would involve and returns them (the registered sites but those that
 * have left: every certificate revoked); throws the first site's coded refusal
 * (COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED or _MISSING) after auditing every check. Does
 * nothing when the consortium does not require agreements; refuses (audited,
 * COHORT_E_GOVERNANCE_AGREEMENTS_INVALID) when it does and agreements.json is missing or
 * unreadable.
 */
export function checkRunAgreements(gate: AgreementGate, registered: readonly string[], requestedBy: { readonly name: string; readonly role: string }): string[] {
  const now = gate.now?.() ?? new Date();
  const book = bookFor(gate, now, 'run', { requestedBy: requestedBy.name });
  if (book instanceof CohortError) throw book;
  let known: AgreementsFile | undefined = book;
  try {
    known ??= gate.agreements();
  } catch {
    // Agreements not required and agreements.json unreadable: no serials to tell who has left.
  }
  // A site that has left (every certificate revoked) is neither checked nor invited.
  const sites = known === undefined || gate.isRevoked === undefined ? [...registered] : registered.filter((s) => !hasLeft(known!, s, 'site', gate.isRevoked!));
  if (book === undefined) return sites;
  // The submitter's own agreement first: signing checked it once, and it may have lapsed since.
  let first = checkHolder(gate, book, requestedBy, now, 'submit', {});
  for (const site of sites) {
    const refusal = checkSite(gate, book, site, now, 'run', { requestedBy: requestedBy.name });
    first ??= refusal;
  }
  if (first !== undefined) throw first;
  return sites;
}

/**
 * Whether a site that registers may be invited into a recruiting run submitted before it
 * registered (the engine's `mayInvite`): the same check as at submission, audited with
 * purpose `join-run` and the run's id.
 */
export function siteMayJoinRun(gate: AgreementGate, site: string, runId: string): boolean {
  const now = gate.now?.() ?? new Date();
  const book = bookFor(gate, now, 'join-run', { runId, participant: site });
  if (book instanceof CohortError) return false;
  if (book === undefined) return true;
  return checkSite(gate, book, site, now, 'join-run', { runId }) === undefined;
}
