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

const siteSchema = z.object({ name }).strict();

const userSchema = z.object({ name, role: z.enum(USER_ROLES) }).strict();

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
