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
  REQUEST_INVALID: {
    code: 'COHORT_E_PKI_REQUEST_INVALID',
    grpc: status.INVALID_ARGUMENT,
    meaning: 'A certificate request (PKCS#10) is unreadable, its signature does not verify, its key is not ECDSA P-256, or its subject has no single participant name as CN.',
    fix: 'Make the request with `cohort enroll --name <name> --out <dir>` (or openssl req with an EC P-256 key and -subj /CN=<name>) and send the .csr file unchanged.',
  },
  REQUEST_UNKNOWN_NAME: {
    code: 'COHORT_E_PKI_REQUEST_UNKNOWN_NAME',
    grpc: status.NOT_FOUND,
    meaning: 'The request asks for a name that is not a participant of the consortium file (or of a later add-site/add-user); nothing was written.',
    fix: 'Check the name with the requester, or add the participant first (`cohort provision add-site` / `add-user`), then sign again.',
  },
  ENROLLMENT_EXISTS: {
    code: 'COHORT_E_PKI_ENROLLMENT_EXISTS',
    grpc: status.ALREADY_EXISTS,
    meaning: 'The enrolment directory already holds a key or request of that name; enrol never overwrites a private key.',
    fix: 'Use the existing request, or move the old key away first if it is truly no longer needed.',
  },
  BUSY: {
    code: 'COHORT_E_PKI_BUSY',
    grpc: status.ABORTED,
    meaning: 'Another provision command holds the provisioner directory (.provisioner/lock); commands that change its state run one at a time so that no issuance or revocation is lost.',
    fix: 'Wait for the other command to finish and run this one again. If none is running (it was killed), remove .provisioner/lock.',
  },
  CA_KEY_LOCKED: {
    code: 'COHORT_E_PKI_CA_KEY_LOCKED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The CA key cannot be unlocked: no --ca-passphrase-file (or --hsm) was given, the passphrase is wrong, the passphrase file is open to others, or the key is held by another kind of store than the one given.',
    fix: 'Pass --ca-passphrase-file <file> (owner-only, the passphrase given to `provision init`) or --hsm <pkcs11.yaml> for a CA whose key is in an HSM.',
  },
  HSM_UNAVAILABLE: {
    code: 'COHORT_E_PKI_HSM_UNAVAILABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The PKCS#11 token cannot be used: the module does not load or initialise, no token has the configured label or slot, the PIN file is missing or empty, or the token refuses the PIN (wrong, locked or expired).',
    fix: 'Check module (the path of the vendor\'s .so), tokenLabel or slot (`pkcs11-tool -L` or `softhsm2-util --show-slots` lists them) and the user PIN in pinFile; a locked PIN is reset by the token\'s security officer.',
  },
  HSM_KEY_MISSING: {
    code: 'COHORT_E_PKI_HSM_KEY_MISSING',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The token holds no key of the expected kind with the configured keyLabel (an ECDSA P-256 key pair for a CA, an AES-256 key for at-rest wrapping).',
    fix: 'Point keyLabel (and tokenLabel or slot) at the token and key that were used to create it; a new key is made only by the create step (`cohort provision init --hsm`, `cohort site init`).',
  },
  HSM_KEY_EXISTS: {
    code: 'COHORT_E_PKI_HSM_KEY_EXISTS',
    grpc: status.ALREADY_EXISTS,
    meaning: 'The token already holds a key with the keyLabel a new key was to be created under, or the label names more than one key; Cohort never replaces or guesses a key in a token.',
    fix: 'Choose a keyLabel not used in the token, or open the existing key instead of creating one; remove a stray key only with the token vendor\'s tools, once sure it is unused.',
  },
  HSM_KEY_EXPORTABLE: {
    code: 'COHORT_E_PKI_HSM_KEY_EXPORTABLE',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The key with the configured keyLabel is extractable or not sensitive, so the token would hand it out; Cohort uses only keys that stay inside the token.',
    fix: 'Create the key inside the token with Cohort (it sets CKA_SENSITIVE and clears CKA_EXTRACTABLE), or fix those attributes with the vendor\'s tools.',
  },
  HSM_UNWRAP_FAILED: {
    code: 'COHORT_E_PKI_HSM_UNWRAP_FAILED',
    grpc: status.FAILED_PRECONDITION,
    meaning: 'The token could not unwrap a wrapped key file: it was wrapped by another token or another key of that label, or the file was altered.',
    fix: 'Use the token and keyLabel the key file was made with; if that token is lost, the wrapped key and the state sealed under it cannot be recovered (restore from backup).',
  },
});
