import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the data area. */
export const DataErrors = defineErrors({
  PLACEHOLDER_DATA: {
    code: 'COHORT_E_DATA_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
