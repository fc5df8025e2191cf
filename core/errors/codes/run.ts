import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of runs and rounds at the coordinator, and of the RPC layer's access checks. */
export const RunErrors = defineErrors({
  NOT_FOUND: {
    code: 'COHORT_E_RUN_NOT_FOUND',
    grpc: status.NOT_FOUND,
    meaning: 'No run has this id.',
    fix: 'List runs with `cohort run list` and use an id from it.',
  },
  ALREADY_ENDED: {
    code: 'COHORT_E_RUN_ALREADY_ENDED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The run has already completed, failed or been cancelled.',
    fix: 'Nothing to cancel; submit a new run if needed.',
  },
  NOT_ENOUGH_SITES: {
    code: 'COHORT_E_RUN_NOT_ENOUGH_SITES',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'Fewer sites accepted the run than its minSites, so it could not start.',
    fix: 'Check the sites\' decline reasons in `cohort run status`; lower minSites or fix the sites\' configuration.',
  },
  QUORUM_LOST: {
    code: 'COHORT_E_RUN_QUORUM_LOST',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A round closed with fewer delivered updates than the run\'s minSites; the run failed.',
    fix: 'Look at the per-site failures of the last round; restart the failed sites and submit the run again.',
  },
  HASH_MISMATCH: {
    code: 'COHORT_E_RUN_HASH_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: 'Sites reported different hashes for the new global weights; they no longer hold the same model.',
    fix: 'The sites run different agent versions or one applied a corrupt aggregate; align versions and resubmit.',
  },
  METRICS_MISMATCH: {
    code: 'COHORT_E_RUN_METRICS_MISMATCH',
    grpc: status.DATA_LOSS,
    meaning: 'Sites reported different consortium metrics after decrypting the same summed evaluation; a site or the sum is faulty.',
    fix: 'The sites run different agent versions or one decrypted a corrupt sum; align versions and resubmit.',
  },
  ROUND_DEADLINE: {
    code: 'COHORT_E_RUN_ROUND_DEADLINE',
    grpc: status.DEADLINE_EXCEEDED,
    meaning: 'A site did not deliver its update (or evaluation) before the round deadline; recorded as a failure.',
    fix: 'Check the site agent\'s log; raise roundTimeoutSeconds for slow sites.',
  },
  SITE_DISCONNECTED: {
    code: 'COHORT_E_RUN_SITE_DISCONNECTED',
    grpc: status.UNAVAILABLE,
    meaning: 'A site stayed disconnected past the grace period during a round; recorded as a failure for that round.',
    fix: 'Restart the site agent; it rejoins at the next round.',
  },
  AGGREGATE_NOT_READY: {
    code: 'COHORT_E_RUN_AGGREGATE_NOT_READY',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The aggregate of a round was requested before the round closed its collection.',
    fix: 'Wait for the EVALUATE task for that round.',
  },
  PERMISSION_DENIED: {
    code: 'COHORT_E_RUN_PERMISSION_DENIED',
    grpc: status.PERMISSION_DENIED,
    meaning: 'The caller\'s certificate role may not call this RPC.',
    fix: 'Use a kit whose role is allowed (see docs/protocol.md, "Who may call what").',
  },
  UNAUTHENTICATED: {
    code: 'COHORT_E_RUN_UNAUTHENTICATED',
    grpc: status.UNAUTHENTICATED,
    meaning: 'The call carried no verifiable client certificate, or the certificate is revoked.',
    fix: 'Use a kit issued by this consortium\'s provisioner that has not been revoked.',
  },
  INVALID_REQUEST: {
    code: 'COHORT_E_RUN_INVALID_REQUEST',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A request field is missing or malformed.',
    fix: 'The message names the field; upgrade the client if it is an older version.',
  },
  RELEASE_REFUSED: {
    code: 'COHORT_E_RUN_RELEASE_REFUSED',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      'A final model was not accepted into the registry: the run is not completed, the uploading site did not take part, or the weights do not hash to the SHA-256 every site reported for the last round.',
    fix: 'Release only after the run completes, from a participating site, with the weights the sites agreed on. A hash mismatch means the uploaded weights are not the federated model: do not use them.',
  },
  MODEL_NOT_FOUND: {
    code: 'COHORT_E_RUN_MODEL_NOT_FOUND',
    grpc: status.NOT_FOUND,
    meaning: 'No released model has that id in the registry.',
    fix: 'List the registry with `cohort model list` and use one of its ids.',
  },
});

