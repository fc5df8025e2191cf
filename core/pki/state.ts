/**
 * The provisioner's record of the consortium (`.provisioner/state.json`): the current
 * membership (the consortium file plus later add-site/add-user) and every certificate
 * it issued, with revocations. Written atomically, owner-only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { consortiumSchema, PARTICIPANT_NAME } from '../config/consortium.ts';
import { formatZodIssues } from '../config/load.ts';
import { CohortError, PkiErrors } from '../errors/index.ts';
import { REVOCATION_REASONS } from './crl.ts';
import { OWNER_ONLY_FILE, replaceFile } from './files.ts';
import { provisionerPaths } from './layout.ts';
import { ROLES } from './roles.ts';

const isoDate = z.iso.datetime();

const issuedSchema = z
  .object({
    name: z.string().regex(PARTICIPANT_NAME),
    role: z.enum(ROLES),
    serial: z.string().regex(/^[0-9a-f]+$/),
    issuedAt: isoDate,
    notAfter: isoDate,
    revoked: z.boolean(),
    revokedAt: isoDate.optional(),
    reason: z.enum(REVOCATION_REASONS).optional(),
  })
  .strict();

/** Where the CA key is kept (never a PIN or passphrase): see ca-key.ts. */
const caKeySchema = z
  .object({
    store: z.enum(['passphrase', 'pkcs11']),
    pkcs11: z.object({ module: z.string(), tokenLabel: z.string().optional(), slot: z.number().int().optional(), keyLabel: z.string() }).strict().optional(),
  })
  .strict();

const stateSchema = z
  .object({
    version: z.literal(2),
    caKey: caKeySchema,
    consortium: consortiumSchema,
    /** The number of the CRL last written; the next one gets crlNumber + 1. */
    crlNumber: z.number().int().min(1),
    issued: z.array(issuedSchema),
  })
  .strict();

export type IssuedRecord = z.output<typeof issuedSchema>;
export type ProvisionerState = z.output<typeof stateSchema>;

/** Reads and validates state.json. Throws COHORT_E_PKI_NOT_PROVISIONED or COHORT_E_PKI_STATE_INVALID. */
export function readState(outDir: string): ProvisionerState {
  const paths = provisionerPaths(outDir);
  if (!existsSync(paths.state)) {
    throw new CohortError(PkiErrors.NOT_PROVISIONED, `${outDir} holds no provisioned consortium (${paths.state} is missing)`, {
      details: { outDir },
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(paths.state, 'utf8'));
  } catch (e) {
    throw new CohortError(PkiErrors.STATE_INVALID, `${paths.state} is not valid JSON`, { details: { file: paths.state }, cause: e });
  }
  const result = stateSchema.safeParse(data);
  if (!result.success) {
    const problems = formatZodIssues(result.error);
    throw new CohortError(PkiErrors.STATE_INVALID, `${paths.state} is inconsistent:\n  ${problems.join('\n  ')}`, {
      details: { file: paths.state, problems },
    });
  }
  return result.data;
}

/** Replaces state.json atomically. */
export function writeState(outDir: string, state: ProvisionerState): void {
  replaceFile(provisionerPaths(outDir).state, `${JSON.stringify(state, null, 2)}\n`, OWNER_ONLY_FILE);
}
