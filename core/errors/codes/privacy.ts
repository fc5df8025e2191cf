import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the privacy area. */
export const PrivacyErrors = defineErrors({
  PLACEHOLDER_PRIVACY: {
    code: 'COHORT_E_PRIVACY_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
