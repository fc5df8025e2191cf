import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the config area: reading and validating YAML configuration files. */
export const ConfigErrors = defineErrors({
  INVALID: {
    code: 'COHORT_E_CONFIG_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A configuration file parsed as YAML but does not match its schema; every problem is listed with its path.',
    fix: 'Correct each listed field (see the file reference in docs/) and run the command again.',
  },
  YAML: {
    code: 'COHORT_E_CONFIG_YAML',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A configuration file is not valid YAML (syntax error, duplicate key, or more than one document).',
    fix: 'Fix the YAML at the reported line and column; a YAML linter shows the same position.',
  },
});
