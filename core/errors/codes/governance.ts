import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the governance area: agreements before access (BAA/DUA), access reviews and
 * incidents (core/governance, docs/governance.md).
 */
export const GovernanceErrors = defineErrors({
  AGREEMENT_MISSING: {
    code: 'COHORT_E_GOVERNANCE_AGREEMENT_MISSING',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The consortium requires agreements (requireAgreements) and this participant has no agreement (BAA or DUA) on record.',
    fix: 'Record the signed agreement with `cohort provision agreement <name> --kind BAA|DUA --reference <ref> --signed-on <date> --expires <date> --out <dir>`, then sign again.',
  },
  AGREEMENT_EXPIRED: {
    code: 'COHORT_E_GOVERNANCE_AGREEMENT_EXPIRED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The agreement on record for this participant has expired (or is not yet in force): it may not be certified or take part in a run.',
    fix: 'Record the renewed agreement with `cohort provision agreement <name> ...` and copy agreements.json into the coordinator kit.',
  },
  AGREEMENT_REFERENCE_MISMATCH: {
    code: 'COHORT_E_GOVERNANCE_AGREEMENT_REFERENCE_MISMATCH',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The site\'s policy requires the operator to have its agreement on record (policy.requireAgreementReference), and the site\'s kit records no agreement with that reference: the site declines every run.',
    fix: 'The operator records the agreement (`cohort provision agreement <site> ...`) and signs the site\'s request again; the site puts the new kit.yaml beside its key.',
  },
  AGREEMENTS_INVALID: {
    code: 'COHORT_E_GOVERNANCE_AGREEMENTS_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The coordinator kit\'s agreements.json cannot be read or does not match its schema, or is missing from a kit whose kit.yaml requires agreements.',
    fix: 'Copy agreements.json again from the coordinator kit the provisioner wrote (<out>/<coordinator>/agreements.json).',
  },
  INCIDENTS_BUSY: {
    code: 'COHORT_E_GOVERNANCE_INCIDENTS_BUSY',
    grpc: status.UNAVAILABLE,
    meaning: 'Another incident scan holds the incidents directory\'s lock.',
    fix: 'Run the command again when the other scan has finished (a lock left by a killed scan is taken over).',
  },
  HOOK_FAILED: {
    code: 'COHORT_E_GOVERNANCE_HOOK_FAILED',
    grpc: status.UNAVAILABLE,
    meaning: 'The incident hook exited non-zero (or timed out) for at least one incident; the incident stays undelivered.',
    fix: 'Fix the hook; the next `cohort incident list --hook` runs it again for every undelivered incident.',
  },
  INCIDENT_NOT_FOUND: {
    code: 'COHORT_E_GOVERNANCE_INCIDENT_NOT_FOUND',
    grpc: status.NOT_FOUND,
    meaning: 'No incident with this id was raised from the audit log.',
    fix: 'List the incidents with `cohort incident list <audit dir>` and use one of their ids.',
  },
  TIME_INVALID: {
    code: 'COHORT_E_GOVERNANCE_TIME_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A time or duration option is not an ISO 8601 time (2026-01-01, 2026-01-01T00:00:00Z) or a duration like 90d.',
    fix: 'Pass an ISO 8601 date or date-time, or a number of days followed by d.',
  },
});
