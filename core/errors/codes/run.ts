import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the run area. */
export const RunErrors = defineErrors({
  PLACEHOLDER_RUN: {
    code: 'COHORT_E_RUN_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
