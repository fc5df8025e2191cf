/**
 * Agreements before access: whether the agreement (BAA or DUA) on record for a participant
 * is in force on a given day, the coded refusal when it is not, and `agreements.json`, the
 * copy of every participant's agreement that the provisioner writes into the coordinator's
 * kit (as it does crl.pem) so that the coordinator can refuse runs involving a site whose
 * agreement has lapsed. Reference: docs/governance.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { agreementSchema, agreementsRequired, PARTICIPANT_NAME, type Agreement, type Consortium } from '../config/consortium.ts';
import { formatZodIssues } from '../config/load.ts';
import { CohortError, GovernanceErrors } from '../errors/index.ts';

export const DAY_MS = 86_400_000;

/** Where an agreement stands on a day: in force, lapsed, not yet signed, or absent. */
export type AgreementState = 'current' | 'expired' | 'not-yet' | 'missing';

export interface AgreementStatus {
  readonly state: AgreementState;
  /** Whole days from `now`'s UTC day to the last day in force (0 on that day, negative once lapsed); null when missing. */
  readonly daysLeft: number | null;
}

const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/** The agreement's state on `now`'s UTC day: current from `signedOn` through `expires`, both included. */
export function agreementStatus(agreement: Agreement | undefined, now: Date): AgreementStatus {
  if (agreement === undefined) return { state: 'missing', daysLeft: null };
  const today = utcDay(now);
  const daysLeft = Math.round((Date.parse(`${agreement.expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS);
  if (today < agreement.signedOn) return { state: 'not-yet', daysLeft };
  return { state: today > agreement.expires ? 'expired' : 'current', daysLeft };
}

/** A participant as far as agreements go. */
export interface AgreementHolder {
  readonly name: string;
  readonly role: string;
  readonly agreement?: Agreement;
}

/** Every site and person of the consortium with their agreement (the coordinator needs none: it is the operator's). */
export function agreementHolders(c: Consortium): AgreementHolder[] {
  return [
    ...c.sites.map((s) => ({ name: s.name, role: 'site', ...(s.agreement ? { agreement: s.agreement } : {}) })),
    ...c.users.map((u) => ({ name: u.name, role: u.role, ...(u.agreement ? { agreement: u.agreement } : {}) })),
  ];
}

/** The coded refusal for a holder whose agreement is not current, or undefined when it is. */
export function agreementRefusal(holder: AgreementHolder, now: Date, doing: string): CohortError | undefined {
  const status = agreementStatus(holder.agreement, now);
  if (status.state === 'current') return undefined;
  const details = { name: holder.name, role: holder.role, state: status.state, ...(holder.agreement ? { kind: holder.agreement.kind, reference: holder.agreement.reference, signedOn: holder.agreement.signedOn, expires: holder.agreement.expires } : {}) };
  if (status.state === 'missing') {
    return new CohortError(GovernanceErrors.AGREEMENT_MISSING, `${holder.role} ${holder.name} has no agreement (BAA or DUA) on record, and the consortium requires one: refusing to ${doing}`, { details });
  }
  const a = holder.agreement!;
  const when = status.state === 'expired' ? `expired after ${a.expires}` : `is in force only from ${a.signedOn}`;
  return new CohortError(GovernanceErrors.AGREEMENT_EXPIRED, `the ${a.kind} ${a.reference} of ${holder.role} ${holder.name} ${when}: refusing to ${doing}`, { details });
}

/** agreements.json: what the coordinator needs of the consortium's agreements. */
export const AGREEMENTS_FILE = 'agreements.json';

const agreementsFileSchema = z
  .object({
    version: z.literal(1),
    consortium: z.string().regex(PARTICIPANT_NAME),
    requireAgreements: z.boolean(),
    participants: z.array(
      z.object({
        name: z.string().regex(PARTICIPANT_NAME),
        role: z.string(),
        agreement: agreementSchema.optional(),
        /** Serials of every certificate issued to the participant: when the CRL lists them all, it has left (revoked) and no run involves it. */
        certificates: z.array(z.string().regex(/^[0-9a-f]+$/)).optional(),
      }).strict(),
    ),
  })
  .strict();

export type AgreementsFile = z.output<typeof agreementsFileSchema>;

/** The agreements.json content for a consortium. */
export function agreementsFileOf(c: Consortium, issued: readonly { readonly name: string; readonly serial: string }[] = []): AgreementsFile {
  return {
    version: 1,
    consortium: c.name,
    requireAgreements: agreementsRequired(c),
    participants: agreementHolders(c).map((h) => {
      const serials = issued.filter((i) => i.name === h.name).map((i) => i.serial);
      return serials.length === 0 ? { ...h } : { ...h, certificates: serials };
    }),
  };
}

/** A participant every one of whose certificates the CRL lists: it has left the consortium. */
export function hasLeft(book: AgreementsFile, name: string, role: string, isRevoked: (serial: string) => boolean): boolean {
  const serials = book.participants.find((p) => p.name === name && p.role === role)?.certificates ?? [];
  return serials.length > 0 && serials.every(isRevoked);
}

/** Reads `<kitDir>/agreements.json`; undefined when the kit has none. COHORT_E_GOVERNANCE_AGREEMENTS_INVALID when it does not parse. */
export function readAgreementsFile(kitDir: string): AgreementsFile | undefined {
  const file = join(kitDir, AGREEMENTS_FILE);
  if (!existsSync(file)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CohortError(GovernanceErrors.AGREEMENTS_INVALID, `${file} is not valid JSON`, { details: { file }, cause: e });
  }
  const parsed = agreementsFileSchema.safeParse(data);
  if (!parsed.success) {
    const problems = formatZodIssues(parsed.error);
    throw new CohortError(GovernanceErrors.AGREEMENTS_INVALID, `${file} is invalid:\n  ${problems.join('\n  ')}`, { details: { file, problems } });
  }
  return parsed.data;
}

/**
 * A site's own check before it accepts any run (policy.requireAgreementReference): the
 * operator's record of this site's agreement (in its kit) must name `reference` and be in
 * force on `now`'s day. The refusal, or undefined when the agreement passes.
 */
export function siteAgreementRefusal(site: string, reference: string, agreement: Agreement | undefined, now: Date): CohortError | undefined {
  if (agreement === undefined || agreement.reference !== reference) {
    return new CohortError(GovernanceErrors.AGREEMENT_REFERENCE_MISMATCH, agreement === undefined ? `the site's policy requires agreement ${reference}, and the operator's record (the kit) holds none for this site` : `the site's policy requires agreement ${reference}, and the operator's record (the kit) names ${agreement.reference}`, {
      details: { required: reference, recorded: agreement?.reference ?? null },
    });
  }
  return agreementRefusal({ name: site, role: 'site', agreement }, now, 'accept a run');
}
