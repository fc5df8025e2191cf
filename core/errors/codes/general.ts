import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

export const GeneralErrors = defineErrors({
  INTERNAL: {
    code: 'COHORT_E_GENERAL_INTERNAL',
    grpc: status.INTERNAL,
    meaning: 'An unexpected internal failure; the operation was not applied.',
    fix: 'Check the component log for the cause and report it with the log line.',
  },
  FILE_NOT_FOUND: {
    code: 'COHORT_E_GENERAL_FILE_NOT_FOUND',
    grpc: status.NOT_FOUND,
    meaning: 'A file named on the command line or in a config file does not exist.',
    fix: 'Check the path; relative paths are resolved from the directory of the file that names them.',
  },
  USAGE: {
    code: 'COHORT_E_GENERAL_USAGE',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A command-line flag or argument is missing or malformed.',
    fix: 'Run the command with --help to see its flags.',
  },
});

/** Calls that fail below Cohort (connection refused, TLS handshake, deadline) keep their gRPC status. */
export const TransportErrors = defineErrors({
  TRANSPORT: {
    code: 'COHORT_E_GENERAL_TRANSPORT',
    grpc: status.UNAVAILABLE,
    meaning: 'A call failed in the transport: the coordinator is unreachable, the TLS handshake was refused, or the call timed out.',
    fix: 'Check the coordinator address in the kit, that the coordinator runs, and that your certificate is valid and not revoked.',
  },
});
