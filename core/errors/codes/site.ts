import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the site area. */
export const SiteErrors = defineErrors({
  PLACEHOLDER_SITE: {
    code: 'COHORT_E_SITE_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
