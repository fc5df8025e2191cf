import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the secure-agg area. */
export const SecureAggErrors = defineErrors({
  PLACEHOLDER_SECURE_AGG: {
    code: 'COHORT_E_SECURE_AGG_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
