import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the privacy area: the RDP accountant, the noise search, site-level DP, budgets and the privacy ledger. */
export const PrivacyErrors = defineErrors({
  INVALID_ARGUMENT: {
    code: 'COHORT_E_PRIVACY_INVALID_ARGUMENT',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'A privacy-accounting parameter is out of its domain (sampling rate outside [0, 1], negative noise multiplier, ' +
      'steps not a non-negative integer, delta outside (0, 1), epsilon negative, or an RDP order not above 1).',
    fix: 'Correct the parameter named in the message; the message states the range it must lie in.',
  },
  TARGET_UNREACHABLE: {
    code: 'COHORT_E_PRIVACY_TARGET_UNREACHABLE',
    grpc: status.OUT_OF_RANGE,
    meaning: 'No noise multiplier up to the search limit brings epsilon down to the requested target.',
    fix: 'Raise the target epsilon or delta, lower the sampling rate, or train for fewer steps.',
  },
  COUNT_NOISE_TOO_SMALL: {
    code: 'COHORT_E_PRIVACY_COUNT_NOISE_TOO_SMALL',
    grpc: status.INVALID_ARGUMENT,
    meaning:
      'Adaptive clipping needs the clipped-count noise multiplier above half the site-level noise multiplier; ' +
      'otherwise no update noise keeps the pair (update, count) at the privacy of the total noise multiplier.',
    fix: 'Raise privacy.site.adaptive.countNoiseMultiplier above privacy.site.noiseMultiplier / 2, or lower the site noise multiplier.',
  },
  UPDATE_NOT_FINITE: {
    code: 'COHORT_E_PRIVACY_UPDATE_NOT_FINITE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The model update to clip and noise holds NaN or an infinity, so its norm (and the clipping) is undefined.',
    fix: 'Local training diverged: lower the learning rate or check the feature scaling of the spec.',
  },
  BUDGET_EXCEEDED: {
    code: 'COHORT_E_PRIVACY_BUDGET_EXCEEDED',
    grpc: status.RESOURCE_EXHAUSTED,
    meaning: "The run would take the site's total privacy spend (epsilon or delta, summed over runs) past the maximum its policy sets.",
    fix: 'Submit the run with more noise, fewer rounds or steps, or a smaller sampling rate; or the site raises its budget.',
  },
  LEDGER_CORRUPT: {
    code: 'COHORT_E_PRIVACY_LEDGER_CORRUPT',
    grpc: status.DATA_LOSS,
    meaning: "The site's privacy ledger file cannot be decrypted or parsed: its bytes were altered, or it was sealed under another key.",
    fix: 'Restore the ledger and the key file from backup; the site must not accept runs without a trustworthy ledger.',
  },
  LEDGER_TAMPERED: {
    code: 'COHORT_E_PRIVACY_LEDGER_TAMPERED',
    grpc: status.DATA_LOSS,
    meaning: "The site's privacy ledger decrypts but its hash chain is broken: an entry was modified, removed or reordered.",
    fix: 'Restore the ledger from backup; the message names the first entry at fault.',
  },
  LEDGER_ENTRY_INVALID: {
    code: 'COHORT_E_PRIVACY_LEDGER_ENTRY_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning:
      "A ledger append breaks the ledger's rules: a run's first entry must be an accept, nothing follows its stop, " +
      'and its cumulative spend never decreases.',
    fix: 'This is a bug in the site agent; report it with the message, which names the run and the field.',
  },
});
