import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the update path: chunk streams between sites and the coordinator. */
export const UpdateErrors = defineErrors({
  CHUNK_INDEX: {
    code: 'COHORT_E_UPDATE_CHUNK_INDEX',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A chunk arrived with an index outside the range the run codec allows, or out of order.',
    fix: 'The site agent and coordinator disagree on the codec; upgrade both to the same version.',
  },
  CHUNK_SIZE: {
    code: 'COHORT_E_UPDATE_CHUNK_SIZE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A chunk is larger or smaller than the run codec says it must be.',
    fix: 'The update was not made for this run; check the run id and agent version.',
  },
  CHUNK_MALFORMED: {
    code: 'COHORT_E_UPDATE_CHUNK_MALFORMED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A chunk could not be parsed (not a ciphertext under the run parameters, or holds non-finite values).',
    fix: 'The update is corrupt or encrypted under other parameters; the site should retry with the run parameters.',
  },
  TRUNCATED: {
    code: 'COHORT_E_UPDATE_TRUNCATED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A chunk stream ended before all chunks arrived.',
    fix: 'The site retries the upload; nothing of the partial stream was counted.',
  },
  OVERSIZED: {
    code: 'COHORT_E_UPDATE_OVERSIZED',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A chunk stream carried more chunks or bytes than the run codec allows.',
    fix: 'The update was not made for this run; check the run id and agent version.',
  },
  DUPLICATE: {
    code: 'COHORT_E_UPDATE_DUPLICATE',
    grpc: status.ALREADY_EXISTS,
    meaning: 'The site already delivered an update for this round; the second one was not counted.',
    fix: 'Nothing to do: the first update counts. A site agent that sees this after a restart moves on.',
  },
  WRONG_ROUND: {
    code: 'COHORT_E_UPDATE_WRONG_ROUND',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The update names a round that is not open (a replay from an earlier round, or a round already closed).',
    fix: 'The site agent fetches its current task and trains for the open round.',
  },
  NOT_PARTICIPANT: {
    code: 'COHORT_E_UPDATE_NOT_PARTICIPANT',
    grpc: status.PERMISSION_DENIED,
    meaning: 'The site is not a participant of this round (it declined the run or was recorded as failed).',
    fix: 'The site waits for the next round or run.',
  },
  HEADER_MISSING: {
    code: 'COHORT_E_UPDATE_HEADER_MISSING',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'An upload stream did not start with its header message.',
    fix: 'Upgrade the site agent; the first message of an upload names the run and round.',
  },
  NOT_SINGLE: {
    code: 'COHORT_E_UPDATE_NOT_SINGLE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'An uploaded chunk says it sums other than exactly one update (its header\'s summands is not 1): a site uploads its own update only, never a sum.',
    fix: 'The upload was refused and recorded as that site\'s failure in the round; the round goes on with the others. Upgrade or inspect the site agent that sent it.',
  },
});
