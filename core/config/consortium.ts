/**
 * The consortium file: who is in the consortium (coordinator, sites, people and their
 * roles) and how the provisioner issues their certificates. Reference: docs/consortium-file.md.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { loadYamlFile } from './load.ts';

/** Names of the consortium and of every participant: they become certificate CNs and URI path segments. */
export const PARTICIPANT_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** Roles a person can hold; sites and the coordinator have their own roles. */
export const USER_ROLES = ['data-scientist', 'operator', 'approver', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Defaults for the `pki` section. */
/** Sites and people hold short-lived certificates, renewed by a new request. */
const DEFAULT_CERT_VALIDITY_DAYS = 90;
const DEFAULT_COORDINATOR_CERT_VALIDITY_DAYS = 365;
const DEFAULT_CRL_VALIDITY_DAYS = 30;
const DEFAULT_CA_VALIDITY_DAYS = 3650;

const DNS_NAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const name = z.string().regex(PARTICIPANT_NAME, {
  message: 'expected a lowercase name: a letter, then up to 62 letters, digits or "-"',
});

const host = z.string().refine((h) => isIP(h) !== 0 || DNS_NAME.test(h), {
  message: 'expected a DNS name or an IP address (no wildcards, no port)',
});

const days = (max: number) => z.number().int().min(1).max(max);

const coordinatorSchema = z
  .object({
    name,
    hosts: z
      .array(host)
      .min(1, { message: 'expected at least one host name or IP address' })
      .refine((hosts) => hosts.some((h) => isIP(h) === 0), {
        // RFC 6066 allows only DNS names in SNI: a client that dials an IP sends this name instead.
        message: 'expected at least one DNS name among the hosts (the TLS server name clients send when they dial an IP address)',
      }),
    port: z.number().int().min(1).max(65535),
  })
  .strict();

/** The kinds of agreement that cover a participant: a HIPAA business associate agreement or a data use agreement. */
export const AGREEMENT_KINDS = ['BAA', 'DUA'] as const;

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected an ISO date, YYYY-MM-DD' }).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), {
  message: 'expected a calendar date',
});

/**
 * The agreement that covers a site or a person (docs/consortium-file.md#agreements). `expires` is
 * the last day it is in force (UTC): it is current from `signedOn` through `expires`.
 */
export const agreementSchema = z
  .object({
    kind: z.enum(AGREEMENT_KINDS),
    reference: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, { message: 'expected a reference: letters, digits and . _ : / -, at most 128 characters' }),
    signedOn: isoDay,
    expires: isoDay,
  })
  .strict()
  .refine((a) => a.expires >= a.signedOn, { message: 'expires must not be before signedOn', path: ['expires'] });

export type Agreement = z.output<typeof agreementSchema>;

const siteSchema = z.object({ name, agreement: agreementSchema.optional() }).strict();

const userSchema = z.object({ name, role: z.enum(USER_ROLES), agreement: agreementSchema.optional() }).strict();

/**
 * The consortium file's format version: 1 (no `version` field: files that predate
 * agreements) or 2. With version 2, `requireAgreements` defaults to true.
 */
export const CONSORTIUM_FILE_VERSIONS = [1, 2] as const;

const pkiSchema = z
  .object({
    certValidityDays: days(3650).default(DEFAULT_CERT_VALIDITY_DAYS),
    coordinatorCertValidityDays: days(3650).default(DEFAULT_COORDINATOR_CERT_VALIDITY_DAYS),
    crlValidityDays: days(366).default(DEFAULT_CRL_VALIDITY_DAYS),
    caValidityDays: days(36500).default(DEFAULT_CA_VALIDITY_DAYS),
  })
  .strict();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The participant names of a (possibly malformed) consortium object, with their paths. */
