import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the spec area. */
export const SpecErrors = defineErrors({
  PLACEHOLDER_SPEC: {
    code: 'COHORT_E_SPEC_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
