/** The consortium PKI: CA, provisioning, kits, CRL, and identities read from certificates. */
export { createCa, issueCertificate, loadCa, randomSerial, type CertificateAuthority, type IssuedCredentials, type Participant } from './ca.ts';
export { createCrl, readCrl, verifyCrl, REVOCATION_REASONS, isRevocationReason, type CrlContents, type RevocationReason } from './crl.ts';
export { cohortUri, identityFromCertificate, normalizeSerial, type Identity } from './identity.ts';
export { loadKit, writeKit, assertOwnerOnly, kitFileSchema, type Kit, type KitContents, type KitFile } from './kit.ts';
export { STATE_DIR, KIT_FILE, provisionerPaths, kitDir } from './layout.ts';
export {
  addSite,
  addUser,
  provisionConsortium,
  renewCrl,
  revoke,
  type CrlResult,
  type KitSummary,
  type ProvisionResult,
  type RevokeResult,
} from './provisioner.ts';
export { ROLES, USER_ROLES, isRole, isUserRole, type Role, type UserRole } from './roles.ts';
export { readState, type IssuedRecord, type ProvisionerState } from './state.ts';
