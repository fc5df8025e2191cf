import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of local explanations (`cohort model explain`, models/explain/). Messages name features, never their values. */
export const ExplainErrors = defineErrors({
  MISSING_FEATURE: {
    code: 'COHORT_E_EXPLAIN_MISSING_FEATURE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The input (or baseline) row has no value for a feature of the model\'s spec; the message names the row and the feature.',
    fix: 'Give every spec feature by its spec name (`cohort model show <modelId> --json` or the model card\'s `input.features` lists them).',
  },
  UNKNOWN_FEATURE: {
    code: 'COHORT_E_EXPLAIN_UNKNOWN_FEATURE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'The input (or baseline) row has a key that is not a feature of the model\'s spec (a label, an identifier or a misspelt name); the message names the key.',
    fix: 'Remove the key, or correct its spelling to the spec feature it means.',
  },
  BAD_VALUE: {
    code: 'COHORT_E_EXPLAIN_BAD_VALUE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A feature\'s value in the input or baseline row is not what its type needs: a finite number (numeric), one of the spec\'s levels or an object of every encoded level\'s weight (categorical), or an array of height x width x channels finite numbers (image). The value itself is never printed.',
    fix: 'Give numeric features in the model\'s input scale (after the site\'s standardisation), categorical features as a spec level, images as a flat row-major, channels-last array.',
  },
  EXPORT_MISMATCH: {
    code: 'COHORT_E_EXPLAIN_EXPORT_MISMATCH',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The --weights-dir export is incomplete or altered: a file is missing, unreadable, or does not hash to the SHA-256 its model-card.json records.',
    fix: 'Export the version again with `cohort model export <modelId> --out <dir>` and explain from that directory.',
  },
});
