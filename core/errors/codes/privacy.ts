import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the privacy area: the RDP accountant and the noise search. */
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
});
