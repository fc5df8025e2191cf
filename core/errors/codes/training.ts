import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the training area. */
export const TrainingErrors = defineErrors({
  PLACEHOLDER_TRAINING: {
    code: 'COHORT_E_TRAINING_PLACEHOLDER',
    grpc: status.INTERNAL,
    meaning: 'Placeholder; replaced when the area lands.',
    fix: 'None.',
  },
});
