import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/**
 * Errors of the model registry (coordinator/registry): registered models, their numbered
 * versions, aliases, approval, rollback and export.
 */
export const RegistryErrors = defineErrors({
  VERSION_NOT_FOUND: {
    code: 'COHORT_E_REGISTRY_VERSION_NOT_FOUND',
    grpc: status.NOT_FOUND,
    meaning: 'No model version matches the reference (a model id, <name>/<version> or <name>@<alias>).',
    fix: 'List the registry with `cohort model list` and use a model id, version or alias from it.',
  },
  INVALID_REQUEST: {
    code: 'COHORT_E_REGISTRY_INVALID_REQUEST',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A registry request lacks a required field or has a malformed one (an empty note, an alias that is not an identifier, a version that is not a positive integer, no intended use).',
    fix: 'Pass the field the message names: --note with the reason, --use with the intended clinical use, an alias of letters, digits, _ . -.',
  },
  NOT_APPROVED: {
    code: 'COHORT_E_REGISTRY_NOT_APPROVED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The model version has not been approved: it cannot be exported for use, be the champion, or be rolled back to.',
    fix: 'Have an approver run `cohort model approve <modelId> --note <why> --use <intended use>`; an operator may export an unapproved version for validation with --allow-unapproved, which is recorded.',
  },
  FAIRNESS_REVIEW_REQUIRED: {
    code: 'COHORT_E_REGISTRY_FAIRNESS_REVIEW_REQUIRED',
    grpc: status.FAILED_PRECONDITION,
    meaning: "The version is marked reviewRequired: its equalized odds difference over a fairness attribute exceeds the policy's 0.1 (or the spec's lower maxEqualizedOddsDifference), cannot be computed (fewer than two reportable groups), or its final fairness metrics were withheld; approval needs an explicit statement that the review was done.",
    fix: 'Review the per-group metrics (`cohort model show <modelId>`), then approve with --fairness-reviewed and a --note that addresses the disparity; the approval records it.',
  },
  ALREADY_APPROVED: {
    code: 'COHORT_E_REGISTRY_ALREADY_APPROVED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The model version was approved already; an approval is recorded once.',
    fix: 'Nothing to do: `cohort model show <modelId>` names who approved it, when and for what use.',
  },
  ROLLBACK_REFUSED: {
    code: 'COHORT_E_REGISTRY_ROLLBACK_REFUSED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A rollback must point the champion alias at an earlier approved version than the one it points at now, and the model must have a champion.',
    fix: 'Check `cohort model list` for the champion and the approved versions below it; to point champion anywhere else use `cohort model alias`.',
  },
  CHAMPION_NEEDS_ROLLBACK: {
    code: 'COHORT_E_REGISTRY_CHAMPION_NEEDS_ROLLBACK',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Pointing champion at an earlier version than the current champion is a rollback; `cohort model alias` does not move champion backwards.',
    fix: 'As an approver, run `cohort model rollback <name> --to <version> --note <why>`, which records the reason and the version rolled back from.',
  },
  WEIGHTS_MISMATCH: {
    code: 'COHORT_E_REGISTRY_WEIGHTS_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: "A model version's stored weights no longer hash to the SHA-256 registered at release: the coordinator's state file was altered or damaged, so the weights are not served.",
    fix: 'Do not use this version. Restore the state file from a backup and compare the audit log (`cohort audit verify`); the release record there carries the registered SHA-256.',
  },
});
