import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the pki area. */
export const PkiErrors = defineErrors({
  PLACEHOLDER_PKI: {
    code: 'COHORT_E_PKI_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