function namedEntries(input: Record<string, unknown>): { name: string; path: (string | number)[] }[] {
  const out: { name: string; path: (string | number)[] }[] = [];
  if (isRecord(input.coordinator) && typeof input.coordinator.name === 'string') {
    out.push({ name: input.coordinator.name, path: ['coordinator', 'name'] });
  }
  for (const list of ['sites', 'users'] as const) {
    const items = input[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, i) => {
      if (isRecord(item) && typeof item.name === 'string') out.push({ name: item.name, path: [list, i, 'name'] });
    });
  }
  return out;
}

/**
 * The consortium file schema. Cross-field rules (unique names, keyHolder among the
 * sites, validity of leaf certificates inside the CA's) run even when fields are
 * malformed, so that one pass reports every problem.
 */
export const consortiumSchema = z
  .object({
    version: z.union([z.literal(1), z.literal(2)]).optional(),
    requireAgreements: z.boolean().optional(),
    name,
    coordinator: coordinatorSchema,
    keyHolder: name,
    sites: z.array(siteSchema).min(1, { message: 'expected at least one site' }),
    users: z.array(userSchema).default([]),
    // prefault: an absent section is parsed as {}, so the field defaults above fill it.
    pki: pkiSchema.prefault({}),
  })
  .strict()
  .superRefine(
    (value, ctx) => {
      const input: unknown = value;
      if (!isRecord(input)) return;
      const seen = new Set<string>();
      for (const entry of namedEntries(input)) {
        if (seen.has(entry.name)) ctx.addIssue({ code: 'custom', path: entry.path, message: `duplicate name "${entry.name}"` });
        seen.add(entry.name);
      }
      const sites = Array.isArray(input.sites) ? input.sites : [];
      const siteNames = sites.flatMap((s: unknown) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : []));
      if (typeof input.keyHolder === 'string' && !siteNames.includes(input.keyHolder)) {
        ctx.addIssue({
          code: 'custom',
          path: ['keyHolder'],
          message: `"${input.keyHolder}" is not one of the sites (${[...new Set(siteNames)].join(', ') || 'none'})`,
        });
      }
      const pki = input.pki;
      // (The coordinator's longer default is not checked here: issuance ends every certificate with its CA.)
      if (isRecord(pki) && typeof pki.certValidityDays === 'number' && typeof pki.caValidityDays === 'number' && pki.certValidityDays > pki.caValidityDays) {
        ctx.addIssue({ code: 'custom', path: ['pki', 'certValidityDays'], message: `must not exceed pki.caValidityDays (${pki.caValidityDays}): no certificate may outlive its CA` });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  );

/** A validated, frozen consortium file. */
export type Consortium = z.output<typeof consortiumSchema>;

/**
 * Loads and validates a consortium YAML file. Throws COHORT_E_GENERAL_FILE_NOT_FOUND,
 * COHORT_E_CONFIG_YAML, or COHORT_E_CONFIG_INVALID listing every problem with its path.
 */
export function loadConsortiumFile(path: string): Consortium {
  return loadYamlFile(path, consortiumSchema, 'consortium file');
}

/**
 * Whether every site and person needs a current agreement before it is certified or takes
 * part in a run: `requireAgreements` when given, else true for a version-2 file and false
 * for a file without `version` (one that predates agreements).
 */
export function agreementsRequired(consortium: Pick<Consortium, 'version' | 'requireAgreements'>): boolean {
  return consortium.requireAgreements ?? consortium.version === 2;
}

/** The coordinator's TLS server name: its first DNS host (RFC 6066 SNI carries DNS names only). */
export function coordinatorServerName(consortium: Pick<Consortium, 'coordinator'>): string | undefined {
  return consortium.coordinator.hosts.find((h) => isIP(h) === 0);
}

/** `host:port` of the coordinator as a client dials it (first host; IPv6 in brackets). */
export function coordinatorAddress(consortium: Pick<Consortium, 'coordinator'>): string {
  const first = consortium.coordinator.hosts[0] ?? 'localhost';
  const hostPart = isIP(first) === 6 ? `[${first}]` : first;
  return `${hostPart}:${consortium.coordinator.port}`;
}
