import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the config area. */
export const ConfigErrors = defineErrors({
  PLACEHOLDER_CONFIG: {
    code: 'COHORT_E_CONFIG_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
