import { status } from '@grpc/grpc-js';
import { defineErrors } from '../cohort-error.ts';

/** Errors of the pki area: the consortium CA, provisioning, kits and peer identity. */
export const PkiErrors = defineErrors({
  ALREADY_PROVISIONED: {
    code: 'COHORT_E_PKI_ALREADY_PROVISIONED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The output directory already holds a provisioned consortium (or a kit directory of the same name).',
    fix: 'Choose an empty output directory, or pass --force to replace the CA and every kit (all participants then need new kits).',
  },
  NOT_PROVISIONED: {
    code: 'COHORT_E_PKI_NOT_PROVISIONED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The output directory has no provisioner state (.provisioner/state.json).',
    fix: 'Pass the --out directory that `cohort provision <consortium.yaml>` wrote, or provision one first.',
  },
  STATE_INVALID: {
    code: 'COHORT_E_PKI_STATE_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The provisioner state (.provisioner/state.json, ca.crt or ca.key) is unreadable or inconsistent.',
    fix: 'Restore the .provisioner directory from backup; if it is lost, provision the consortium again with --force.',
  },
  NAME_EXISTS: {
    code: 'COHORT_E_PKI_NAME_EXISTS',
    grpc: status.ALREADY_EXISTS,
    meaning: 'A certificate was already issued to this name (names are never reused, even after revocation).',
    fix: 'Choose a name not yet in the consortium.',
  },
  UNKNOWN_NAME: {
    code: 'COHORT_E_PKI_UNKNOWN_NAME',
    grpc: status.NOT_FOUND,
    meaning: 'No certificate was issued to this name in this consortium.',
    fix: 'Check the name against .provisioner/state.json or the kit directories under --out.',
  },
  ALREADY_REVOKED: {
    code: 'COHORT_E_PKI_ALREADY_REVOKED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The certificate of this participant is already revoked.',
    fix: 'Nothing to do; the CRL already lists it.',
  },
  INVALID_INPUT: {
    code: 'COHORT_E_PKI_INVALID_INPUT',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A participant name, role or revocation reason given to the provisioner is malformed.',
    fix: 'Names are lowercase identifiers (^[a-z][a-z0-9-]{0,62}$); roles and reasons must be one of the listed values.',
  },
  KIT_INCOMPLETE: {
    code: 'COHORT_E_PKI_KIT_INCOMPLETE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A file of a credentials kit (kit.yaml, ca.crt, the certificate, the key, or the coordinator crl.pem) is missing.',
    fix: 'Copy the whole kit directory written by `cohort provision` for this participant.',
  },
  KIT_INVALID: {
    code: 'COHORT_E_PKI_KIT_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A kit is inconsistent: the key does not match the certificate, the certificate was not issued by the kit CA, or it names another participant.',
    fix: 'Replace the kit directory with the one the provisioner wrote for this participant.',
  },
  KEY_PERMISSIONS: {
    code: 'COHORT_E_PKI_KEY_PERMISSIONS',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A private key file is readable or writable by group or others.',
    fix: 'Restrict it to its owner: chmod 600 <file>.',
  },
  CRL_INVALID: {
    code: 'COHORT_E_PKI_CRL_INVALID',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'A certificate revocation list is unparsable, not signed by the consortium CA, or past its nextUpdate.',
    fix: 'Copy crl.pem again from the provisioner output; renew an expired CRL with `cohort provision crl --out <dir>`.',
  },
  CERT_IDENTITY: {
    code: 'COHORT_E_PKI_CERT_IDENTITY',
    grpc: status.UNAUTHENTICATED,
    meaning: 'A certificate does not carry a Cohort identity (CN name, O consortium, OU role and matching cohort:// URI).',
    fix: 'Use a certificate issued by `cohort provision` for this consortium.',
  },
  NO_PEER_CERTIFICATE: {
    code: 'COHORT_E_PKI_NO_PEER_CERTIFICATE',
    grpc: status.UNAUTHENTICATED,
    meaning: 'The call did not arrive over mutual TLS with a verified client certificate.',
    fix: 'Connect with the credentials of your kit (ca.crt, certificate and key).',
  },
  CERT_REVOKED: {
    code: 'COHORT_E_PKI_CERT_REVOKED',
    grpc: status.UNAUTHENTICATED,
    meaning: 'The caller certificate is listed in the consortium CRL.',
    fix: 'Ask the consortium operator for a new kit under a new name.',
  },
  WRONG_CONSORTIUM: {
    code: 'COHORT_E_PKI_WRONG_CONSORTIUM',
    grpc: status.UNAUTHENTICATED,
    meaning: 'The caller certificate names a different consortium than the server serves.',
    fix: 'Use the kit issued for this consortium.',
  },
});
